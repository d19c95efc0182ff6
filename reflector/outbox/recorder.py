"""`Recorder`: commit each mail's outcome a few mails behind the wire, while sending goes on.

The server's final 250 and our commit of `sent` cannot be one atomic step: a process killed
between the two sends that mail again after its restart. The recorder keeps that window small.
The sender hands it each outcome as soon as the server has answered (`add`). A background task
commits whatever has accumulated in one short transaction, at once if the last commit began at
least `interval` ago, else when it did: a commit costs about as much CPU as sending a mail, so
when mails go out faster than every `interval`, a few share one. And the sender starts no mail
while `group` outcomes are still uncommitted (`room`). So

* at any moment at most `group` mails have been accepted by the server and not recorded:
  `group - 1` outcomes waiting, plus the mail on the wire whose 250 may just have come back;
* a mail's outcome is committed at most about `interval` plus two commits after its 250
  (right after it, when mails take longer than `interval` each, as with a real server).

    recorder = Recorder(db)
    async with recorder.running():                  # the background task and its connection
        for mail in claimed:
            await recorder.room()                   # raises what stopped the background task
            recorder.add(outcome_of(await send(mail)))
        more = await recorder.write(claim_more)     # a write of ours: the outcomes go along
    # the block's end commits the rest; what a failed database kept from being written stays
    # in `pending`, and the next write commits it first
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, bindparam, exc, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from reflector.errors import StoreError
from reflector.outbox.mails import TABLE, OutboxStatus
from reflector.store.db import Database, describe_url

log = logging.getLogger(__name__)

T = TypeVar("T")

# A commit costs 1-2 ms of CPU on a shared 2-vCPU machine, about what sending a mail to a local
# server does, so when mails go out faster than one per RECORD_INTERVAL they share a commit
# (bench/README.md: at ~1000 mails/s, 10 ms cost about a fifth of the speed, 20 ms a tenth).
# RECORD_GROUP is above what one interval gathers at that speed: the sender seldom waits.
RECORD_GROUP = 32  # at most this many outcomes uncommitted: the sender waits for room
RECORD_INTERVAL = 0.020  # seconds: at most one commit this often (the rest waits to join it)

# Errors that mean "the database is not usable right now" (as `Database` maps them).
_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, OSError, TimeoutError)

# One executemany for a group of outcomes. Guarded: after a lost lease another sender owns the
# row (it claimed it again, so attempts moved on), and its result wins.
_RECORD = (
    update(TABLE)
    .where(
        TABLE.c.id == bindparam("b_id"),
        TABLE.c.attempts == bindparam("b_claimed_attempts"),
        TABLE.c.status == OutboxStatus.SENDING.value,
    )
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_next"),
        last_replies=bindparam("b_replies"),
        sent_at=bindparam("b_sent_at"),
    )
)


class Recorder:
    """Commits outcomes (`_RECORD` parameters) in the background, at most `group` behind."""

    def __init__(self, db: Database, group: int = RECORD_GROUP, interval: float = RECORD_INTERVAL):
        if group < 1:
            raise ValueError(f"group = {group}: expected >= 1")
        self.db = db
        self.group = group
        self.interval = interval
        self.pending: list[dict[str, Any]] = []  # not committed yet (some may be being written)
        self._lock = asyncio.Lock()  # one write transaction of ours at a time
        self._added = asyncio.Event()
        self._full = asyncio.Event()  # `group` outcomes wait: commit now
        self._written = asyncio.Event()
        self._closing = False
        self._error: Exception | None = None

    def add(self, outcome: dict[str, Any]) -> None:
        """Queue one row's new state; the background task commits it soon."""
        self.pending.append(outcome)
        self._added.set()
        if len(self.pending) >= self.group:
            self._full.set()

    async def room(self) -> None:
        """Return when fewer than `group` outcomes are uncommitted. Raises what stopped the
        background task (`StoreError` when the database failed): nothing sent from now on
        could be recorded."""
        while True:
            if self._error is not None:
                raise self._error
            if len(self.pending) < self.group:
                return
            self._written.clear()
            await self._written.wait()

    async def write(self, then: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """One `Database.write()` transaction: commit `pending`, then return `then(session)`."""
        async with self._lock:
            outcomes = list(self.pending)
            async with self.db.write() as session:
                if outcomes:
                    result = await session.execute(_RECORD, outcomes)
                done = await then(session)
            self._committed(outcomes, cast(CursorResult[Any], result) if outcomes else None)
        return done

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Commit in the background inside the block, and the rest when it ends.

        The background task's error (e.g. `StoreError`) is raised at the block's end if the
        block ended normally; when the block raises, its exception goes on instead.
        """
        self._closing, self._error = False, None
        task = asyncio.create_task(self._commit_loop(), name="outbox-recorder")
        try:
            yield
        finally:
            # The task writes what is left and ends. Not cancelled: even when we are, an
            # outcome left unwritten is a mail sent again later.
            self._closing = True
            self._added.set()
            self._full.set()
            await asyncio.wait([task])
        if self._error is not None:
            raise self._error

    # -- the background task --------------------------------------------------------------------

    async def _commit_loop(self) -> None:
        try:
            # A connection of its own for the whole drain: a transaction through a pooled
            # session took 1.5-2 times the CPU (checkout, reset on return), every few mails.
            loop = asyncio.get_running_loop()
            async with self.db.engine.connect() as conn:
                last = -self.interval
                while not (self._closing and not self.pending):
                    await self._added.wait()
                    if not self._closing and (wait := last + self.interval - loop.time()) > 0:
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(wait):
                                await self._full.wait()
                    self._added.clear()
                    self._full.clear()
                    last = loop.time()
                    await self._record(conn)
        except _UNAVAILABLE as error:
            self._fail(StoreError(f"database {describe_url(self.db.url)} unavailable: {error}"))
        except Exception as error:  # a bug: the sender stops and `run` logs it
            self._fail(error)

    async def _record(self, conn: AsyncConnection) -> None:
        async with self._lock:
            outcomes = list(self.pending)
            if not outcomes:
                return
            # A plain BEGIN on SQLite, yet no "database is locked" as a read-then-write
            # transaction can get: the first statement writes, so SQLite takes the write lock
            # before reading and waits for it with the busy timeout, as BEGIN IMMEDIATE does
            # (sqlite.org/lang_transaction.html).
            async with conn.begin():
                result = await conn.execute(_RECORD, outcomes)
            self._committed(outcomes, cast(CursorResult[Any], result))

    def _committed(self, outcomes: list[dict[str, Any]], result: CursorResult[Any] | None) -> None:
        del self.pending[: len(outcomes)]  # more may have been added meanwhile
        self._written.set()
        if result is not None and 0 <= (written := result.rowcount) < len(outcomes):
            log.warning(
                "outbox: %d of %d outcome(s) not written: their lease ran out and another "
                "sender took them (lease_seconds too short?)",
                len(outcomes) - written,
                len(outcomes),
            )

    def _fail(self, error: Exception) -> None:
        self._error = error
        self._written.set()  # wake `room()`, which raises it
