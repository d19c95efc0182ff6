"""Small value types shared by every layer (a leaf module: imports nothing of ours)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MessageStatus(StrEnum):
    """Where a stored message is in the pipeline."""

    RECEIVED = "received"  # stored, not yet looked at
    PROCESSED = "processed"  # understood and acted upon
    QUARANTINED = "quarantined"  # could not be handled safely; the secretariat must look
    IGNORED = "ignored"  # filed without action (auto-reply, bounce, duplicate, our own mail)
    HELD = "held"  # understood too little to act; waits for the secretariat


class Source(StrEnum):
    """How a message reached us."""

    IMAP = "imap"
    LMTP = "lmtp"
    IMPORT = "import"


class Kind(StrEnum):
    """What a message is. The first six come from classification, the rest from screening."""

    REGISTRATION = "registration"
    CONTRIBUTION = "contribution"
    LIAISON = "liaison"
    POST = "post"
    COMMAND = "command"
    OTHER = "other"
    AUTO_REPLY = "auto-reply"
    BOUNCE = "bounce"
    RECEIPT = "receipt"
    LOOP = "loop"
    SPOOFED = "spoofed"


@dataclass(frozen=True)
class Address:
    """A mailbox: display name (may be empty) and the address as written.

    >>> str(Address("Lin Wei", "lin.wei@lab.example"))
    'Lin Wei <lin.wei@lab.example>'
    """

    name: str
    email: str

    @property
    def key(self) -> str:
        """The form used to compare addresses: case-folded."""
        return self.email.casefold()

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email
