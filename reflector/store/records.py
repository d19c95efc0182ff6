"""Read-side queries for the group's records: registrations, documents, liaison statements.

The `fetch_*` functions return typed entries (what `reflector export` needs); the `list_*`
functions turn them into plain rows (JSON-able dicts) for `reflector list`, with times in the
meeting's time zone (`reflector.store.recordtables` prints them as tables with totals):

    rows = await list_registrations(db, settings, meeting="6")
    # [{"meeting": "6", "name": "Maria Rossi", "email": "maria.rossi@qtech.example", ...,
    #   "registered_at": "2027-01-05T10:00:00+01:00", "timezone": "Europe/Zurich", ...}]

A document's number is shown with its revision, as the group writes it:

>>> display_number("JCA-QKDN-6-I-005", 0), display_number("JCA-QKDN-6-I-005", 1)
('JCA-QKDN-6-I-005', 'JCA-QKDN-6-I-005R1')

Liaison statements belong to no meeting; those *for* a meeting are the ones received after the
previous meeting ended and no later than this one ends (`liaison_period`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import col

from reflector.config import Settings
from reflector.store.db import Database
from reflector.store.models import Document, DocumentFile, Liaison, Message, Person, Registration

REGISTRATION_STATUSES = ("registered", "cancelled")
LIAISON_STATUSES = ("open", "answered")
# The keys of each kind of row, in order (the CSV header, even when there are no rows).
REGISTRATION_COLUMNS: tuple[str, ...] = (
    *("meeting", "name", "email", "organisation", "mode", "status", "late"),
    *("registered_at", "updated_at", "timezone", "message", "message_id"),
)
DOCUMENT_COLUMNS: tuple[str, ...] = (
    *("number", "revision", "meeting", "title", "source", "received_at", "timezone"),
    *("late", "files", "message", "message_id"),
)
LIAISON_COLUMNS: tuple[str, ...] = (
    *("number", "from", "source_body", "group_name", "title", "for", "deadline", "contact"),
    *("status", "received_at", "timezone", "files", "message", "message_id"),
)


@dataclass(frozen=True)
class FileEntry:
    """A stored file without its bytes (`read_file_data` fetches those)."""

    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class RegistrationEntry:
    registration: Registration
    person: Person
    message_id: str | None  # the Message-ID of the mail it came from


@dataclass(frozen=True)
class DocumentEntry:
    document: Document
    files: tuple[FileEntry, ...]
    message_id: str | None

    @property
    def number(self) -> str:
        return display_number(self.document.number, self.document.revision)


@dataclass(frozen=True)
class LiaisonEntry:
    liaison: Liaison
    files: tuple[FileEntry, ...]
    message_id: str | None


def display_number(number: str, revision: int) -> str:
    """`number` for the first version, `number` + "R" + revision for a revision."""
    return f"{number}R{revision}" if revision else number


def meeting_zone(settings: Settings, meeting: str) -> ZoneInfo:
    """The meeting's time zone; the group's for a meeting no longer in the configuration."""
    found = settings.meeting(meeting)
    return found.zone if found else ZoneInfo(settings.group.timezone)


def liaison_period(settings: Settings, meeting: str) -> tuple[datetime | None, datetime]:
    """(after, until]: from the end of the previous meeting (None: no earlier meeting) to the end
    of this one. Raises KeyError for a meeting that is not in the configuration."""
    this = settings.meeting(meeting)
    if this is None:
        raise KeyError(meeting)
    earlier = [m.end for m in settings.meetings if m.end <= this.start and m.id != this.id]
    return (max(earlier) if earlier else None), this.end


async def fetch_registrations(
    db: Database, *, meeting: str | None = None, status: str | None = None
) -> list[RegistrationEntry]:
    """Registrations with their person, by meeting, then in the order they arrived."""
    query = (
        select(Registration, Person, col(Message.message_id))
        .join(Person, col(Person.id) == col(Registration.person_id))
        .outerjoin(Message, col(Message.id) == col(Registration.message_pk))
        .order_by(col(Registration.meeting), col(Registration.created_at), col(Registration.id))
    )
    if meeting is not None:
        query = query.where(col(Registration.meeting) == meeting)
    if status is not None:
        query = query.where(col(Registration.status) == status)
    async with db.read() as session:
        rows = (await session.execute(query)).all()
    return [RegistrationEntry(r, p, mid) for r, p, mid in rows]


_FILE_COLUMNS = (
    col(DocumentFile.id),
    col(DocumentFile.filename),
    col(DocumentFile.content_type),
    col(DocumentFile.size),
    col(DocumentFile.sha256),
)


def _file(row: Sequence[Any]) -> FileEntry:
    return FileEntry(*row[1:])  # row[0] is the owner's id


async def fetch_documents(db: Database, *, meeting: str | None = None) -> list[DocumentEntry]:
    """Documents with their files (names, sizes, checksums), by meeting, number and revision."""
    query = (
        select(Document, col(Message.message_id))
        .outerjoin(Message, col(Message.id) == col(Document.message_pk))
        .order_by(col(Document.meeting), col(Document.seq), col(Document.revision))
    )
    files = (
        select(col(DocumentFile.document_id), *_FILE_COLUMNS)
        .join(Document, col(Document.id) == col(DocumentFile.document_id))
        .order_by(col(DocumentFile.id))
    )
    if meeting is not None:
        query = query.where(col(Document.meeting) == meeting)
        files = files.where(col(Document.meeting) == meeting)
    async with db.read() as session:
        documents = (await session.execute(query)).all()
        by_document: dict[int | None, list[FileEntry]] = {}
        for row in (await session.execute(files)).all():
            by_document.setdefault(row[0], []).append(_file(row))
    return [DocumentEntry(d, tuple(by_document.get(d.id, ())), mid) for d, mid in documents]


async def fetch_liaisons(
    db: Database,
    *,
    after: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
) -> list[LiaisonEntry]:
    """Liaison statements received in (after, until], in the order of their numbers."""
    query = (
        select(Liaison, col(Message.message_id))
        .outerjoin(Message, col(Message.id) == col(Liaison.message_pk))
        .order_by(col(Liaison.seq), col(Liaison.id))
    )
    files = (
        select(col(DocumentFile.liaison_id), *_FILE_COLUMNS)
        .join(Liaison, col(Liaison.id) == col(DocumentFile.liaison_id))
        .order_by(col(DocumentFile.id))
    )
    conditions = []
    if after is not None:
        conditions.append(col(Liaison.received_at) > after)
    if until is not None:
        conditions.append(col(Liaison.received_at) <= until)
    if status is not None:
        conditions.append(col(Liaison.status) == status)
    query, files = query.where(*conditions), files.where(*conditions)
    async with db.read() as session:
        liaisons = (await session.execute(query)).all()
        by_liaison: dict[int | None, list[FileEntry]] = {}
        for row in (await session.execute(files)).all():
            by_liaison.setdefault(row[0], []).append(_file(row))
    return [LiaisonEntry(ls, tuple(by_liaison.get(ls.id, ())), mid) for ls, mid in liaisons]


async def read_file_data(db: Database, file_id: int) -> bytes:
    """The bytes of one stored file (one at a time: a meeting's files may not fit in memory)."""
    async with db.read() as session:
        data = await session.scalar(
            select(col(DocumentFile.data)).where(col(DocumentFile.id) == file_id)
        )
    if data is None:
        raise KeyError(file_id)
    return bytes(data)


# ---------------------------------------------------------------------------- rows for `list`


def _local(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).isoformat(timespec="seconds")


def _files(files: Sequence[FileEntry]) -> list[dict[str, Any]]:
    return [{"filename": f.filename, "size": f.size, "sha256": f.sha256} for f in files]


def registration_row(entry: RegistrationEntry, zone: ZoneInfo) -> dict[str, Any]:
    r, p = entry.registration, entry.person
    return {
        "meeting": r.meeting,
        "name": p.name,
        "email": p.email,
        "organisation": p.organisation,
        "mode": r.mode,
        "status": r.status,
        "late": r.late,
        "registered_at": _local(r.created_at, zone),
        "updated_at": _local(r.updated_at, zone),
        "timezone": zone.key,
        "message": r.message_pk,
        "message_id": entry.message_id,
    }


def document_row(entry: DocumentEntry, zone: ZoneInfo) -> dict[str, Any]:
    d = entry.document
    return {
        "number": entry.number,
        "revision": d.revision,
        "meeting": d.meeting,
        "title": d.title,
        "source": d.source,
        "received_at": _local(d.received_at, zone),
        "timezone": zone.key,
        "late": d.late,
        "files": _files(entry.files),
        "message": d.message_pk,
        "message_id": entry.message_id,
    }


def liaison_row(entry: LiaisonEntry, zone: ZoneInfo) -> dict[str, Any]:
    ls = entry.liaison
    return {
        "number": ls.number,
        "from": " ".join(part for part in (ls.source_body, ls.group_name) if part),
        "source_body": ls.source_body,
        "group_name": ls.group_name,
        "title": ls.title,
        "for": ls.for_,
        "deadline": ls.deadline.isoformat() if ls.deadline else None,
        "contact": ls.contact,
        "status": ls.status,
        "received_at": _local(ls.received_at, zone),
        "timezone": zone.key,
        "files": _files(entry.files),
        "message": ls.message_pk,
        "message_id": entry.message_id,
    }


async def list_registrations(
    db: Database, settings: Settings, *, meeting: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Registrations as rows, times in each meeting's zone."""
    entries = await fetch_registrations(db, meeting=meeting, status=status)
    return [registration_row(e, meeting_zone(settings, e.registration.meeting)) for e in entries]


async def list_documents(
    db: Database, settings: Settings, *, meeting: str | None = None
) -> list[dict[str, Any]]:
    """Documents (each revision a row) with their files, times in each meeting's zone."""
    entries = await fetch_documents(db, meeting=meeting)
    return [document_row(e, meeting_zone(settings, e.document.meeting)) for e in entries]


async def list_liaisons(
    db: Database, settings: Settings, *, meeting: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """Liaison statements (of the meeting's period, if given); times in that meeting's zone,
    else in the group's."""
    after, until = liaison_period(settings, meeting) if meeting else (None, None)
    zone = meeting_zone(settings, meeting) if meeting else ZoneInfo(settings.group.timezone)
    entries = await fetch_liaisons(db, after=after, until=until, status=status)
    return [liaison_row(e, zone) for e in entries]
