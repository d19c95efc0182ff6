"""The outbox: every mail we send is a row first, and a delivery second.

A workflow queues mail with `enqueue()` in its own transaction, so the records it writes and
the mails that announce them commit together or not at all. The idempotency key is the
contract: queueing an existing key does nothing and says so. `OutboxSender` then delivers what
is due, over one SMTP connection, and writes the outcome per recipient into `last_replies`:

    queued ──claim──▶ sending ──▶ sent      every recipient answered; at least one took it
       ▲                 │   ├──▶ failed    every recipient refused it for good (5xx)
       └── 4xx/network ──┘   └──▶ expired   still not delivered `give_up_hours` after queueing

Only the recipients still owed a delivery are tried again: a 250 is never repeated, a 550 is
final, a 451 (or no answer) is retried with exponential backoff and jitter from
`retry_first_seconds` up to `retry_max_seconds`.

Crash semantics. No database transaction is open while we talk to the SMTP server: a short
transaction claims due rows (`sending`, lease until `now + lease_seconds`), we send, and a
second transaction records the replies. So

* a mail is never lost: a process killed anywhere leaves its row `queued` or `sending`, and a
  `sending` row is claimed again when its lease runs out (on SQLite, at once when the next
  sender starts, since there is only one);
* a mail is sent twice only if the process dies (or the database fails for good) between the
  server's final 250 to DATA and the commit that records it. The retry is then byte-identical,
  with the same Message-ID, because the bytes are stored: receivers can tell it is a copy.

Several senders may share a PostgreSQL database (the claim uses FOR UPDATE SKIP LOCKED, so each
row goes to one of them). On SQLite run one sender per database.

    async with db.write() as session:                       # the workflow's transaction
        new = await enqueue(session, [OutgoingMail("ack:<m1@x>", "reply", "r1@ours.example",
                                                   "bot@ours.example", ("maria@x.example",),
                                                   data)], now)
    sender = OutboxSender(db, settings.smtp, settings.outbox, SystemClock())
    report = await sender.drain_once()      # DrainReport(attempted=1, sent=1, ...)
    await sender.run(stop_event, wake=wake_event)   # forever: drain, wait, drain ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reflector.backoff import Backoff
from reflector.clock import Clock
from reflector.config import OutboxSettings, SmtpSettings
from reflector.errors import StoreError
from reflector.mail.send import Reply, SmtpSender
from reflector.store.db import Database
from reflector.store.models import Outbox

log = logging.getLogger(__name__)

CLAIM_BATCH = 50  # mails per claim: one claim and one result statement per this many mails
CLAIM_BYTES = 32 * 1024 * 1024  # ... unless they are big (the claimed bytes sit in memory)
POLL_SECONDS = 30.0  # `run` looks for due mail at least this often (others may enqueue)

_TABLE: Table = Outbox.__table__  # type: ignore[attr-defined]  # set by SQLModel


class OutboxStatus(StrEnum):
    """Where an outgoing mail is."""

    QUEUED = "queued"  # waiting for its next_attempt_at
    SENDING = "sending"  # claimed by a sender until next_attempt_at (the lease)
    SENT = "sent"  # every recipient answered, at least one accepted it
    FAILED = "failed"  # every recipient refused it for good
    EXPIRED = "expired"  # given up after give_up_hours with recipients still owed


_DUE = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)
_FINAL_STATES = ("sent", "failed")  # per-recipient states that are never retried


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to queue. `data` is the whole message; `message_id` is its Message-ID header."""

    idem_key: str  # e.g. "ack:<message-id>": the same key again is not queued again
    purpose: str  # reply | notify | list | reminder | digest (at most 16 characters)
    message_id: str
    envelope_from: str  # "" for the null reverse-path (RFC 3834 auto-replies)
    envelope_to: tuple[str, ...]
    data: bytes
    subject: str = ""
    rate_key: str | None = None  # the address an automatic reply counts against
    cause_pk: int | None = None  # the message that caused it (messages.id)


