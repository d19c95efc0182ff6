"""The store on SQLite and PostgreSQL: schema, idempotent ingest, UTC times, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlmodel import SQLModel

from reflector.errors import StoreError
from reflector.store.db import Database
from reflector.store.inbox import Incoming, ingest
from reflector.store.models import ImapCursor, Message, RawMessage
from reflector.values import Source

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def _raw(n: int, message_id: str | None = "auto") -> bytes:
    mid = f"Message-ID: <m{n}@example.org>\r\n" if message_id == "auto" else ""
    return f"From: a@example.org\r\n{mid}Subject: {n}\r\n\r\nbody {n}\r\n".encode()


async def _count(db: Database, model: type) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_migrations_build_exactly_the_models(db: Database) -> None:
    def diff(connection):  # type: ignore[no-untyped-def]
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_migrate_twice_is_harmless(db: Database) -> None:
    await db.migrate()
    await ingest(db, [Incoming(_raw(1), Source.IMPORT)], NOW)
    await db.migrate()
    assert await _count(db, Message) == 1


async def test_same_source_ref_is_recorded_once(db: Database) -> None:
    first = await ingest(db, [Incoming(_raw(1), Source.IMPORT, "file:/a.eml")], NOW)
    again = await ingest(db, [Incoming(_raw(1), Source.IMPORT, "file:/a.eml")], NOW)
    assert not first[0].duplicate
    assert again[0].duplicate and again[0].message_pk == first[0].message_pk
    assert await _count(db, Message) == 1


async def test_same_bytes_by_another_way_are_recorded_once(db: Database) -> None:
    results = await ingest(
        db,
        [
            Incoming(_raw(2), Source.IMAP, "imap://bot@h:1/INBOX;UIDVALIDITY=1/;UID=5"),
            Incoming(_raw(2), Source.LMTP),
            Incoming(_raw(2), Source.IMPORT, "file:/copy.eml"),
        ],
        NOW,
    )
    assert [r.duplicate for r in results] == [False, True, True]
    assert await _count(db, Message) == 1
    assert await _count(db, RawMessage) == 1


async def test_messages_without_message_id_are_told_apart_by_content(db: Database) -> None:
    results = await ingest(
        db,
        [
            Incoming(_raw(3, message_id=None), Source.LMTP),
            Incoming(_raw(4, message_id=None), Source.LMTP),
            Incoming(_raw(3, message_id=None), Source.LMTP),
        ],
        NOW,
    )
    assert [r.duplicate for r in results] == [False, False, True]
    assert await _count(db, Message) == 2


async def test_a_received_row_keeps_the_bytes_and_the_envelope(db: Database) -> None:
    raw = _raw(5)
    [result] = await ingest(
        db,
        [Incoming(raw, Source.LMTP, envelope_from="a@example.org", envelope_to=("x@y.example",))],
        NOW,
    )
    async with db.read() as session:
        message = await session.get(Message, result.message_pk)
        assert message is not None
        stored = await session.get(RawMessage, message.raw_id)
    assert stored is not None and stored.data == raw and stored.size == len(raw)
    assert message.status == "received"
    assert message.message_id == "m5@example.org"
    assert message.envelope_to == ["x@y.example"]
    assert message.received_at == NOW


async def test_datetimes_come_back_in_utc(db: Database) -> None:
    zurich_morning = datetime(2026, 3, 29, 9, 0, tzinfo=timezone(timedelta(hours=2)))
    async with db.write() as session:
        session.add(
            ImapCursor(account="a", mailbox="INBOX", uidvalidity=1, updated_at=zurich_morning)
        )
    async with db.read() as session:
        cursor = await session.scalar(select(ImapCursor))
    assert cursor is not None
    assert cursor.updated_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert cursor.updated_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with db.write() as session:
            session.add(
                ImapCursor(
                    account="a", mailbox="INBOX", uidvalidity=1, updated_at=datetime(2026, 1, 1)
                )
            )


async def test_uids_above_two_to_the_31_fit(db: Database) -> None:
    async with db.write() as session:
        session.add(
            ImapCursor(
                account="a",
                mailbox="INBOX",
                uidvalidity=4_294_967_295,
                last_uid=4_294_967_290,
                updated_at=NOW,
            )
        )
    async with db.read() as session:
        cursor = await session.scalar(select(ImapCursor))
    assert cursor is not None and cursor.uidvalidity == 4_294_967_295


async def test_concurrent_writers_do_not_fail_or_duplicate(db: Database) -> None:
    """4 tasks x 20 transactions, half of them racing on the same messages."""

    async def writer(task: int) -> None:
        for n in range(20):
            await ingest(db, [Incoming(_raw(1000 + n), Source.LMTP)], NOW)  # shared by all
            await ingest(db, [Incoming(_raw(2000 + task * 100 + n), Source.LMTP)], NOW)

    await asyncio.gather(*(writer(t) for t in range(4)))
    assert await _count(db, Message) == 20 + 4 * 20


async def test_an_unreachable_database_is_a_store_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    with pytest.raises(StoreError, match="unavailable"):
        await db.migrate()
    await db.close()


async def test_read_then_write_transactions_do_not_lock_each_other_out(db: Database) -> None:
    """The processing pattern (read a row, then update it) from 4 tasks: no "database is
    locked", no lost update. On SQLite this needs BEGIN IMMEDIATE."""
    async with db.write() as session:
        session.add(ImapCursor(account="a", mailbox="INBOX", uidvalidity=1, updated_at=NOW))

    async def bump() -> None:
        for _ in range(20):
            async with db.write() as session:
                cursor = await session.scalar(select(ImapCursor).with_for_update())
                assert cursor is not None
                await asyncio.sleep(0)  # let the other tasks start their transactions
                cursor.last_uid += 1

    await asyncio.gather(*(bump() for _ in range(4)))
    async with db.read() as session:
        assert (await session.scalar(select(ImapCursor.last_uid))) == 80
