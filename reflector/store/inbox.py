"""The one `ingest` seam every intake uses: keep the raw bytes and a `received` row.

It is idempotent. The same message twice is recorded once, whether it comes back with the same
source reference (IMAP UID, file path) or as the same bytes by another way (sha256; the bytes
include the Message-ID header, so "same Message-ID and sha256" is "same bytes"). A mail that
arrives twice with different bytes (e.g. one copy to the secretariat, one through the list) is
stored twice; processing recognises it as a duplicate delivery.

    async with db.write() as session:
        [result] = await add_messages(session, [Incoming(raw=data, source=Source.IMPORT)], now)
    # committed: only now may the source be told the message is done
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.batching import chunked
from reflector.store.db import Database
from reflector.store.models import Message, RawMessage
from reflector.values import MessageStatus, Source

IN_LIST = 500  # values per IN (...) list: far below SQLite's and PostgreSQL's limits
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# RFC 5322 s.3.6.4; the value may be folded onto continuation lines.
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.I | re.M)


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

    Only the header block is scanned (this runs for every message taken in).

    >>> message_id_of(b"Message-ID: <a1@example.org>\\r\\nSubject: x\\r\\n\\r\\nbody")
    'a1@example.org'
    >>> message_id_of(b"Subject: x\\n\\nMessage-ID: <in-the-body@example.org>") is None
    True
    """
    end = _HEADER_END.search(raw)
    match = _MESSAGE_ID.search(raw, 0, end.start() if end else len(raw))
    if match is None:
        return None
    value = match.group(1).decode("utf-8", "replace")
    cleaned = "".join(ch for ch in value if ch.isprintable()).strip().strip("<>").strip()
    return cleaned[:998] or None


async def add_messages(
    session: AsyncSession, items: Sequence[Incoming], now: datetime
) -> list[IngestResult]:
    """Store `items` (raw bytes + `received` rows) in the caller's transaction, in few statements.

    Returns one result per item, in order. The same content twice in one batch is stored once.
    """
    # Core tables rather than ORM classes: plain bulk statements, no per-row ORM work.
    raws: Table = RawMessage.__table__  # type: ignore[attr-defined]  # set by SQLModel
    messages: Table = Message.__table__  # type: ignore[attr-defined]
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert

    # 1. Already taken in from the same place?
    by_ref: dict[str, int] = {}
    for refs in chunked([i.source_ref for i in items if i.source_ref is not None], IN_LIST):
        rows = await session.execute(
            select(messages.c.source_ref, messages.c.id).where(messages.c.source_ref.in_(refs))
        )
        by_ref.update({ref: pk for ref, pk in rows})
    # Distinct contents not yet seen at their source, in arrival order; the first one wins.
    fresh: dict[str, Incoming] = {}
    for item in items:
        if item.source_ref not in by_ref:
            fresh.setdefault(item.sha256, item)

    # 2. The bytes, once per distinct content.
    if fresh:
        await session.execute(
            insert(raws).on_conflict_do_nothing(index_elements=["sha256"]),
            [
                {"sha256": sha, "size": len(i.raw), "data": i.raw, "stored_at": now}
                for sha, i in fresh.items()
            ],
        )
    raw_ids: dict[str, int] = {}
    for shas in chunked(list(fresh), IN_LIST):
        rows = await session.execute(
            select(raws.c.sha256, raws.c.id).where(raws.c.sha256.in_(shas))
        )
        raw_ids.update({sha: pk for sha, pk in rows})

    # 3. A message row per content not yet held.
    held: dict[int, int] = {}
    for ids in chunked(list(raw_ids.values()), IN_LIST):
        rows = await session.execute(
            select(messages.c.raw_id, messages.c.id).where(messages.c.raw_id.in_(ids))
        )
        held.update({raw_id: pk for raw_id, pk in rows})
    new_rows = [  # in arrival order, so row numbers follow the order mail came in
        _message_row(item, raw_ids[sha], now)
        for sha, item in fresh.items()
        if raw_ids[sha] not in held
    ]
    created: dict[int, int] = {}
    if new_rows:
        # ON CONFLICT DO NOTHING: a concurrent worker may have stored the same message meanwhile.
        rows = await session.execute(
            insert(messages).on_conflict_do_nothing().returning(messages.c.raw_id, messages.c.id),
            new_rows,
        )
        created = {raw_id: pk for raw_id, pk in rows}
        for row in new_rows:
            if row["raw_id"] not in created:
                held[row["raw_id"]] = await _existing(session, row["raw_id"], row["source_ref"])

    results: list[IngestResult] = []
    first_seen: set[int] = set()
    for item in items:
        if item.source_ref in by_ref:
            results.append(IngestResult(by_ref[item.source_ref], duplicate=True))
            continue
        raw_id = raw_ids[item.sha256]
        pk = created.get(raw_id)
        is_new = pk is not None and raw_id not in first_seen
        first_seen.add(raw_id)
        results.append(IngestResult(pk if pk is not None else held[raw_id], duplicate=not is_new))
    return results


def _message_row(item: Incoming, raw_id: int, now: datetime) -> dict[str, Any]:
    return {
        "raw_id": raw_id,
        "message_id": message_id_of(item.raw),
        "source": item.source.value,
        "source_ref": item.source_ref,
        "envelope_from": item.envelope_from,
        "envelope_to": list(item.envelope_to),
        "imap_mailbox": item.imap_mailbox,
        "imap_uidvalidity": item.imap_uidvalidity,
        "imap_uid": item.imap_uid,
        "imap_done": False,
        "received_at": now,
        "status": MessageStatus.RECEIVED.value,
        "reason": "",
        "to_addrs": [],
        "subject": "",
        "reasons": [],
        "fields": {},
    }


async def _existing(session: AsyncSession, raw_id: int, source_ref: str | None) -> int:
    """The row that won a race for the same content or source reference."""
    found = await session.scalar(
        select(col(Message.id)).where(
            (col(Message.raw_id) == raw_id) | (col(Message.source_ref) == source_ref)
        )
    )
    assert found is not None  # the insert conflicted with exactly such a row
    return found


async def ingest(db: Database, incoming: Sequence[Incoming], now: datetime) -> list[IngestResult]:
    """Store a batch in one transaction; returns one result per message, in order."""
    async with db.write() as session:
        return await add_messages(session, incoming, now)