async def enqueue(
    session: AsyncSession, mails: Sequence[OutgoingMail], now: datetime
) -> list[bool]:
    """Queue `mails` in the caller's transaction; True per mail that is new, False if its key
    was already queued (then nothing changes). The same key twice in `mails`: the first wins.

    Raises ValueError for a mail without recipients, key or bytes (a bug in the caller).
    """
    for mail in mails:
        _check(mail)
    rows: dict[str, dict[str, Any]] = {}
    for mail in mails:
        rows.setdefault(mail.idem_key, _row(mail, now))
    if not rows:
        return []
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    result = await session.execute(
        insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["idem_key"])
        .returning(_TABLE.c.idem_key),
        list(rows.values()),
    )
    created = set(result.scalars())
    fresh: list[bool] = []
    for mail in mails:
        is_new = mail.idem_key in created
        created.discard(mail.idem_key)
        if not is_new:
            log.info("outbox %s: already queued; not queued again", mail.idem_key)
        fresh.append(is_new)
    return fresh


def _check(mail: OutgoingMail) -> None:
    problem = (
        "empty idem_key"
        if not mail.idem_key
        else "no recipients"
        if not mail.envelope_to or not all(mail.envelope_to)
        else "no message bytes"
        if not mail.data
        else f"purpose {mail.purpose!r} longer than 16"
        if len(mail.purpose) > 16
        else None
    )
    if problem:
        raise ValueError(f"outbox: mail {mail.idem_key!r}: {problem}")


def _row(mail: OutgoingMail, now: datetime) -> dict[str, Any]:
    return {
        "idem_key": mail.idem_key,
        "purpose": mail.purpose,
        "rate_key": mail.rate_key,
        "subject": mail.subject,
        "status": OutboxStatus.QUEUED.value,
        "message_id": mail.message_id,
        "envelope_from": mail.envelope_from,
        "envelope_to": list(dict.fromkeys(mail.envelope_to)),
        "data": mail.data,
        "attempts": 0,
        "next_attempt_at": now,
        "last_replies": {},
        "cause_pk": mail.cause_pk,
        "created_at": now,
        "sent_at": None,
    }


async def replies_since(session: AsyncSession, rate_key: str, since: datetime) -> int:
    """How many mails counted against `rate_key` were queued at or after `since` (any status)."""
    count = await session.scalar(
        select(func.count())
        .select_from(_TABLE)
        .where(_TABLE.c.rate_key == rate_key, _TABLE.c.created_at >= since)
    )
    return int(count or 0)


# -- what a reply means (pure) ------------------------------------------------------------------


def retry_delay(attempts: int, first: float, cap: float, rng: random.Random) -> float:
    """Seconds before the next try after `attempts` tries: uniform(c/2, c), c = first·2^(n-1).

    >>> rng = random.Random(1)
    >>> [30 <= retry_delay(1, 60, 3600, rng) <= 60, 1800 <= retry_delay(9, 60, 3600, rng) <= 3600]
    [True, True]
    """
    backoff = Backoff(base=first, cap=cap, rng=rng)
    backoff.attempt = min(max(attempts, 1) - 1, 62)
    return backoff.next_delay()


def pending_recipients(envelope_to: Sequence[str], last_replies: Mapping[str, Any]) -> list[str]:
    """The recipients still owed a delivery: not yet accepted (2xx) or refused (5xx).

    >>> pending_recipients(["a@x", "b@x", "c@x"], {"a@x": {"state": "sent"},
    ...                                            "b@x": {"state": "retry"}})
    ['b@x', 'c@x']
    """
    return [r for r in envelope_to if last_replies.get(r, {}).get("state") not in _FINAL_STATES]


@dataclass(frozen=True)
class Settled:
    """The new state of a row after one delivery attempt."""

    status: OutboxStatus
    last_replies: dict[str, Any]  # a new dict: JSON columns are reassigned, never mutated
    next_attempt_at: datetime
    sent_at: datetime | None
    pending: tuple[str, ...]  # recipients still owed a delivery


