"""The outbox against a real SMTP sink: what arrives, how often, and what the rows say after."""

from __future__ import annotations

import asyncio
import os
import random
import socket
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from reflector.clock import SystemClock
from reflector.dev import SmtpSink, free_port
from reflector.errors import StoreError
from reflector.mail.send import Reply, SmtpSender
from reflector.outbox import (
    OutboxSender,
    OutgoingMail,
    enqueue,
    replies_since,
    settle,
)
from reflector.outbox.claimant import this_process
from reflector.outbox.recorder import RECORD_GROUP
from reflector.outbox.sender import CLAIM_BATCH
from reflector.store.db import Database
from reflector.store.inbox import message_id_of
from reflector.store.models import Outbox

from factories import SECRETARIAT, make_message, make_settings

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = START) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def mail(key: str, recipients: Sequence[str], **fields: Any) -> OutgoingMail:
    message_id = f"{key.replace(':', '.')}@sdo-coord.example"
    data = make_message(
        subject=f"Mail {key}",
        sender=SECRETARIAT,
        to=", ".join(recipients),
        message_id=f"<{message_id}>",
    )
    return OutgoingMail(
        idem_key=key,
        purpose=fields.pop("purpose", "notify"),
        message_id=message_id,
        envelope_from=SECRETARIAT,
        envelope_to=tuple(recipients),
        data=data,
        **fields,
    )


async def queue(db: Database, mails: Sequence[OutgoingMail], now: datetime = START) -> list[bool]:
    async with db.write() as session:
        return await enqueue(session, mails, now)


async def rows(db: Database) -> list[Outbox]:
    async with db.read() as session:
        return list((await session.scalars(select(Outbox).order_by(col(Outbox.id)))).all())


def make_sender(tmp_path: Path, db: Database, port: int, clock: Any, **outbox: Any) -> OutboxSender:
    settings = make_settings(tmp_path, smtp_port=port, outbox=outbox)
    return OutboxSender(db, settings.smtp, settings.outbox, clock, rng=random.Random(0))


