"""Reading one TOML table while collecting problems instead of raising (the engine of config.py).

A `Reader` wraps one table of the parsed file (`[imap]`, `[[meetings]][2]`, ...). Each accessor
takes a key, checks the value and returns it in the wanted Python type. A wrong value becomes a
`ConfigProblem` naming the file, the key path, the value as TOML would write it, and what was
expected; the accessor then returns a harmless placeholder so that loading goes on and the user
sees *every* mistake in one run. `Problems.raise_if_any()` turns the list into one ConfigError.
Below the reader are the small checks it and config.py share: e-mail addresses (offline), IANA
zones, wall-clock times across DST changes, and database URLs (normalised, passwords masked).

    >>> problems = Problems("config.toml")
    >>> r = Reader(problems, "[imap]", {"port": "abc", "prot": 1}, keys=("host", "port"))
    >>> r.integer("port", 1, 65535, default=993)
    993
    >>> for p in problems.items: print(p)
    config.toml: [imap].prot: expected one of: host, port (unknown key; did you mean "port"?)
    config.toml: [imap].port = "abc": expected an integer 1-65535
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from reflector.errors import ConfigError, ConfigProblem

# Sentinel for "the key is not in the file" (None is not a TOML value, but be explicit).
ABSENT: Final = object()

SECRETS_HINT = "secrets are not read from config files: set password_env and export that variable"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Key names that look like a secret: never echo their value, point to the environment instead.
_SECRET_NAME = re.compile(r"pass|secret|token", re.IGNORECASE)
# Loadable by ZoneInfo on some machines, but not the name of an IANA zone.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
_MAX_SHOWN = 70


def toml_value(value: object) -> str:
    """Write `value` the way it looks in a TOML file, shortened for one line of output.

    >>> toml_value("abc"), toml_value(True), toml_value([1, "a"]), toml_value(date(2026, 10, 2))
    ('"abc"', 'true', '[1, "a"]', '2026-10-02')
    """
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, (datetime, date, time)):
        text = value.isoformat()
    elif isinstance(value, list):
        text = "[" + ", ".join(toml_value(v) for v in value) + "]"
    elif isinstance(value, dict):
        text = "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    else:
        text = str(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when possible, else quoted (`odd key` -> `"odd key"`)."""
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def is_zone(name: str) -> bool:
    """True if `name` is an IANA time zone that zoneinfo can load (`Europe/Geneva` is not)."""
    if name in _NOT_ZONES:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def localize(local: datetime, zone: ZoneInfo, zone_name: str) -> tuple[datetime | None, str]:
    """Turn a wall-clock time in `zone` into UTC, refusing times DST makes impossible or double.

    Returns (utc, "") or (None, what was expected instead).

    >>> localize(datetime(2026, 3, 29, 2, 30), ZoneInfo("Europe/Zurich"), "Europe/Zurich")[1]
    'a local time that exists in Europe/Zurich (clocks jump forward past it that day)'
    """
    first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
    if first.utcoffset() != second.utcoffset():
        # zoneinfo gives a gap time the offset from before the jump, so a round trip moves it.
        if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != local:
            return (
                None,
                f"a local time that exists in {zone_name} (clocks jump forward past it that day)",
            )
        return None, (
            f"an unambiguous local time in {zone_name} (it occurs twice as clocks go back; "
            f"write the offset, e.g. {first.isoformat()} or {second.isoformat()})"
        )
    return first.astimezone(UTC), ""


def email_problem(value: object) -> tuple[str, str]:
    """Validate one address offline: (normalised address, "") or ("", what was expected).

    >>> email_problem("Lin.Wei@Lab.EXAMPLE")
    ('Lin.Wei@lab.example', '')
    """
    if not isinstance(value, str):
        return "", "an e-mail address in quotes"
    try:
        # No DNS: offline machines would reject good addresses, and mail must not wait on DNS.
        return validate_email(value, check_deliverability=False).normalized, ""
    except EmailNotValidError as exc:
        return "", f"a valid e-mail address ({exc})"


