"""What a plan asks the shell to do: plain values, one class per kind of effect (pure).

The shell (`engine/apply.py`) carries them out in one transaction with the message's status;
`describe()` is the line `reflector explain` prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from reflector.commands import Command
from reflector.mail.compose import Party


@dataclass(frozen=True)
class FileFact:
    """An attached file as the classifier saw it (the bytes stay in the raw message)."""

    name: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class SavePerson:
    email: str
    name: str | None
    organisation: str | None

    def describe(self) -> str:
        org = f" ({self.organisation})" if self.organisation else ""
        return f"person {self.name or '?'} <{self.email}>{org}"


@dataclass(frozen=True)
class SaveRegistration:
    meeting: str
    email: str
    mode: str | None
    status: str  # "registered" | "cancelled"
    late: bool

    def describe(self) -> str:
        late = ", late" if self.late else ""
        mode = self.mode or "mode not given"
        return f"registration {self.email} for meeting {self.meeting}: {self.status} ({mode}{late})"


@dataclass(frozen=True)
class SaveDocument:
    meeting: str
    number: str
    seq: int
    revision: int
    title: str | None
    source: str | None
    late: bool
    files: tuple[FileFact, ...]
    existing: bool = False  # a correction of the document this message filed: update it

    def describe(self) -> str:
        late = " (late)" if self.late else ""
        if self.existing:
            shown = display_number(self.number, self.revision)
            return f"document {shown} corrected: {self.title!r}, source {self.source!r}"
        names = ", ".join(f.name for f in self.files) or "no files"
        return (
            f"document {display_number(self.number, self.revision)}{late}: {self.title!r}, {names}"
        )


@dataclass(frozen=True)
class SaveLiaison:
    number: str
    seq: int
    source_body: str | None
    group: str | None
    title: str | None
    for_: str | None
    deadline: date | None
    contact: str | None
    files: tuple[FileFact, ...]

    def describe(self) -> str:
        deadline = f", reply by {self.deadline.isoformat()}" if self.deadline else ""
        source = self.source_body or "?"
        return f"liaison {self.number} from {source}: for {self.for_ or '?'}{deadline}"


@dataclass(frozen=True)
class SendMail:
    key: str  # the outbox idempotency key
    purpose: str  # reply | notify | list
    template: str
    to: tuple[Party, ...]
    context: Mapping[str, Any] = field(repr=False)
    in_reply: bool  # threaded answer to the message: In-Reply-To, Auto-Submitted: auto-replied
    rate_key: str | None = None  # the address counted by the reply rate limit
    reply_to: Party | None = None
    attach_original: bool = False

    def describe(self) -> str:
        to = ", ".join(p.email for p in self.to)
        return f"mail {self.template!r} to {to} [{self.key}]"


@dataclass(frozen=True)
class SetStatus:
    status: str  # "held" | "quarantined"
    reason: str

    def describe(self) -> str:
        return f"{self.status}: {self.reason}"


@dataclass(frozen=True)
class RunCommand:
    """A secretariat command received by mail (release, reject, reclassify another message)."""

    command: Command

    def describe(self) -> str:
        c = self.command
        what = " ".join(x for x in (c.action, c.ref or "(the message answered)", c.kind or "") if x)
        return f"command: {what}"


Effect = (
    SavePerson | SaveRegistration | SaveDocument | SaveLiaison | SendMail | SetStatus | RunCommand
)


def display_number(number: str, revision: int) -> str:
    """A document number as shown to people: a revision keeps the number.

    >>> display_number("JCA-QKDN-6-I-005", 0), display_number("JCA-QKDN-6-I-005", 1)
    ('JCA-QKDN-6-I-005', 'JCA-QKDN-6-I-005R1')
    """
    return f"{number}R{revision}" if revision else number
