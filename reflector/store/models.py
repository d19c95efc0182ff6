"""The tables. Every datetime is UTC (`UTCDateTime`); JSON columns are reassigned, never mutated.

No `from __future__ import annotations` here: SQLModel needs the real annotations (sqlmodel#196).

    raw_messages   the bytes exactly as received, once per distinct content (sha256)
    messages       one row per message we took in: where from, status, what it is
    imap_cursors   per IMAP account and mailbox: UIDVALIDITY and the last UID taken in
    people, registrations, documents, document_files, liaisons
                   the group's records, filled by the workflows
    outbox         every mail we send, with its idempotency key
    meetings       the calendar: from config.toml and `reflector meetings add|edit`
    corrections    the secretariat's releases, rejections and reclassifications
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from reflector.store.types import UTCDateTime, json_type

# Named constraints, so later migrations can drop or alter them (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _utc(**kwargs: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kwargs)


def _json(**kwargs: Any) -> Any:
    return Field(sa_type=json_type(), **kwargs)


class RawMessage(SQLModel, table=True):
    """A message's bytes, kept forever, exactly as they arrived."""

    __tablename__ = "raw_messages"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, unique=True)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    stored_at: datetime = _utc()


class Message(SQLModel, table=True):
    """One message taken in, and where it is in the pipeline (`status`, `reason`)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    # One row per distinct content: the same bytes again are a duplicate (sha256 covers the
    # Message-ID header, so "same Message-ID and same bytes" is "same raw row").
    raw_id: int = Field(foreign_key="raw_messages.id", unique=True)
    message_id: str | None = Field(default=None, index=True)
    source: str = Field(max_length=16)  # Source
    # Where it came from, unique: imap://user@host/INBOX;UIDVALIDITY=7/;UID=42, file:/x.mbox#3
    source_ref: str | None = Field(default=None, unique=True)
    envelope_from: str | None = None
    envelope_to: list[str] = _json(default_factory=list)
    imap_mailbox: str | None = None
    # IMAP numbers are unsigned 32-bit (RFC 3501 s.2.3.1.1): too big for a signed INTEGER.
    imap_uidvalidity: int | None = Field(default=None, sa_type=BigInteger)
    imap_uid: int | None = Field(default=None, sa_type=BigInteger)
    # True once the IMAP message is flagged \Seen or moved (done only after our commit).
    imap_done: bool = False
    received_at: datetime = _utc(index=True)

    # Filled in by processing (parse -> screen -> classify).
    status: str = Field(default="received", max_length=16)  # MessageStatus
    reason: str = ""
    from_addr: str | None = None
    from_name: str | None = None
    to_addrs: list[str] = _json(default_factory=list)
    subject: str = ""
    date: datetime | None = _utc(default=None, nullable=True)
    kind: str | None = Field(default=None, max_length=16)  # Kind
    confidence: float | None = None
    reasons: list[str] = _json(default_factory=list)
    fields: dict[str, Any] = _json(default_factory=dict)
    processed_at: datetime | None = _utc(default=None, nullable=True)
    # What the workflows did with it (`reflector explain`): the workflow that ran, each
    # condition with its value, and the effects (see reflector.engine.plan.Plan.trace).
    actions: dict[str, Any] = _json(default_factory=dict)


class ImapCursor(SQLModel, table=True):
    """How far we got in one IMAP mailbox: RFC 3501 s.2.3.1.1 UIDVALIDITY + last UID."""

    __tablename__ = "imap_cursors"
    __table_args__ = (UniqueConstraint("account", "mailbox"),)

    id: int | None = Field(default=None, primary_key=True)
    account: str  # user@host:port
    mailbox: str
    uidvalidity: int = Field(sa_type=BigInteger)
    last_uid: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime = _utc()


class Person(SQLModel, table=True):
    """Someone who wrote to us or was registered: one row per address."""

    __tablename__ = "people"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)  # case-folded
    name: str = ""
    organisation: str | None = None
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Registration(SQLModel, table=True):
    """One person registered for one meeting."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("meeting", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting: str  # Meeting.id from the configuration
    person_id: int = Field(foreign_key="people.id")
    mode: str | None = None  # "in-person" | "remote"
    status: str = "registered"  # "registered" | "cancelled"
    late: bool = False
    message_pk: int | None = Field(default=None, foreign_key="messages.id")
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Document(SQLModel, table=True):
    """An input document (contribution), numbered per meeting; revisions keep the number."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("number", "revision"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting: str = Field(index=True)
    number: str  # e.g. JCA-QKDN-I-005 (a revision keeps it: shown as JCA-QKDN-I-005R1)
    seq: int  # the number's sequence: per meeting if the pattern has {meeting}, else per group
    revision: int = 0
    title: str | None = None
    source: str | None = None
    late: bool = False
    message_pk: int | None = Field(default=None, foreign_key="messages.id")
    received_at: datetime = _utc()


class DocumentFile(SQLModel, table=True):
    """A file of a document or of a liaison statement, kept with its checksum."""

    __tablename__ = "document_files"

    id: int | None = Field(default=None, primary_key=True)
    document_id: int | None = Field(default=None, foreign_key="documents.id", index=True)
    liaison_id: int | None = Field(default=None, foreign_key="liaisons.id", index=True)
    filename: str
    content_type: str
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Liaison(SQLModel, table=True):
    """A liaison statement received from another body."""

    __tablename__ = "liaisons"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    seq: int
    source_body: str | None = None
    group_name: str | None = None
    title: str | None = None
    for_: str | None = Field(default=None, sa_column_kwargs={"name": "for"})
    deadline: date | None = None
    contact: str | None = None
    status: str = "open"  # "open" | "answered"
    message_pk: int | None = Field(default=None, foreign_key="messages.id")
    received_at: datetime = _utc()


class Outbox(SQLModel, table=True):
    """One outgoing mail. `idem_key` is the contract: enqueueing an existing key does nothing."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    idem_key: str = Field(unique=True)
    purpose: str = Field(default="", max_length=16)  # reply | notify | list | reminder | digest
    # Automatic replies are counted per recipient (rate limit): the address, else None.
    rate_key: str | None = Field(default=None, index=True)
    subject: str = ""  # for lists and the digest
    status: str = "queued"  # queued | sending | sent | failed | expired
    message_id: str  # the Message-ID header of the mail, kept across retries
    envelope_from: str
    envelope_to: list[str] = _json(default_factory=list)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    attempts: int = 0
    next_attempt_at: datetime = _utc()
    last_replies: dict[str, Any] = _json(default_factory=dict)
    cause_pk: int | None = Field(default=None, foreign_key="messages.id")
    created_at: datetime = _utc()
    sent_at: datetime | None = _utc(default=None, nullable=True)
    claimed_by: str = ""  # host:pid:token of the sender that claimed it last (reflector.outbox)


