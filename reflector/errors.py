"""Every error `reflector` raises on purpose, as one tree.

    ReflectorError
     ├── ConfigError          config.toml (or a workflow/template) is wrong; names file, key, value
     ├── StoreError           the database cannot be reached or refused a write
     ├── IntakeError          a mail source (IMAP, LMTP, files) failed; the caller retries
     │    └── ImapError       an IMAP command failed or timed out
     └── ParseError           bytes that are not an e-mail message at all (quarantined, not raised
                              past the pipeline)

Foreign exceptions (aioimaplib, SQLAlchemy, OSError) are mapped to these at the module that talks
to the foreign library, so callers only ever catch what is listed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ReflectorError(Exception):
    """Base class of every error raised on purpose by reflector."""


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in a configuration file: where it is and what was expected.

    >>> str(ConfigProblem("config.toml", "[imap].port", '"abc"', "an integer 1-65535"))
    'config.toml: [imap].port = "abc": expected an integer 1-65535'
    """

    file: str
    key: str
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}"
        if self.value is not None:
            where += f" = {self.value}"
        return f"{where}: expected {self.expected}"


class ConfigError(ReflectorError):
    """One or more configuration problems; `str()` gives one line per problem."""

    def __init__(self, problems: Sequence[ConfigProblem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class StoreError(ReflectorError):
    """The database is unavailable or refused the operation."""


class IntakeError(ReflectorError):
    """A mail source failed (network, protocol, file system); the caller decides to retry."""


class ImapError(IntakeError):
    """An IMAP command answered NO/BAD, timed out, or the connection was lost."""


class ParseError(ReflectorError):
    """The bytes are not an e-mail message at all; `reason` says why in plain words."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)