class WatchedSender(SmtpSender):
    """An SmtpSender that tells when a send has come back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.answered = asyncio.Event()

    async def send(self, *args: Any, **kwargs: Any) -> dict[str, Reply]:
        replies = await super().send(*args, **kwargs)
        self.answered.set()
        return replies


# -- enqueue ------------------------------------------------------------------------------------


async def test_the_same_key_is_queued_once(db: Database) -> None:
    first = await queue(db, [mail("ack:m1", ["maria@qtech.example"])])
    second = await queue(db, [mail("ack:m1", ["maria@qtech.example"]), mail("ack:m2", ["x@y.z"])])

    assert first == [True]
    assert second == [False, True]
    assert [row.idem_key for row in await rows(db)] == ["ack:m1", "ack:m2"]


async def test_enqueue_commits_with_the_callers_transaction(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with sqlite_db.write() as session:
            await enqueue(session, [mail("ack:m1", ["maria@qtech.example"])], START)
            raise RuntimeError("the workflow failed after queueing")

    assert await rows(sqlite_db) == []


async def test_a_mail_without_recipients_is_refused(sqlite_db: Database) -> None:
    with pytest.raises(ValueError, match="'ack:m1': no recipients"):
        await queue(sqlite_db, [mail("ack:m1", [])])


async def test_replies_since_counts_mails_per_rate_key(sqlite_db: Database) -> None:
    maria = "maria@qtech.example"
    await queue(sqlite_db, [mail("ack:1", [maria], rate_key=maria)], START)
    await queue(sqlite_db, [mail("ack:2", [maria], rate_key=maria)], START + timedelta(minutes=30))
    await queue(sqlite_db, [mail("ack:3", ["x@y.z"], rate_key="x@y.z")], START)

    async with sqlite_db.read() as session:
        assert await replies_since(session, maria, START) == 2
        assert await replies_since(session, maria, START + timedelta(minutes=1)) == 1


# -- delivery -----------------------------------------------------------------------------------


async def test_a_flaky_server_gets_every_recipient_exactly_once(
    tmp_path: Path, sqlite_db: Database
) -> None:
    rng = random.Random(3)
    mails = [
        mail(f"notify:{i}", [f"p{i}-{j}@example.org" for j in range(rng.randint(1, 3))])
        for i in range(200)
    ]
    await queue(sqlite_db, mails)
    clock = FakeClock()
    async with SmtpSink(flaky_ratio=0.3, seed=5) as sink:
        sender = make_sender(tmp_path, sqlite_db, sink.port, clock)
        rounds = 0
        while any(row.status != "sent" for row in await rows(sqlite_db)) and rounds < 40:
            await sender.drain_once()
            clock.advance(seconds=3601)  # past every retry (retry_max_seconds = 3600)
            rounds += 1
        await sender.sender.close()

    recipients = [r for m in mails for r in m.envelope_to]
    assert sink.deliveries == dict.fromkeys(recipients, 1)
    assert sum(sink.rcpt_attempts.values()) > len(recipients)  # there were retries
    assert {row.status for row in await rows(sqlite_db)} == {"sent"}
    for message in sink.messages:  # every copy is the stored mail, to its own recipients
        key = message_id_of(message.data)
        assert key is not None
        assert set(message.rcpt_tos) <= {
            r for m in mails if m.message_id == key for r in m.envelope_to
        }


async def test_a_refused_recipient_fails_alone(tmp_path: Path, sqlite_db: Database) -> None:
    recipients = ["a@example.org", "gone@example.org", "c@example.org"]
    await queue(sqlite_db, [mail("notify:1", recipients)])
    async with SmtpSink(fail_rcpt={"gone@example.org": "550 5.1.1 no such user"}) as sink:
        sender = make_sender(tmp_path, sqlite_db, sink.port, FakeClock())
        report = await sender.drain_once()
        await sender.sender.close()

    [row] = await rows(sqlite_db)
    assert (row.status, row.sent_at, row.attempts) == ("sent", START, 1)
    assert row.last_replies["gone@example.org"] == {
        "code": 550,
        "text": "5.1.1 no such user",
        "state": "failed",
        "at": START.isoformat(),
    }
    assert row.last_replies["a@example.org"]["state"] == "sent"
    assert sink.deliveries == {"a@example.org": 1, "c@example.org": 1}
    assert (report.attempted, report.sent) == (1, 1)


async def test_a_mail_every_recipient_refuses_is_failed(
    tmp_path: Path, sqlite_db: Database
) -> None:
    await queue(sqlite_db, [mail("notify:1", ["gone@example.org"])])
    async with SmtpSink(fail_rcpt={"gone@example.org": "550 5.1.1 no such user"}) as sink:
        sender = make_sender(tmp_path, sqlite_db, sink.port, FakeClock())
        report = await sender.drain_once()
        await sender.sender.close()

    [row] = await rows(sqlite_db)
    assert (row.status, row.sent_at, report.failed) == ("failed", None, 1)


async def test_many_recipients_go_in_transactions_of_rcpt_per_transaction(
    tmp_path: Path, sqlite_db: Database, smtp_sink: SmtpSink
) -> None:
    members = [f"member{i}@example.org" for i in range(250)]
    await queue(sqlite_db, [mail("list:1", members, purpose="list")])
    sender = make_sender(tmp_path, sqlite_db, smtp_sink.port, FakeClock(), rcpt_per_transaction=100)

    await sender.drain_once()
    await sender.sender.close()

    assert [len(m.rcpt_tos) for m in smtp_sink.messages] == [100, 100, 50]
    assert smtp_sink.deliveries == dict.fromkeys(members, 1)
    assert [row.status for row in await rows(sqlite_db)] == ["sent"]


async def test_mail_waits_while_the_server_is_down_and_expires_in_the_end(
    tmp_path: Path, sqlite_db: Database
) -> None:
    port = free_port()  # nothing listens there yet
    clock = FakeClock()
    await queue(sqlite_db, [mail("notify:1", ["a@example.org"]), mail("notify:2", ["b@x.org"])])
    sender = make_sender(tmp_path, sqlite_db, port, clock, give_up_hours=120)

    report = await sender.drain_once()

    assert report.error is not None and f"127.0.0.1:{port}" in report.error
    waiting = await rows(sqlite_db)
    assert [row.status for row in waiting] == ["queued", "queued"]
    assert [row.attempts for row in waiting] == [1, 0]  # the second was not even tried
    assert all(row.next_attempt_at > START for row in waiting)
    assert waiting[1].last_replies["b@x.org"]["text"].startswith("not tried: connecting to")
    assert (await sender.drain_once()).attempted == 0  # nothing due yet: no new try

    async with SmtpSink(port=port) as sink:
        clock.advance(hours=1)
        await sender.drain_once()
        await sender.sender.close()
    assert sink.deliveries == {"a@example.org": 1, "b@x.org": 1}
    assert [row.status for row in await rows(sqlite_db)] == ["sent", "sent"]

    await queue(sqlite_db, [mail("notify:3", ["c@example.org"])], clock.now())
    clock.advance(hours=121)  # the server stayed down for five days
    report = await sender.drain_once()
    assert report.expired == 1
    row = (await rows(sqlite_db))[-1]
    assert (row.status, row.sent_at) == ("expired", None)
    assert row.last_replies["c@example.org"]["state"] == "retry"


async def test_a_stalled_server_means_a_retry_not_a_crash(
    tmp_path: Path, sqlite_db: Database
) -> None:
    clock = FakeClock()
    await queue(sqlite_db, [mail("notify:1", ["a@example.org"])])
    async with SmtpSink(stall_seconds=5) as sink:
        settings = make_settings(tmp_path, smtp_port=sink.port)
        smtp = settings.smtp.__class__(**{**settings.smtp.__dict__, "timeout_seconds": 1})
        sender = OutboxSender(sqlite_db, smtp, settings.outbox, clock, rng=random.Random(0))

        report = await sender.drain_once()
        [row] = await rows(sqlite_db)
        assert (report.retrying, row.status) == (1, "queued")
        assert "no answer within 1 s" in row.last_replies["a@example.org"]["text"]

        sink.stall_seconds = 0
        clock.advance(hours=1)
        await sender.drain_once()
        await sender.sender.close()

    assert sink.deliveries == {"a@example.org": 1}
    assert [row.status for row in await rows(sqlite_db)] == ["sent"]


async def test_three_senders_on_postgresql_send_each_mail_once(
    tmp_path: Path, postgres_url: str
) -> None:
    databases = [Database(postgres_url) for _ in range(3)]
    await databases[0].migrate()
    mails = [mail(f"notify:{i}", [f"p{i}@example.org"]) for i in range(2000)]
    await queue(databases[0], mails)
    clock = FakeClock()
    async with SmtpSink() as sink:
        senders = [make_sender(tmp_path, db, sink.port, clock) for db in databases]
        reports = await asyncio.gather(*(s.drain_once() for s in senders))
        for sender in senders:
            await sender.sender.close()

    by_message_id = Counter(message_id_of(m.data) for m in sink.messages)
    assert by_message_id == dict.fromkeys((m.message_id for m in mails), 1)
    assert sum(r.attempted for r in reports) == 2000
    assert all(r.attempted > 0 for r in reports)  # they really shared the work
    assert {row.status for row in await rows(databases[0])} == {"sent"}
    for db in databases:
        await db.close()


async def dead_pid() -> int:
    """The pid of a process that has ended (and been reaped)."""
    child = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await child.wait()
    return child.pid


async def leave_sending(db: Database, claimed_by: str) -> None:
    """What a sender that claimed the queued rows and then stopped answering leaves behind."""
    async with db.write() as session:
        await session.execute(
            update(Outbox).values(
                status="sending",
                attempts=1,
                next_attempt_at=START + timedelta(seconds=300),
                claimed_by=claimed_by,
            )
        )


async def test_a_row_left_sending_by_a_dead_process_is_sent_again(
    tmp_path: Path, db: Database, smtp_sink: SmtpSink
) -> None:
    await queue(db, [mail("notify:1", ["a@example.org"])])
    await leave_sending(db, f"{socket.gethostname()}:{await dead_pid()}:0b7c55d1")
    clock = FakeClock()
    sender = make_sender(tmp_path, db, smtp_sink.port, clock)

    first = await sender.drain_once()
    if db.is_sqlite:  # its process is gone: nobody else is sending it
        assert first.sent == 1
    else:  # workers on other machines cannot be checked: wait for the lease
        assert first.attempted == 0
        clock.advance(seconds=301)
        assert (await sender.drain_once()).sent == 1
    await sender.sender.close()

    assert smtp_sink.deliveries == {"a@example.org": 1}
    [row] = await rows(db)
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 2, str(this_process()))


@pytest.mark.parametrize(
    ("claimant", "at_once"),
    [
        ("dead pid", True),
        ("our pid, an earlier process", True),  # e.g. pid 1 in a restarted container
        ("before claimants were recorded", True),  # "": SQLite had one sender then
        ("live pid", False),  # e.g. `reflector run --once` while the service runs
        ("this process", False),
        ("another host", False),
    ],
)
async def test_on_sqlite_only_rows_of_a_gone_process_are_taken_back_at_start(
    tmp_path: Path, sqlite_db: Database, smtp_sink: SmtpSink, claimant: str, at_once: bool
) -> None:
    host, gone = socket.gethostname(), await dead_pid()
    live = await asyncio.create_subprocess_exec("sleep", "60")
    try:
        claimed_by = {
            "dead pid": f"{host}:{gone}:0b7c55d1",
            "our pid, an earlier process": f"{host}:{os.getpid()}:0b7c55d1",
            "before claimants were recorded": "",
            "live pid": f"{host}:{live.pid}:0b7c55d1",
            "this process": str(this_process()),
            "another host": f"not-{host}:{gone}:0b7c55d1",
        }[claimant]
        await queue(sqlite_db, [mail("notify:1", ["a@example.org"])])
        await leave_sending(sqlite_db, claimed_by)
        clock = FakeClock()
        sender = make_sender(tmp_path, sqlite_db, smtp_sink.port, clock)

        first = await sender.drain_once()
    finally:
        live.kill()
        await live.wait()
    assert (first.sent, smtp_sink.deliveries) == ((1, {"a@example.org": 1}) if at_once else (0, {}))
    if not at_once:  # the claimant may still be sending it: its lease decides
        clock.advance(seconds=301)
        assert (await sender.drain_once()).sent == 1
        assert smtp_sink.deliveries == {"a@example.org": 1}
    await sender.sender.close()


async def test_run_sends_when_woken_and_stops_when_told(
    tmp_path: Path, sqlite_db: Database, smtp_sink: SmtpSink
) -> None:
    settings = make_settings(tmp_path, smtp_port=smtp_sink.port)
    sender = OutboxSender(sqlite_db, settings.smtp, settings.outbox, SystemClock())
    stop, wake = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(sender.run(stop, wake))

    await queue(sqlite_db, [mail("ack:1", ["maria@qtech.example"])], SystemClock().now())
    wake.set()
    await smtp_sink.wait_for(1, timeout=10)
    stop.set()
    await asyncio.wait_for(task, timeout=10)

    assert smtp_sink.deliveries == {"maria@qtech.example": 1}
    assert [row.status for row in await rows(sqlite_db)] == ["sent"]


# -- what a reply means (pure) ------------------------------------------------------------------


def test_retries_back_off_and_give_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).outbox  # 60 s first, 3600 s at most, 120 h in all
    later = Reply(451, "4.3.0 try again")
    delays = []
    for attempts in range(1, 10):
        settled = settle(
            ["a@x"],
            {},
            {"a@x": later},
            created_at=START,
            attempts=attempts,
            now=START,
            settings=settings,
            rng=random.Random(attempts),
        )
        assert settled.status == "queued"
        delays.append((settled.next_attempt_at - START).total_seconds())
    assert 30 <= delays[0] <= 60
    assert all(1800 <= d <= 3600 for d in delays[-3:])

    expired = settle(
        ["a@x"],
        {},
        {"a@x": later},
        created_at=START,
        attempts=30,
        now=START + timedelta(hours=120),
        settings=settings,
        rng=random.Random(0),
    )
    assert (expired.status, expired.pending) == ("expired", ("a@x",))


def test_an_accepted_recipient_is_never_tried_again(tmp_path: Path) -> None:
    settings = make_settings(tmp_path).outbox
    first = settle(
        ["a@x", "b@x"],
        {},
        {"a@x": Reply(250, "OK"), "b@x": Reply(None, "connection lost")},
        created_at=START,
        attempts=1,
        now=START,
        settings=settings,
        rng=random.Random(0),
    )
    assert (first.status, first.pending) == ("queued", ("b@x",))

    second = settle(
        ["a@x", "b@x"],
        first.last_replies,
        {"b@x": Reply(250, "OK")},
        created_at=START,
        attempts=2,
        now=START + timedelta(minutes=2),
        settings=settings,
        rng=random.Random(0),
    )
    assert (second.status, second.sent_at) == ("sent", START + timedelta(minutes=2))
    assert second.last_replies["a@x"]["at"] == START.isoformat()  # kept from the first try


async def test_run_rides_out_an_outage_and_delivers_when_the_server_returns(
    tmp_path: Path, sqlite_db: Database
) -> None:
    port = free_port()  # down at first
    settings = make_settings(tmp_path, smtp_port=port, outbox={"retry_first_seconds": 1})
    smtp = WatchedSender(settings.smtp)
    sender = OutboxSender(sqlite_db, settings.smtp, settings.outbox, SystemClock(), sender=smtp)
    await queue(sqlite_db, [mail("ack:1", ["maria@qtech.example"])], SystemClock().now())
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    await asyncio.wait_for(smtp.answered.wait(), timeout=10)  # it tried, and failed

    async with SmtpSink(port=port) as sink:
        await sink.wait_for(1, timeout=10)
        stop.set()
        await asyncio.wait_for(task, timeout=10)

    [row] = await rows(sqlite_db)
    assert (row.status, sink.deliveries) == ("sent", {"maria@qtech.example": 1})
    assert row.attempts >= 2


async def test_stopping_mid_drain_records_what_was_sent_and_puts_the_rest_back(
    tmp_path: Path, sqlite_db: Database, smtp_sink: SmtpSink
) -> None:
    recipients = [f"p{i}@example.org" for i in range(CLAIM_BATCH + 50)]
    await queue(sqlite_db, [mail(f"notify:{i}", [r]) for i, r in enumerate(recipients)])
    settings = make_settings(tmp_path, smtp_port=smtp_sink.port)
    clock = FakeClock()
    sender = OutboxSender(sqlite_db, settings.smtp, settings.outbox, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(sender.run(stop))
    await smtp_sink.wait_for(CLAIM_BATCH + 10, timeout=10)  # into the second claim

    stop.set()
    await asyncio.wait_for(task, timeout=10)

    statuses = {row.envelope_to[0]: (row.status, row.attempts) for row in await rows(sqlite_db)}
    sent = {r for r, (status, _) in statuses.items() if status == "sent"}
    assert sent == set(smtp_sink.deliveries)  # everything that went out is recorded
    assert len(sent) < len(recipients)
    assert {statuses[r] for r in recipients if r not in sent} == {("queued", 0)}  # untried
    # The next start sends the rest, and nothing twice.
    await make_sender(tmp_path, sqlite_db, smtp_sink.port, clock).drain_once()
    assert smtp_sink.deliveries == dict.fromkeys(recipients, 1)


async def test_outcomes_are_committed_a_few_mails_behind_the_wire(
    tmp_path: Path, sqlite_db: Database, smtp_sink: SmtpSink
) -> None:
    # What a kill would send twice: accepted by the server, not yet `sent` in the database.
    behind: list[int] = []

    class Auditing(SmtpSender):
        async def send(self, *args: Any, **kwargs: Any) -> dict[str, Reply]:
            async with sqlite_db.read() as session:
                query = select(func.count()).where(col(Outbox.status) == "sent")
                recorded = await session.scalar(query) or 0
            behind.append(len(smtp_sink.messages) - recorded)
            return await super().send(*args, **kwargs)

    total = CLAIM_BATCH * 2 + 50
    await queue(sqlite_db, [mail(f"notify:{i}", [f"p{i}@example.org"]) for i in range(total)])
    settings = make_settings(tmp_path, smtp_port=smtp_sink.port)
    smtp = Auditing(settings.smtp)
    sender = OutboxSender(sqlite_db, settings.smtp, settings.outbox, FakeClock(), sender=smtp)

    report = await sender.drain_once()
    await smtp.close()

    assert report.sent == total
    # Never a batch behind: the sender waits for room at RECORD_GROUP uncommitted outcomes.
    assert max(behind) <= RECORD_GROUP - 1


async def test_with_a_slow_server_each_mail_is_recorded_while_the_next_is_on_the_wire(
    tmp_path: Path, sqlite_db: Database
) -> None:
    recorded_before: list[set[str]] = []  # when each send came back: the rows already `sent`

    class Watching(SmtpSender):
        async def send(self, *args: Any, **kwargs: Any) -> dict[str, Reply]:
            replies = await super().send(*args, **kwargs)
            async with sqlite_db.read() as session:
                query = select(Outbox.idem_key).where(col(Outbox.status) == "sent")
                recorded_before.append(set((await session.scalars(query)).all()))
            return replies

    await queue(sqlite_db, [mail(f"notify:{i}", [f"p{i}@example.org"]) for i in range(4)])
    async with SmtpSink(stall_seconds=0.2) as sink:  # 200 ms per mail
        settings = make_settings(tmp_path, smtp_port=sink.port)
        smtp = Watching(settings.smtp)
        sender = OutboxSender(sqlite_db, settings.smtp, settings.outbox, FakeClock(), sender=smtp)
        await sender.drain_once()
        await smtp.close()

    # Mail i was committed while mail i+1 was on the wire, not at the end of the batch.
    assert recorded_before == [set()] + [{f"notify:{j}" for j in range(i)} for i in range(1, 4)]


async def test_a_database_failure_mid_drain_keeps_what_was_sent_for_the_next_drain(
    tmp_path: Path, sqlite_db: Database, smtp_sink: SmtpSink
) -> None:
    recipients = [f"p{i}@example.org" for i in range(30)]
    await queue(sqlite_db, [mail(f"notify:{i}", [r]) for i, r in enumerate(recipients)])
    sender = make_sender(tmp_path, sqlite_db, smtp_sink.port, FakeClock())
    real_record = sender.recorder._record

    async def failing(conn: Any) -> None:  # the database goes away for one commit
        if len(smtp_sink.messages) >= 10:
            sender.recorder._record = real_record  # type: ignore[method-assign]
            raise StoreError("database test.db unavailable: disk I/O error")
        await real_record(conn)

    sender.recorder._record = failing  # type: ignore[method-assign]
    with pytest.raises(StoreError, match="disk I/O error"):
        await sender.drain_once()
    stopped_at = len(smtp_sink.messages)
    report = await sender.drain_once()  # writes the outcomes it kept, then sends the rest
    await sender.sender.close()

    assert stopped_at < len(recipients)
    assert report.sent == len(recipients) - stopped_at
    assert smtp_sink.deliveries == dict.fromkeys(recipients, 1)
    assert {(row.status, row.attempts) for row in await rows(sqlite_db)} == {("sent", 1)}


async def test_a_server_shutting_down_is_not_asked_again_in_the_same_drain(
    tmp_path: Path, sqlite_db: Database
) -> None:
    await queue(sqlite_db, [mail(f"notify:{i}", [f"p{i}@example.org"]) for i in range(3)])
    async with SmtpSink(data_reply=lambda envelope: "421 4.3.2 shutting down") as sink:
        sender = make_sender(tmp_path, sqlite_db, sink.port, FakeClock())
        report = await sender.drain_once()
        await sender.sender.close()

    assert (report.attempted, report.released, report.retrying) == (1, 2, 3)
    assert report.error == "421 4.3.2 shutting down"
    assert sum(sink.rcpt_attempts.values()) == 1
    assert {row.status for row in await rows(sqlite_db)} == {"queued"}


async def test_mail_not_tried_within_half_the_lease_is_put_back(
    tmp_path: Path, sqlite_db: Database, smtp_sink: SmtpSink
) -> None:
    clock = FakeClock()

    class SlowSender(SmtpSender):  # every send takes 200 s of (fake) time
        async def send(self, *args: Any, **kwargs: Any) -> dict[str, Reply]:
            replies = await super().send(*args, **kwargs)
            clock.advance(seconds=200)
            return replies

    settings = make_settings(tmp_path, smtp_port=smtp_sink.port)
    smtp = SlowSender(settings.smtp)
    sender = OutboxSender(
        sqlite_db, settings.smtp, settings.outbox, clock, sender=smtp, lease_seconds=300
    )
    await queue(sqlite_db, [mail(f"notify:{i}", [f"p{i}@example.org"]) for i in range(3)])

    report = await sender.drain_once()
    await smtp.close()

    assert (report.attempted, report.released) == (1, 2)
    assert [(row.status, row.attempts) for row in await rows(sqlite_db)] == [
        ("sent", 1),
        ("queued", 0),
        ("queued", 0),
    ]
