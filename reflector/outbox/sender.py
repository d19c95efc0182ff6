"""`OutboxSender`: deliver due outbox rows over one SMTP connection, never inside a transaction.

A drain claims due rows in batches of `CLAIM_BATCH` (status `sending`, attempts +1,
next_attempt_at = now + lease, claimed_by = this process) and sends them one after the other.
The next batch is claimed while the current one is on the wire, and each mail's outcome goes to
a `Recorder`, which commits whatever has accumulated at most every `RECORD_INTERVAL` while the
next mails go out. So the database work hides behind the network work, and a process killed at
any point has at most `RECORD_GROUP` mails accepted by the server and not recorded (sent again
after the restart), not a batch:

    wire       1a  1b  1c  1d  1e ...               ... 1z  2a  2b ...
    database   claim 2 │ record 1a │ record 1b-1d │ ... │ claim 3 │ record 1z, 2a │ ...

    sender = OutboxSender(db, settings.smtp, settings.outbox, SystemClock())
    report = await sender.drain_once()    # DrainReport(attempted=3, sent=2, retrying=1, ...)
    await sender.run(stop, wake)          # drain, sleep until woken or something is due, repeat
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reflector.backoff import Backoff
from reflector.clock import Clock
from reflector.config import OutboxSettings, SmtpSettings
from reflector.errors import StoreError
from reflector.mail.send import Reply, SmtpSender
from reflector.outbox.claimant import Claimant, abandoned, this_process
from reflector.outbox.mails import TABLE, OutboxStatus
from reflector.outbox.recorder import Recorder
from reflector.outbox.retry import Settled, pending_recipients, settle
from reflector.store.db import Database

log = logging.getLogger(__name__)

CLAIM_BATCH = 100  # mails per claim
CLAIM_BYTES = 32 * 1024 * 1024  # ... unless they are big: the claimed bytes sit in memory
POLL_SECONDS = 30.0  # `run` looks for due mail at least this often (others may enqueue)
_DUE = (OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value)


@dataclass(frozen=True)
class DrainReport:
    """What one `drain_once` did, counted in mails (rows)."""

    attempted: int = 0  # handed to the SMTP server
    sent: int = 0  # now `sent`
    retrying: int = 0  # back to `queued` for a later try (including `released` ones)
    failed: int = 0  # now `failed`
    expired: int = 0  # now `expired`
    released: int = 0  # claimed but not tried (server unreachable, lease half over, stopping)
    error: str | None = None  # why the drain stopped early: the SMTP server could not be reached


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
    lease_until: datetime  # another sender may take the row after this


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def add(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1


class OutboxSender:
    """Delivers due outbox rows through one `SmtpSender` (see `reflector.outbox`)."""

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
        self.claimant: Claimant = this_process()  # written into the rows we claim
        self.recorder = Recorder(db)  # outcomes not yet committed survive a failed drain here
        self._recovered = not db.is_sqlite  # PostgreSQL: abandoned rows wait for their lease
        self._stop: asyncio.Event | None = None

    # -- the public loops -----------------------------------------------------------------------

    async def drain_once(self, limit: int | None = None) -> DrainReport:
        """Send everything due now (at most `limit` mails), record the outcomes, return counts.

        Stops early when the SMTP server cannot be reached (`DrainReport.error`). Raises
        `StoreError` when the database fails; the outcomes of mails already sent stay in
        memory and are written first by the next call.
        """
        if not self._recovered:
            await self._requeue_abandoned()
            self._recovered = True
        tally = _Tally()
        remaining = limit

        def wanted() -> int:
            if tally.error is not None or (self._stop is not None and self._stop.is_set()):
                return 0
            return CLAIM_BATCH if remaining is None else min(CLAIM_BATCH, remaining)

        async with self.recorder.running():
            claimed = await self._claim_next(wanted())
            while claimed:
                if remaining is not None:
                    remaining -= len(claimed)
                ahead = asyncio.create_task(self._claim_next(wanted()))  # while this is sent
                try:
                    await self._deliver(claimed, tally)
                except BaseException:  # cancelled, a bug, the database: put the next batch back
                    await asyncio.wait([ahead])
                    if not ahead.cancelled() and ahead.exception() is None:
                        self._release(ahead.result())
                    raise
                claimed = await ahead
        return DrainReport(**tally.counts, error=tally.error)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Drain, then sleep until `wake` is set, the next row is due or `poll_seconds` pass.

        Returns soon after `stop` is set: the mail on the wire is finished, every outcome is
        recorded, and claimed mails not yet tried are put back. Database errors and bugs are
        logged and retried with backoff. The SMTP connection is closed when a drain found
        nothing to do.
        """
        self._stop = stop
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
            self._stop = None
            await self.sender.close()

    # -- the claims -----------------------------------------------------------------------------

    async def _claim_next(self, limit: int) -> list[_Claimed]:
        """Claim up to `limit` due rows, in the recorder's next transaction."""
        if limit == 0:
            return []
        return await self.recorder.write(lambda session: self._claim(session, limit))

    async def _claim(self, session: AsyncSession, limit: int) -> list[_Claimed]:
        """Mark up to `limit` due rows `sending` with our lease; oldest due first."""
        t = TABLE
        now = self.clock.now()
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
                claimed_by=str(self.claimant),
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
                t.c.next_attempt_at,
            )
        )
        order = {pk: i for i, pk in enumerate(ids)}
        return sorted((_Claimed(*row) for row in rows), key=lambda c: order[c.id])

    # -- the network part (no transaction open) -------------------------------------------------

    async def _deliver(self, claimed: Sequence[_Claimed], tally: _Tally) -> None:
        """Send each claimed mail; its new state goes to the recorder as soon as it is known."""
        started = 0  # claimed[:started] are done or on the wire
        try:
            for mail in claimed:
                await self.recorder.room()  # the duplicate window: a few mails, not a batch
                started += 1
                await self._deliver_one(mail, tally)
        except BaseException:
            # Put back the mails not started, so that they need not wait for their lease. The
            # mail on the wire, if any, does: it may have gone out.
            self._release(claimed[started:])
            raise

    async def _deliver_one(self, mail: _Claimed, tally: _Tally) -> None:
        now = self.clock.now()
        stopping = self._stop is not None and self._stop.is_set()
        if tally.error is None and (stopping or now > mail.lease_until - self.lease / 2):
            # Put it back untried: we are stopping, or would outlive the lease (another
            # sender would take the row meanwhile).
            self._release([mail])
            tally.add("released")
            tally.add("retrying")
            return
        pending = pending_recipients(mail.envelope_to, mail.last_replies)
        if tally.error is not None:  # the server is unreachable: do not knock again now
            replies = {r: Reply(None, f"not tried: {tally.error}") for r in pending}
            attempts = mail.attempts - 1
            tally.add("released")
        else:
            replies = await self.sender.send(mail.envelope_from, pending, mail.data)
            attempts = mail.attempts
            tally.add("attempted")
            # No answer, or 421 "service not available" (RFC 5321 s.3.8): do not knock
            # again for the rest of this drain.
            broken = next((r for r in replies.values() if r.code in (None, 421)), None)
            if broken is not None:
                tally.error = str(broken)
        settled = settle(
            mail.envelope_to,
            mail.last_replies,
            replies,
            created_at=mail.created_at,
            attempts=attempts,
            now=self.clock.now(),
            settings=self.settings,
            rng=self._rng,
        )
        self._log(mail, replies, settled, attempts)
        tally.add("retrying" if settled.status is OutboxStatus.QUEUED else settled.status.value)
        self.recorder.add(_update(mail, attempts, settled.status, settled.next_attempt_at, settled))

    def _release(self, mails: Sequence[_Claimed]) -> None:
        """Put claimed mails back untried: `queued`, due now, the claim's attempt undone."""
        now = self.clock.now()
        for mail in mails:
            self.recorder.add(_update(mail, mail.attempts - 1, OutboxStatus.QUEUED, now))

    # -- housekeeping ---------------------------------------------------------------------------

    async def _requeue_abandoned(self) -> None:
        """SQLite, at the first drain: rows left `sending` by a sender that is certainly gone
        (see `reflector.outbox.claimant`) are due again at once; others wait for their lease."""
        t = TABLE
        async with self.db.write() as session:
            query = select(t.c.id, t.c.claimed_by).where(t.c.status == OutboxStatus.SENDING.value)
            left = (await session.execute(query)).all()
            # "": claimed before claimants were recorded (migration 0005), when SQLite had one
            # sender by rule: the one this process replaces.
            gone = {pk for pk, by in left if by == "" or abandoned(by, self.claimant)}
            if gone:
                await session.execute(
                    update(t)
                    .where(t.c.id.in_(gone), t.c.status == OutboxStatus.SENDING.value)
                    .values(status=OutboxStatus.QUEUED.value, next_attempt_at=self.clock.now())
                )
        for (stopped, by), count in Counter((pk in gone, by) for pk, by in left).items():
            if stopped:
                log.warning(
                    "outbox: %d mail(s) left 'sending' by %s, which has stopped, queued again "
                    "(each may reach its recipients twice, with the same Message-ID)",
                    count,
                    by or "an earlier version",
                )
            else:
                log.info(
                    "outbox: %d mail(s) 'sending' by %s, which may still be sending them: "
                    "they wait for their lease",
                    count,
                    by,
                )

    async def _seconds_to_next_due(self) -> float:
        t = TABLE
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
        """One line per decision, naming the key and the Message-ID."""
        what = f"outbox {mail.idem_key} <{mail.message_id}>"
        for rcpt, reply in replies.items():
            if reply.permanent:
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


def _update(
    mail: _Claimed,
    attempts: int,
    status: OutboxStatus,
    next_attempt_at: datetime,
    settled: Settled | None = None,
) -> dict[str, Any]:
    """Parameters for `_RECORD`: one claimed row's new state."""
    return {
        "b_id": mail.id,
        "b_claimed_attempts": mail.attempts,
        "b_attempts": attempts,
        "b_status": status.value,
        "b_next": next_attempt_at,
        "b_replies": mail.last_replies if settled is None else settled.last_replies,
        "b_sent_at": None if settled is None else settled.sent_at,
    }


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
