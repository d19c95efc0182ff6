"""The one `ingest` seam every intake uses: keep the raw bytes and a `received` row.

It is idempotent. The same message twice is recorded once, whether it comes back with the same
source reference (IMAP UID, file path) or as the same bytes by another way (sha256; the bytes
include the Message-ID header, so "same Message-ID and sha256" is "same bytes"). A mail that
arrives twice with different bytes (e.g. one copy to the secretariat, one through the list) is
stored twice; processing recognises it as a duplicate delivery.

    async with db.write() as session:
        result = await add_message(session, Incoming(raw=data, source=Source.IMPORT), now)
    # committed: only now may the source be told the message is done
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.store.db import Database
from reflector.store.models import Message, RawMessage
from reflector.values import MessageStatus, Source

_HEADERS_ONLY = BytesHeaderParser(policy=compat32)


@dataclass(frozen=True)
class Incoming:
    """A message as a source hands it over."""

    raw: bytes
    source: Source
    source_ref: str | None = None  # unique per place it came from, None when there is none
    envelope_from: str | None = None
    envelope_to: tuple[str, ...] = ()
    imap_mailbox: str | None = None
    imap_uidvalidity: int | None = None
    imap_uid: int | None = None
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.raw).hexdigest())


@dataclass(frozen=True)
class IngestResult:
    message_pk: int
    duplicate: bool  # True when an earlier row already held this message


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID header without angle brackets, read cheaply and never raising.

    >>> message_id_of(b"Message-ID: <a1@example.org>\\r\\nSubject: x\\r\\n\\r\\nbody")
    'a1@example.org'
    """
    try:
        value = _HEADERS_ONLY.parsebytes(raw).get("Message-ID")
    except Exception:
        return None
    if not value:
        return None
    cleaned = "".join(ch for ch in str(value) if ch.isprintable()).strip().strip("<>").strip()
    return cleaned[:998] or None


async def add_message(session: AsyncSession, incoming: Incoming, now: datetime) -> IngestResult:
    """Store `incoming` (raw bytes + a `received` row) in the caller's transaction."""
    if incoming.source_ref is not None:
        found = await session.scalar(
            select(col(Message.id)).where(col(Message.source_ref) == incoming.source_ref)
        )
        if found is not None:
            return IngestResult(found, duplicate=True)

    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    await session.execute(
        insert(RawMessage)
        .values(sha256=incoming.sha256, size=len(incoming.raw), data=incoming.raw, stored_at=now)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )
    raw_id = await session.scalar(
        select(col(RawMessage.id)).where(col(RawMessage.sha256) == incoming.sha256)
    )
    assert raw_id is not None  # inserted above or already there
    found = await session.scalar(select(col(Message.id)).where(col(Message.raw_id) == raw_id))
    if found is not None:
        return IngestResult(found, duplicate=True)

    # ON CONFLICT DO NOTHING: a concurrent worker may have stored the same message meanwhile.
    inserted = await session.scalar(
        insert(Message)
        .values(
            raw_id=raw_id,
            message_id=message_id_of(incoming.raw),
            source=incoming.source.value,
            source_ref=incoming.source_ref,
            envelope_from=incoming.envelope_from,
            envelope_to=list(incoming.envelope_to),
            imap_mailbox=incoming.imap_mailbox,
            imap_uidvalidity=incoming.imap_uidvalidity,
            imap_uid=incoming.imap_uid,
            imap_done=False,
            received_at=now,
            status=MessageStatus.RECEIVED.value,
            reason="",
            to_addrs=[],
            subject="",
            reasons=[],
            fields={},
        )
        .on_conflict_do_nothing()
        .returning(col(Message.id))
    )
    if inserted is not None:
        return IngestResult(inserted, duplicate=False)
    found = await session.scalar(
        select(col(Message.id)).where(
            (col(Message.raw_id) == raw_id) | (col(Message.source_ref) == incoming.source_ref)
        )
    )
    assert found is not None
    return IngestResult(found, duplicate=True)


async def ingest(db: Database, incoming: Sequence[Incoming], now: datetime) -> list[IngestResult]:
    """Store a batch in one transaction; returns one result per message, in order."""
    async with db.write() as session:
        return [await add_message(session, item, now) for item in incoming]