class MeetingRow(SQLModel, table=True):
    """A meeting, as config.toml or `reflector meetings add|edit` gave it (times in UTC)."""

    __tablename__ = "meetings"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: str = Field(unique=True)  # Meeting.id: "6"
    title: str
    place: str
    timezone: str
    start: datetime = _utc()
    end: datetime = _utc()
    in_person: bool
    remote: bool
    registration_deadline: datetime | None = _utc(default=None, nullable=True)
    input_deadline: datetime | None = _utc(default=None, nullable=True)
    agenda: str = Field(default="", sa_type=Text)
    announce_at: datetime | None = _utc(default=None, nullable=True)
    sequence: int = 0  # raised on every change: the .ics SEQUENCE of its announcement
    source: str = "config"  # "config" | "command" (then config.toml no longer overrides it)
    created_at: datetime = _utc()
    updated_at: datetime = _utc()


class Correction(SQLModel, table=True):
    """A decision of the secretariat about a message: release, reject or reclassify."""

    __tablename__ = "corrections"

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="messages.id", index=True)
    action: str = Field(max_length=16)  # "release" | "reject" | "reclassify"
    from_kind: str | None = Field(default=None, max_length=16)
    to_kind: str | None = Field(default=None, max_length=16)
    fields: dict[str, Any] = _json(default_factory=dict)  # the values the secretariat gave
    by: str  # "command line" or the secretariat address that mailed the command
    reason: str = ""
    at: datetime = _utc()