class Problems:
    """The problems found so far in one file (`file` as the user gave it)."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[ConfigProblem] = []

    def add(self, key: str, value: object, expected: str, *, file: str | None = None) -> None:
        """Record a problem; `value` is ABSENT for a missing key or one whose value is secret.

        `file` names another origin for settings that do not come from the file, such as
        "environment" for REFLECTOR_DB.
        """
        shown = None if value is ABSENT else toml_value(value)
        self.items.append(ConfigProblem(file or self.file, key, shown, expected))

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


class Reader:
    """Typed, checked access to one TOML table; mistakes are recorded in `problems`.

    `where` is the table's own path as the user sees it (`[imap]`, `[[meetings]][2]`, or "" for
    the top level) and `keys` every key the table may hold; anything else is reported at once.
    """

    def __init__(
        self,
        problems: Problems,
        where: str,
        table: object,
        keys: Sequence[str],
        *,
        secret_hint: str = SECRETS_HINT,
    ):
        self.problems, self.where, self.keys = problems, where, tuple(keys)
        if table is ABSENT:
            table = {}
        elif not isinstance(table, dict):
            problems.add(where, table, f"a table ({where} followed by its keys)")
            table = {}
        self.table: dict[str, object] = table
        for key, value in table.items():
            if key not in self.keys:
                self._unknown(key, value, secret_hint)

    def _unknown(self, key: str, value: object, secret_hint: str) -> None:
        if _SECRET_NAME.search(key):
            self.problems.add(self.path(key), ABSENT, f"no {key} here; {secret_hint}")
            return
        at_top = not self.where
        if at_top and isinstance(value, dict):
            key_path = f"[{toml_key(key)}]"
        elif at_top and isinstance(value, list) and value and isinstance(value[0], dict):
            key_path = f"[[{toml_key(key)}]]"
        else:
            key_path = self.path(key)
        expected = "one of: " + ", ".join(self.keys) + " (unknown key"
        close = difflib.get_close_matches(key, self.keys, n=1, cutoff=0.6)
        expected += f'; did you mean "{close[0]}"?)' if close else ")"
        self.problems.add(key_path, ABSENT, expected)

    def path(self, key: str) -> str:
        """The user-visible path of `key`: `[imap].port`, `[[meetings]][2].start`."""
        return f"{self.where}.{toml_key(key)}" if self.where else toml_key(key)

    def get(self, key: str) -> object:
        """The raw value, or ABSENT."""
        if key not in self.keys:  # a bug in the caller, not in the file
            raise KeyError(f"{key!r} is not declared for {self.where or 'the top level'}")
        return self.table.get(key, ABSENT)

    def has(self, key: str) -> bool:
        return self.get(key) is not ABSENT

    def problem(self, key: str, value: object, expected: str) -> None:
        self.problems.add(self.path(key), value, expected)

    def section(self, key: str, keys: Sequence[str], *, secret_hint: str = SECRETS_HINT) -> Reader:
        """The sub-table `[key]` (an empty one if the file lacks it)."""
        where = f"[{toml_key(key)}]" if not self.where else self.path(key)
        return Reader(self.problems, where, self.get(key), keys, secret_hint=secret_hint)

    def tables(self, key: str, keys: Sequence[str], *, what: str) -> list[Reader]:
        """An array of tables (`[[meetings]]`, or `[{...}, {...}]`); a single table is accepted."""
        value = self.get(key)
        if value is ABSENT:
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(key, value, what)
            return []
        base = f"[[{toml_key(key)}]]" if not self.where else self.path(key)
        return [Reader(self.problems, f"{base}[{i}]", v, keys) for i, v in enumerate(value, 1)]

    def missing(self, key: str, what: str) -> None:
        """Record that a required key is absent."""
        self.problem(key, ABSENT, f"{what} (required)")

    def string(
        self,
        key: str,
        default: str | None = None,
        *,
        what: str = "a non-empty string",
        pattern: re.Pattern[str] | None = None,
        allow_empty: bool = False,
    ) -> str:
        """A string; required when `default` is None. Empty strings are refused unless allowed."""
        value = self.get(key)
        if value is ABSENT:
            if default is None:
                self.missing(key, what)
            return default or ""
        if (
            not isinstance(value, str)
            or (not allow_empty and not value.strip())
            or (pattern is not None and not pattern.fullmatch(value))
        ):
            self.problem(key, value, what)
            return default or ""
        return value

    def optional_string(
        self, key: str, *, what: str = "a non-empty string", pattern: re.Pattern[str] | None = None
    ) -> str | None:
        """A string, or None when the key is absent (or wrong: then the problem is recorded)."""
        if not self.has(key):
            return None
        return self.string(key, "", what=what, pattern=pattern) or None

    def integer(
        self, key: str, lo: int, hi: int | None = None, *, default: int | None, note: str = ""
    ) -> int:
        """An integer in lo..hi (TOML booleans are refused although Python calls them ints)."""
        value = self.get(key)
        fallback = lo if default is None else default
        what = f"an integer {lo}-{hi}" if hi is not None else f"an integer of at least {lo}"
        what += f" ({note})" if note else ""
        if value is ABSENT:
            if default is None:
                self.missing(key, what)
            return fallback
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < lo
            or (hi is not None and value > hi)
        ):
            self.problem(key, value, what)
            return fallback
        return value

    def number(self, key: str, lo: float, hi: float, *, default: float) -> float:
        """A number (integer or float, not boolean) in lo..hi."""
        value = self.get(key)
        if value is ABSENT:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
            self.problem(key, value, f"a number from {lo:g} to {hi:g}")
            return default
        return float(value)

    def boolean(self, key: str, *, default: bool | None) -> bool:
        """true or false; required when `default` is None."""
        value = self.get(key)
        if value is ABSENT:
            if default is None:
                self.missing(key, "true or false")
            return bool(default)
        if not isinstance(value, bool):
            self.problem(key, value, "true or false")
            return bool(default)
        return value

    def choice(self, key: str, options: Sequence[str], *, default: str) -> str:
        """One of a fixed set of strings."""
        value = self.get(key)
        if value is ABSENT:
            return default
        if value not in options:
            self.problem(key, value, "one of " + ", ".join(f'"{o}"' for o in options))
            return default
        return str(value)

    def email(self, key: str, *, required: bool = True) -> str | None:
        """An e-mail address, normalised by email-validator (domain lower-cased)."""
        value = self.get(key)
        if value is ABSENT:
            if required:
                self.missing(key, "an e-mail address")
            return None
        address, expected = email_problem(value)
        if expected:
            self.problem(key, value, expected)
            return None
        return address

    def items(self, key: str, *, what: str) -> list[tuple[str, object]] | None:
        """The entries of a list as (path, value), e.g. `[lmtp].recipients[2]`; None if absent."""
        value = self.get(key)
        if value is ABSENT:
            return None
        if not isinstance(value, list):
            self.problem(key, value, what)
            return []
        return [(f"{self.path(key)}[{i}]", entry) for i, entry in enumerate(value, 1)]

    def emails(self, key: str, *, what: str) -> list[str] | None:
        """A list of e-mail addresses, normalised; None when absent. Bad ones are left out."""
        found = []
        for path, value in self.items(key, what=what) or []:
            address, expected = email_problem(value)
            if expected:
                self.problems.add(path, value, expected)
            else:
                found.append(address)
        return None if not self.has(key) else found

    def secret(
        self, key: str, default_var: str, env: Mapping[str, str], needed_for: str | None
    ) -> str:
        """The secret in the environment variable that `key` names (never a value in the file).

        `needed_for` says what the secret is for, for the message when the variable is unset or
        empty; None means an unset variable is fine (then "" is returned).
        """
        raw = self.get(key)
        what = f"the name of an environment variable such as {default_var}"
        var = self.string(key, default_var, what=what, pattern=_ENV_NAME)
        if raw is not ABSENT and raw != var:  # the name was wrong: already reported
            return ""
        secret = env.get(var, "")
        if not secret and needed_for is not None:
            self.problem(key, var, f"{var} to be set in the environment ({needed_for})")
        return secret

    def zone(self, key: str, *, default: str | None) -> str | None:
        """An IANA time-zone name; None if it is wrong (the problem is recorded)."""
        value = self.get(key)
        if value is ABSENT:
            if default is None:
                self.missing(key, "an IANA time zone such as Europe/Zurich")
            return default
        if isinstance(value, str) and is_zone(value):
            return value
        self.problem(key, value, "an IANA time zone such as Europe/Zurich")
        return None

    def moment(
        self, key: str, zone_name: str | None, *, required: bool, date_is_end_of_day: bool
    ) -> datetime | None:
        """A TOML date-time in UTC: local times are read in `zone_name`, offsets are honoured.

        A bare date means 23:59 local on that day when `date_is_end_of_day`, else it is refused.
        Returns None when absent or wrong (and when the zone itself was wrong: already reported).
        """
        value = self.get(key)
        example = "a date and time such as 2026-10-14T09:30:00"
        if value is ABSENT:
            if required:
                self.missing(key, example)
            return None
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                return value.astimezone(UTC)
            local = value
        elif isinstance(value, date) and date_is_end_of_day:
            local = datetime.combine(value, time(23, 59))
        elif isinstance(value, date):
            self.problem(key, value, f"{example} (a date alone does not say when it starts)")
            return None
        else:
            what = example + (" or a date such as 2026-10-02" if date_is_end_of_day else "")
            self.problem(key, value, what)
            return None
        if zone_name is None:
            return None
        utc, expected = localize(local, ZoneInfo(zone_name), zone_name)
        if utc is None:
            self.problem(key, value, expected)
        return utc


_TOML_WHERE = re.compile(r"^(.*) \(at (?:line (\d+), column (\d+)|end of document)\)$", re.DOTALL)


def read_toml(path: Path) -> dict[str, object]:
    """Parse the file, or raise ConfigError with the one problem that stops everything else.

    The problem names the file as the user gave it, and the line and column for syntax errors:
    `config.toml: line 3, column 8: expected valid TOML (Invalid value)`.
    """
    file = str(path)
    shown = json.dumps(str(path.absolute()), ensure_ascii=False)  # in full: no toml_value()
    try:
        # utf-8-sig: editors on Windows like to start the file with a byte-order mark.
        text = path.read_bytes().decode("utf-8-sig")
        return tomllib.loads(text)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        problem = ConfigProblem(
            file, "file", shown, "an existing file (copy config.toml from the repository)"
        )
    except OSError as exc:
        problem = ConfigProblem(file, "file", shown, f"a readable file ({exc.strerror})")
    except UnicodeDecodeError as exc:
        problem = ConfigProblem(file, f"byte {exc.start + 1}", None, "UTF-8 text")
    except tomllib.TOMLDecodeError as exc:
        match = _TOML_WHERE.match(str(exc))
        if match is None:  # a future message format: show it whole
            reason, where = str(exc), "syntax"
        else:
            reason, line, column = match.groups()
            where = f"line {line}, column {column}" if line else "end of file"
        problem = ConfigProblem(file, where, None, f"valid TOML ({reason})")
    raise ConfigError([problem])


def show_local(moment: datetime, zone_name: str) -> str:
    """A UTC moment as the secretariat reads it: `2027-01-20 14:00 Europe/Zurich`."""
    return f"{moment.astimezone(ZoneInfo(zone_name)):%Y-%m-%d %H:%M} {zone_name}"


def under(base: Path, relative: str) -> Path:
    """`relative` resolved against `base` (the config file's directory); absolute paths kept."""
    return Path(os.path.normpath(base / Path(relative).expanduser()))


_PASSWORD_IN_URL = re.compile(r"^([A-Za-z0-9+.-]+://[^:/@?#]*):[^@/?#]+@")


def has_password(url: str) -> bool:
    """True if the URL carries a password, in the user part or as `?password=`."""
    return bool(_PASSWORD_IN_URL.match(url)) or "password" in parse_qs(urlsplit(url).query)


def mask_password(url: str) -> str:
    """`postgresql://bot:s3cret@db/x` -> `postgresql://bot:***@db/x`."""
    url = _PASSWORD_IN_URL.sub(r"\1:***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", url)


def normalise_database_url(url: str, base: Path) -> str | None:
    """The async SQLAlchemy URL for `url`, or None if it is neither SQLite nor PostgreSQL.

    Relative SQLite paths are taken relative to `base`, the config file's directory.

    >>> normalise_database_url("sqlite:///var/bot.db", Path("/srv/qkdn"))
    'sqlite+aiosqlite:////srv/qkdn/var/bot.db'
    >>> normalise_database_url("postgres://bot@db.example/qkdn", Path("/srv"))
    'postgresql+asyncpg://bot@db.example/qkdn'
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        return None
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        return f"postgresql+asyncpg://{rest}"
    if scheme not in ("sqlite", "sqlite+aiosqlite") or (rest and not rest.startswith("/")):
        return None  # sqlite://host/... has no meaning
    file, q, query = rest[1:].partition("?")
    if file in ("", ":memory:"):
        return f"sqlite+aiosqlite:///:memory:{q}{query}"
    return f"sqlite+aiosqlite:///{under(base, file)}{q}{query}"
