"""The engine's shell on real databases: one transaction per message, numbers that never
collide between workers, and plans that fail changing nothing."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from reflector.engine.apply import Engine
from reflector.pipeline import process_pending
from reflector.store.db import Database
from reflector.store.inbox import Incoming, ingest
from reflector.store.models import Document, Message, Outbox, Registration
from reflector.understand import policy_from_settings
from reflector.values import Source

from factories import make_message, make_settings

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def take_in(db: Database, raws: list[bytes]) -> None:
    items = [Incoming(raw, Source.IMPORT, f"test:{i}") for i, raw in enumerate(raws)]
    await ingest(db, items, NOW)


async def rows(db: Database, model: type) -> list:
    async with db.read() as session:
        return list((await session.scalars(select(model))).all())


def contribution(n: int) -> bytes:
    return make_message(
        f"Input document for meeting 6: topic {n}",
        "Please find attached our contribution.",
        sender=f"Author {n} <author{n}@lab{n}.example>",
        attachment=(f"input-{n}.docx", f"document {n}".encode(), "application/octet-stream"),
    )


async def test_three_workers_never_give_two_inputs_the_same_number(
    db: Database, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path)
    engine, policy = Engine.from_settings(settings), policy_from_settings(settings)
    await take_in(db, [contribution(n) for n in range(30)])

    await asyncio.gather(
        *(process_pending(db, policy, NOW, engine=engine, batch=4) for _ in range(3))
    )

    numbers = sorted(d.number for d in await rows(db, Document))
    assert numbers == [f"JCA-QKDN-6-I-{n:03d}" for n in range(1, 31)]
    acks = [o for o in await rows(db, Outbox) if o.idem_key.startswith("ack:")]
    assert len(acks) == 30


async def test_processing_again_sends_nothing_twice(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    engine, policy = Engine.from_settings(settings), policy_from_settings(settings)
    await take_in(sqlite_db, [make_message(message_id="<r1@qtech.example>")])
    await process_pending(sqlite_db, policy, NOW, engine=engine)

    # The same message handled again (as after a correction): the outbox key already exists.
    async with sqlite_db.write() as session:
        (message,) = (await session.scalars(select(Message))).all()
        message.status = "received"
    await process_pending(sqlite_db, policy, NOW, engine=engine)

    assert [o.idem_key for o in await rows(sqlite_db, Outbox)] == ["ack:r1@qtech.example"]
    assert len(await rows(sqlite_db, Registration)) == 1


async def test_a_template_that_fails_quarantines_and_files_nothing(
    sqlite_db: Database, tmp_path: Path
) -> None:
    broken = tmp_path / "templates" / "registration_ack"
    broken.mkdir(parents=True)
    (broken / "text.txt").write_text("{{ filed.registration.nobody.name }}\n")
    settings = make_settings(tmp_path)
    assert settings.templates_dir == tmp_path / "templates"
    engine, policy = Engine.from_settings(settings), policy_from_settings(settings)
    await take_in(sqlite_db, [make_message()])

    await process_pending(sqlite_db, policy, NOW, engine=engine)

    (message,) = await rows(sqlite_db, Message)
    assert message.status == "quarantined"
    assert "registration_ack/text.txt" in message.reason and "nobody" in message.reason
    assert await rows(sqlite_db, Registration) == []
    assert await rows(sqlite_db, Outbox) == []


@pytest.mark.parametrize(
    "sender",
    [
        b"=?utf-8?q?Maria=0D=0ABcc=3A_victim=40example=2Eorg?= <maria.rossi@qtech.example>",
        b"=?utf-8?q?Maria=0D=0ABcc:_victim@example.org?= <maria.rossi@qtech.example>",
    ],
    ids=["encoded-name", "malformed-group"],
)
async def test_a_line_break_smuggled_into_a_name_cannot_add_headers(
    sqlite_db: Database, tmp_path: Path, sender: bytes
) -> None:
    settings = make_settings(tmp_path)
    engine, policy = Engine.from_settings(settings), policy_from_settings(settings)
    hostile = make_message().replace(
        b"From: Maria Rossi <maria.rossi@qtech.example>", b"From: " + sender
    )
    await take_in(sqlite_db, [hostile])

    await process_pending(sqlite_db, policy, NOW, engine=engine)

    (message,) = await rows(sqlite_db, Message)
    assert message.status == "processed", message.reason
    mails = await rows(sqlite_db, Outbox)
    for mail in mails:
        head = mail.data.split(b"\r\n\r\n", 1)[0]
        assert b"\r\nBcc:" not in head
        assert mail.envelope_to == ["maria.rossi@qtech.example"]
    # Either answered safely, or (address unusable) not answered, and explain says why.
    assert mails or any("no valid sender address" in n for n in message.actions["notes"])


async def test_registration_for_two_meetings_keeps_them_apart(
    sqlite_db: Database, tmp_path: Path
) -> None:
    base = make_settings(tmp_path)
    seven = dataclasses.replace(base.meetings[0], id="7", title="7th meeting of JCA-QKDN")
    settings = dataclasses.replace(base, meetings=(*base.meetings, seven))
    engine, policy = Engine.from_settings(settings), policy_from_settings(settings)
    await take_in(
        sqlite_db,
        [
            make_message("Registration for meeting 6", "Please register me (remote)."),
            make_message("Registration for meeting 7", "Please register me (remote)."),
        ],
    )

    await process_pending(sqlite_db, policy, NOW, engine=engine)

    assert sorted(r.meeting for r in await rows(sqlite_db, Registration)) == ["6", "7"]
