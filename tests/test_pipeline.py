"""process_pending(): every stored message ends with a status and a reason a secretary reads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from reflector.pipeline import process_pending
from reflector.store.db import Database
from reflector.store.inbox import Incoming, ingest
from reflector.store.models import Message
from reflector.understand import Policy, policy_from_settings
from reflector.values import Source

from factories import make_message, make_settings

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)

DSN = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.qtech.example>\r\n"
    b"To: qkdn-secretariat@sdo-coord.example\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"Message-ID: <dsn-1@mx.qtech.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
    b"--b\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
    b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.qtech.example\r\n\r\n"
    b"Final-Recipient: rfc822; gone@qtech.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"--b--\r\n"
)


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    return policy_from_settings(make_settings(tmp_path))


async def _run(db: Database, policy: Policy, *raws: bytes) -> list[Message]:
    await ingest(
        db, [Incoming(raw, Source.IMPORT, f"file:/m{i}") for i, raw in enumerate(raws)], NOW
    )
    await process_pending(db, policy, NOW)
    async with db.read() as session:
        return list((await session.scalars(select(Message).order_by(Message.id))).all())  # type: ignore[arg-type]


async def test_a_registration_is_processed_with_its_fields(db: Database, policy: Policy) -> None:
    [message] = await _run(db, policy, make_message())
    assert message.status == "processed"
    assert message.kind == "registration"
    assert message.subject == "Registration for meeting 6"
    assert message.from_addr == "maria.rossi@qtech.example"
    assert message.from_name == "Maria Rossi"
    assert message.fields["people"][0]["mode"] == "remote"
    assert message.fields["meeting"] == "6"
    assert any("registration" in r.lower() for r in message.reasons)
    assert message.processed_at == NOW


async def test_auto_replies_and_bounces_are_filed_without_action(
    db: Database, policy: Policy
) -> None:
    out_of_office = make_message(
        "Automatic reply: Registration", "I am away.", headers={"Auto-Submitted": "auto-replied"}
    )
    auto, bounce = await _run(db, policy, out_of_office, DSN)
    assert (auto.status, auto.kind) == ("ignored", "auto-reply")
    assert "RFC 3834" in auto.reason
    assert (bounce.status, bounce.kind) == ("ignored", "bounce")


async def test_bytes_that_are_not_mail_are_quarantined_with_a_reason(
    db: Database, policy: Policy
) -> None:
    [message] = await _run(db, policy, b"\x00\x01\x02\xff binary junk, no header at all")
    assert message.status == "quarantined"
    assert message.reason.startswith("cannot be read as an e-mail")


async def test_oversized_mail_is_kept_but_quarantined(tmp_path: Path, db: Database) -> None:
    small_limit = policy_from_settings(make_settings(tmp_path, intake={"max_message_bytes": 2000}))
    raw = make_message(body="x" * 5000)
    [message] = await _run(db, small_limit, raw)
    assert message.status == "quarantined"
    assert "limit" in message.reason


async def test_a_second_copy_of_a_handled_message_is_filed_as_such(
    db: Database, policy: Policy
) -> None:
    to_us = make_message(message_id="<same@qtech.example>")
    via_list = make_message(message_id="<same@qtech.example>", headers={"X-Extra-Hop": "list copy"})
    first, second = await _run(db, policy, to_us, via_list)
    assert first.status == "processed"
    assert second.status == "ignored"
    assert f"another copy of message #{first.id}" in second.reason


async def test_unsure_messages_are_held_with_the_two_best_guesses(
    tmp_path: Path, db: Database
) -> None:
    # 1.0 holds every verdict the rules make (they never claim certainty; screening does)
    cautious = policy_from_settings(make_settings(tmp_path, intake={"hold_below": 1.0}))
    [message] = await _run(db, cautious, make_message())
    assert message.status == "held"
    assert message.reason.startswith("unsure what this is: registration (")


async def test_a_bug_in_classification_quarantines_one_message_and_goes_on(
    db: Database, policy: Policy, monkeypatch: pytest.MonkeyPatch
) -> None:
    import reflector.understand

    calls = 0
    real = reflector.understand.classify

    def flaky(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(reflector.understand, "classify", flaky)
    broken, fine = await _run(db, policy, make_message("one"), make_message("Registration two"))
    assert broken.status == "quarantined"
    assert "internal error" in broken.reason and "RuntimeError: boom" in broken.reason
    assert fine.status == "processed"


async def test_processing_again_changes_nothing(db: Database, policy: Policy) -> None:
    await _run(db, policy, make_message(), DSN)
    report = await process_pending(db, policy, NOW)
    assert report.total == 0


async def test_three_workers_process_each_message_exactly_once(
    db: Database, policy: Policy
) -> None:
    raws = [make_message(f"Registration {i}", message_id=f"<w{i}@x.example>") for i in range(60)]
    await ingest(db, [Incoming(raw, Source.LMTP) for raw in raws], NOW)
    reports = await asyncio.gather(*(process_pending(db, policy, NOW, batch=10) for _ in range(3)))
    assert sum(r.total for r in reports) == 60
    handled = [pk for r in reports for pk in r.message_pks]
    assert len(handled) == len(set(handled)) == 60
    async with db.read() as session:
        left = await session.scalar(
            select(func.count()).select_from(Message).where(Message.status == "received")
        )
    assert left == 0