def settle(
    envelope_to: Sequence[str],
    last_replies: Mapping[str, Any],
    replies: Mapping[str, Reply],
    *,
    created_at: datetime,
    attempts: int,
    now: datetime,
    settings: OutboxSettings,
    rng: random.Random,
) -> Settled:
    """Merge this attempt's `replies` into `last_replies` and decide the row's status."""
    merged = dict(last_replies)
    for rcpt, reply in replies.items():
        state = "sent" if reply.ok else "failed" if reply.permanent else "retry"
        merged[rcpt] = {
            "code": reply.code,
            "text": reply.text,
            "state": state,
            "at": now.isoformat(),
        }
    pending = tuple(pending_recipients(envelope_to, merged))
    if not pending:
        delivered = any(merged.get(r, {}).get("state") == "sent" for r in envelope_to)
        status = OutboxStatus.SENT if delivered else OutboxStatus.FAILED
        return Settled(status, merged, now, now if delivered else None, ())
    if now - created_at >= timedelta(hours=settings.give_up_hours):
        return Settled(OutboxStatus.EXPIRED, merged, now, None, pending)
    delay = retry_delay(attempts, settings.retry_first_seconds, settings.retry_max_seconds, rng)
    return Settled(OutboxStatus.QUEUED, merged, now + timedelta(seconds=delay), None, pending)


# -- the sender ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DrainReport:
    """What one `drain_once` did, counted in mails (rows)."""

    attempted: int = 0  # handed to the SMTP server
    sent: int = 0  # now `sent`
    retrying: int = 0  # back to `queued` for a later try (including `released` ones)
    failed: int = 0  # now `failed`
    expired: int = 0  # now `expired`
    released: int = 0  # claimed but not tried (server unreachable, or lease half over)
    error: str | None = None  # why the drain stopped early: the server could not be reached


@dataclass(frozen=True)
class _Claimed:
    id: int
    idem_key: str
    message_id: str
    envelope_from: str
    envelope_to: list[str]
    data: bytes
    attempts: int  # including this claim
    created_at: datetime
    last_replies: dict[str, Any]


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def add(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n


class OutboxSender:
    """Delivers due outbox rows through one `SmtpSender`; see the module docstring."""

    def __init__(
        self,
        db: Database,
        smtp: SmtpSettings,
        outbox: OutboxSettings,
        clock: Clock,
        *,
        sender: SmtpSender | None = None,
        lease_seconds: float = 300.0,
        poll_seconds: float = POLL_SECONDS,
        rng: random.Random | None = None,
    ):
        self.db = db
        self.settings = outbox
        self.clock = clock
        self.sender = sender or SmtpSender(smtp, rcpt_per_transaction=outbox.rcpt_per_transaction)
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self._rng = rng or random.Random()
        self._recovered = not db.is_sqlite  # PostgreSQL: abandoned rows wait for their lease
        self._unrecorded: list[dict[str, Any]] = []  # results whose commit failed; written first

    # -- the public loops -----------------------------------------------------------------------

    async def drain_once(self, limit: int | None = None) -> DrainReport:
        """Send everything due now (at most `limit` mails), record the outcomes, return counts.

        Stops early when the SMTP server cannot be reached (`DrainReport.error`). Raises
        `StoreError` when the database fails; results already sent are kept and written first
        on the next call.
        """
        await self._flush_unrecorded()
        if not self._recovered:
            await self._requeue_abandoned()
            self._recovered = True
        tally = _Tally()
        while limit is None or tally.counts.get("attempted", 0) < limit:
            wanted = (
                CLAIM_BATCH
                if limit is None
                else min(CLAIM_BATCH, limit - tally.counts.get("attempted", 0))
            )
            claimed = await self._claim(wanted)
            if not claimed:
                break
            await self._record(await self._deliver(claimed, tally))
            if tally.error is not None:
                break
        return DrainReport(**tally.counts, error=tally.error)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Drain, then sleep until `wake` is set, the next row is due or `poll_seconds` pass.

        Database errors and bugs are logged and retried with backoff; this never returns
        before `stop` is set. The SMTP connection is closed when a drain found nothing to do.
        """
        backoff = Backoff(base=1.0, cap=300.0, rng=self._rng)
        try:
            while not stop.is_set():
                try:
                    report = await self.drain_once()
                    backoff.reset()
                    if report.attempted == 0:
                        await self.sender.close()
                    delay = await self._seconds_to_next_due()
                    if report.attempted == 0:
                        delay = max(delay, 0.1)  # due rows locked by another sender: no spin
                except StoreError as error:
                    delay = backoff.next_delay()
                    log.warning("outbox: %s; retrying in %.1f s", error, delay)
                except Exception:  # a bug must not stop sending silently: log it and go on
                    delay = backoff.next_delay()
                    log.exception("outbox: unexpected error; retrying in %.1f s", delay)
                await _wait(stop, wake, delay)
        finally:
            await self.sender.close()

    # -- claim, deliver, record -----------------------------------------------------------------

    async def _claim(self, limit: int) -> list[_Claimed]:
        """Mark up to `limit` due rows `sending` (our lease) in one short transaction."""
        t = _TABLE
        now = self.clock.now()
        async with self.db.write() as session:
            due = await session.execute(
                select(t.c.id, func.length(t.c.data))
                .where(t.c.status.in_(_DUE), t.c.next_attempt_at <= now)
                .order_by(t.c.next_attempt_at, t.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
            )
            ids: list[int] = []
            total = 0
            for pk, size in due:
                if ids and total + (size or 0) > CLAIM_BYTES:
                    break
                ids.append(pk)
                total += size or 0
            if not ids:
                return []
            rows = await session.execute(
                update(t)
                .where(t.c.id.in_(ids))
                .values(
                    status=OutboxStatus.SENDING.value,
                    attempts=t.c.attempts + 1,
                    next_attempt_at=now + self.lease,
                )
                .returning(
                    t.c.id,
                    t.c.idem_key,
                    t.c.message_id,
                    t.c.envelope_from,
                    t.c.envelope_to,
                    t.c.data,
                    t.c.attempts,
                    t.c.created_at,
                    t.c.last_replies,
                )
            )
            claimed = [_Claimed(*row) for row in rows]
        order = {pk: i for i, pk in enumerate(ids)}
        return sorted(claimed, key=lambda c: order[c.id])

    async def _deliver(self, claimed: Sequence[_Claimed], tally: _Tally) -> list[dict[str, Any]]:
        """Send each claimed mail (no transaction open); return the row updates to write."""
        started = self.clock.now()
        updates = []
        for mail in claimed:
            now = self.clock.now()
            pending = pending_recipients(mail.envelope_to, mail.last_replies)
            if tally.error is None and now - started > self.lease / 2:
                # Do not outlive the lease: another sender would take these rows meanwhile.
                updates.append(self._update(mail, mail.attempts - 1, OutboxStatus.QUEUED, now))
                tally.add("released")
                tally.add("retrying")
                continue
            if tally.error is not None:
                replies = {r: Reply(None, f"not tried: {tally.error}") for r in pending}
                attempts = mail.attempts - 1
                tally.add("released")
            else:
                replies = await self.sender.send(mail.envelope_from, pending, mail.data)
                attempts = mail.attempts
                tally.add("attempted")
                broken = next((r for r in replies.values() if r.code is None), None)
                if broken is not None:
                    tally.error = broken.text  # the rest of this claim waits for the next drain
            now = self.clock.now()
            settled = settle(
                mail.envelope_to,
                mail.last_replies,
                replies,
                created_at=mail.created_at,
                attempts=attempts,
                now=now,
                settings=self.settings,
                rng=self._rng,
            )
            self._log(mail, replies, settled, attempts)
            tally.add({"queued": "retrying"}.get(settled.status.value, settled.status.value))
            updates.append(
                self._update(
                    mail,
                    attempts,
                    settled.status,
                    settled.next_attempt_at,
                    settled.last_replies,
                    settled.sent_at,
                )
            )
        return updates

    @staticmethod
    def _update(
        mail: _Claimed,
        attempts: int,
        status: OutboxStatus,
        next_attempt_at: datetime,
        last_replies: dict[str, Any] | None = None,
        sent_at: datetime | None = None,
    ) -> dict[str, Any]:
        return {
            "b_id": mail.id,
            "b_claimed_attempts": mail.attempts,
            "b_attempts": attempts,
            "b_status": status.value,
            "b_next": next_attempt_at,
            "b_replies": mail.last_replies if last_replies is None else last_replies,
            "b_sent_at": sent_at,
        }

    async def _record(self, updates: list[dict[str, Any]]) -> None:
        """Write the outcomes in one statement; on failure keep them for the next drain."""
        self._unrecorded.extend(updates)
        await self._flush_unrecorded()

    async def _flush_unrecorded(self) -> None:
        if not self._unrecorded:
            return
        t = _TABLE
        statement = (
            update(t)
            # Still our claim? After a lost lease another sender owns the row: its result wins.
            .where(
                t.c.id == bindparam("b_id"),
                t.c.attempts == bindparam("b_claimed_attempts"),
                t.c.status == OutboxStatus.SENDING.value,
            )
            .values(
                status=bindparam("b_status"),
                attempts=bindparam("b_attempts"),
                next_attempt_at=bindparam("b_next"),
                last_replies=bindparam("b_replies"),
                sent_at=bindparam("b_sent_at"),
            )
        )
        async with self.db.write() as session:
            result = await session.execute(statement, self._unrecorded)
        written, self._unrecorded = len(self._unrecorded), []
        rowcount = cast(CursorResult[Any], result).rowcount
        if 0 <= rowcount < written:
            log.warning(
                "outbox: %d of %d result(s) not written: their lease ran out and another "
                "sender took them (raise lease_seconds)",
                written - rowcount,
                written,
            )

    async def _requeue_abandoned(self) -> None:
        """SQLite has one sender: rows left `sending` were left by a process that died."""
        t = _TABLE
        async with self.db.write() as session:
            result = await session.execute(
                update(t)
                .where(t.c.status == OutboxStatus.SENDING.value)
                .values(status=OutboxStatus.QUEUED.value, next_attempt_at=self.clock.now())
            )
        if requeued := cast(CursorResult[Any], result).rowcount:
            log.warning(
                "outbox: %d mail(s) left 'sending' by a stopped process queued again "
                "(each may reach its recipients twice, with the same Message-ID)",
                requeued,
            )

    async def _seconds_to_next_due(self) -> float:
        t = _TABLE
        async with self.db.read() as session:
            due = await session.scalar(
                select(func.min(t.c.next_attempt_at)).where(t.c.status.in_(_DUE))
            )
        if due is None:
            return self.poll_seconds
        seconds = (due - self.clock.now()).total_seconds()
        return min(max(seconds, 0.0), self.poll_seconds)

    def _log(
        self, mail: _Claimed, replies: Mapping[str, Reply], settled: Settled, attempts: int
    ) -> None:
        what = f"outbox {mail.idem_key} <{mail.message_id}>"
        refused = {r: reply for r, reply in replies.items() if reply.permanent}
        for rcpt, reply in refused.items():
            log.warning("%s: %s refused it for good: %s", what, rcpt, reply)
        if settled.status is OutboxStatus.SENT:
            accepted = sum(1 for reply in replies.values() if reply.ok)
            log.info("%s: sent (%d recipient(s) accepted, attempt %d)", what, accepted, attempts)
        elif settled.status is OutboxStatus.FAILED:
            log.warning("%s: failed: every recipient refused it", what)
        else:
            last = next((replies[r] for r in settled.pending if r in replies), None)
            if settled.status is OutboxStatus.EXPIRED:
                log.warning(
                    "%s: expired after %d attempt(s) over %d h; not delivered to %s (last: %s)",
                    what,
                    attempts,
                    self.settings.give_up_hours,
                    ", ".join(settled.pending),
                    last,
                )
            else:
                log.info(
                    "%s: %d recipient(s) deferred (%s); next try at %s",
                    what,
                    len(settled.pending),
                    last,
                    settled.next_attempt_at.isoformat(),
                )


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Sleep up to `seconds`, less if `stop` or `wake` is set (then `wake` is cleared)."""
    events = [stop] + ([wake] if wake is not None else [])
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*waiters, return_exceptions=True)
    if wake is not None:
        wake.clear()
