"""The IMAP source: take in every message of one mailbox exactly once, then watch it.

The cursor (UIDVALIDITY + last UID taken in, RFC 3501 s.2.3.1.1) lives in the database and
moves in the same transaction as the messages it covers, so a crash at any point loses nothing
and takes nothing twice. A message is flagged \\Seen (or moved to the done folder) only after
that transaction commits; rows still waiting for their flag are finished on the next connect.

When UIDVALIDITY changes (mailbox rebuilt, restored from backup), every UID is new: the
mailbox is resynchronised by Message-ID, fetching only headers for messages we already hold,
so nothing is processed twice.

    source = ImapSource(settings.imap, db, max_message_bytes=...)
    new = await source.sync_once()        # catch up and return (tests, `reflector run --once`)
    await source.run(stop_event)          # catch up, then IDLE/poll, reconnecting forever
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.backoff import Backoff
from reflector.batching import batches_by_size, chunked
from reflector.clock import Clock, SystemClock
from reflector.config import ImapSettings
from reflector.errors import ImapError, StoreError
from reflector.mail.imapconn import ImapConnection, MailboxState
from reflector.store.db import Database
from reflector.store.inbox import Incoming, add_messages, message_id_of
from reflector.store.models import ImapCursor, Message
from reflector.values import Source

log = logging.getLogger(__name__)

CHUNK = 200  # UIDs per FETCH of sizes/headers or STORE (aioimaplib #118: keep responses short)
BODY_BATCH = 50  # messages per FETCH of bodies, and per database transaction
BODY_BATCH_BYTES = 16 * 1024 * 1024  # ... unless they are big


class ImapSource:
    """One mailbox on one IMAP account, taken in through the ingest seam."""

    def __init__(
        self,
        settings: ImapSettings,
        db: Database,
        *,
        clock: Clock | None = None,
        ssl_context: ssl.SSLContext | None = None,
        on_ingest: Callable[[int], None] | None = None,
        rng: random.Random | None = None,
    ):
        self.settings = settings
        self.db = db
        self.clock = clock or SystemClock()
        self.on_ingest = on_ingest
        self.account = f"{settings.username}@{settings.host}:{settings.port}"
        self._ssl = ssl_context
        if settings.tls == "implicit" and ssl_context is None:
            self._ssl = ssl.create_default_context()
        self._backoff = Backoff(base=1.0, cap=300.0, rng=rng or random.Random())

    # -- the public loops -------------------------------------------------------------------

    async def sync_once(self) -> int:
        """Connect, take in everything new, mark it done, log out. Returns the new count."""
        async with self._connection() as conn:
            return await self._sync(conn)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Catch up, then wait for news (IDLE or polling) and catch up again, forever.

        Any failure (network, server, database) closes the connection and retries after an
        exponential backoff with jitter; a successful sync resets the backoff.
        """
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                async with self._connection() as conn:
                    await self._sync(conn)
                    self._backoff.reset()
                    while not stop.is_set():
                        await conn.wait_for_news(
                            self.settings.idle_seconds, self.settings.poll_seconds
                        )
                        await self._sync(conn)
            except (ImapError, StoreError) as error:
                await self._back_off(stop, str(error))
            except Exception:  # a bug must not end intake silently: log it loudly and go on
                log.exception("IMAP %s: unexpected error", self.account)
                await self._back_off(stop, "unexpected error (traceback above)")

    async def _back_off(self, stop: asyncio.Event, why: str) -> None:
        delay = self._backoff.next_delay()
        log.warning("IMAP %s: %s; retrying in %.1f s", self.account, why, delay)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await stop.wait()

    # -- one connection ---------------------------------------------------------------------

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[ImapConnection]:
        s = self.settings
        conn = await ImapConnection.open(
            s.host,
            s.port,
            username=s.username,
            password=s.password,
            command_timeout=s.timeout_seconds,
            ssl_context=self._ssl if s.tls == "implicit" else None,
        )
        try:
            if s.on_done == "move":
                await conn.ensure_mailbox(s.done_folder)
            yield conn
        except BaseException:
            conn.abort()  # mid-command or cancelled: the protocol state is unknown, hang up
            raise
        else:
            await conn.close()

    async def _sync(self, conn: ImapConnection) -> int:
        mailbox = self.settings.mailbox
        state = await conn.select(mailbox)
        cursor = await self._cursor(state)
        if cursor.uidvalidity != state.uidvalidity:
            log.warning(
                "IMAP %s %s: UIDVALIDITY changed %s -> %s; resynchronising by Message-ID",
                self.account,
                mailbox,
                cursor.uidvalidity,
                state.uidvalidity,
            )
            return await self._resync(conn, state)
        await self._finish_pending(conn, state.uidvalidity)
        uids = [
            u for u in await conn.uid_search(f"UID {cursor.last_uid + 1}:*") if u > cursor.last_uid
        ]  # "n:*" always includes the highest UID (RFC 3501 s.6.4.8)
        return await self._take_in(conn, state, uids, set_cursor=True)

    async def _cursor(self, state: MailboxState) -> ImapCursor:
        async with self.db.write() as session:
            cursor = await session.scalar(
                select(ImapCursor).where(
                    col(ImapCursor.account) == self.account,
                    col(ImapCursor.mailbox) == self.settings.mailbox,
                )
            )
            if cursor is None:
                cursor = ImapCursor(
                    account=self.account,
                    mailbox=self.settings.mailbox,
                    uidvalidity=state.uidvalidity,
                    last_uid=0,
                    updated_at=self.clock.now(),
                )
                session.add(cursor)
            return cursor

    def _source_ref(self, uidvalidity: int, uid: int) -> str:
        # RFC 5092 IMAP URL form: unique per message for as long as UIDVALIDITY holds.
        return f"imap://{self.account}/{self.settings.mailbox};UIDVALIDITY={uidvalidity}/;UID={uid}"

    async def _take_in(
        self, conn: ImapConnection, state: MailboxState, uids: Sequence[int], *, set_cursor: bool
    ) -> int:
        """Fetch, commit (with the cursor), then mark done on the server, batch by batch."""
        new = 0
        for chunk in chunked(uids, CHUNK):
            sizes = await conn.fetch_sizes(chunk)
            for batch in batches_by_size(chunk, sizes, BODY_BATCH, BODY_BATCH_BYTES):
                bodies = await conn.fetch_bodies(batch, sum(sizes.get(u, 0) for u in batch))
                fresh, done = await self._commit(state, batch, bodies, set_cursor=set_cursor)
                new += len(fresh)
                if done:
                    await self._mark_done(conn, done)
                    await self._set_done(fresh)
                if fresh and self.on_ingest is not None:
                    self.on_ingest(len(fresh))
        return new

    async def _commit(
        self,
        state: MailboxState,
        batch: Sequence[int],
        bodies: dict[int, bytes],
        *,
        set_cursor: bool,
    ) -> tuple[list[int], list[int]]:
        """One transaction: the batch's messages and (optionally) the cursor past it."""
        now = self.clock.now()
        taken = [
            Incoming(
                raw=bodies[uid],
                source=Source.IMAP,
                source_ref=self._source_ref(state.uidvalidity, uid),
                imap_mailbox=self.settings.mailbox,
                imap_uidvalidity=state.uidvalidity,
                imap_uid=uid,
            )
            for uid in batch
            if uid in bodies  # a UID missing here was expunged between SEARCH and FETCH
        ]
        async with self.db.write() as session:
            results = await add_messages(session, taken, now)
            fresh = [r.message_pk for r in results if not r.duplicate]
            if set_cursor:
                await self._advance(session, state.uidvalidity, max(batch), now)
        log.info("IMAP %s: took in %d new of %d", self.account, len(fresh), len(batch))
        return fresh, [uid for uid in batch if uid in bodies]

    async def _advance(
        self, session: AsyncSession, uidvalidity: int, last_uid: int, now: datetime
    ) -> None:
        await session.execute(
            update(ImapCursor)
            .where(
                col(ImapCursor.account) == self.account,
                col(ImapCursor.mailbox) == self.settings.mailbox,
            )
            .values(uidvalidity=uidvalidity, last_uid=last_uid, updated_at=now)
        )

    async def _mark_done(self, conn: ImapConnection, uids: Sequence[int]) -> None:
        for chunk in chunked(sorted(uids), CHUNK):
            if self.settings.on_done == "move":
                await conn.move(chunk, self.settings.done_folder)
            else:
                await conn.add_flags(chunk, r"\Seen")

    async def _set_done(self, message_pks: Sequence[int]) -> None:
        if not message_pks:
            return
        async with self.db.write() as session:
            await session.execute(
                update(Message).where(col(Message.id).in_(message_pks)).values(imap_done=True)
            )

    async def _finish_pending(self, conn: ImapConnection, uidvalidity: int) -> None:
        """Mark done what was committed before a crash or disconnect but not yet flagged."""
        prefix = self._source_ref(uidvalidity, 0)[:-1]
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(col(Message.id), col(Message.imap_uid)).where(
                        col(Message.source_ref).startswith(prefix),
                        col(Message.imap_done).is_(False),
                    )
                )
            ).all()
        if not rows:
            return
        log.info("IMAP %s: marking %d committed messages done", self.account, len(rows))
        uids: list[int] = []
        pks: list[int] = []
        for pk, uid in rows:
            assert pk is not None and uid is not None  # primary key; IMAP rows always have a UID
            uids.append(uid)
            pks.append(pk)
        await self._mark_done(conn, uids)
        await self._set_done(pks)

    async def _resync(self, conn: ImapConnection, state: MailboxState) -> int:
        """UIDVALIDITY changed: match by Message-ID, fetch only what we do not hold."""
        uids = await conn.uid_search("UID 1:*") if state.exists else []
        unknown: list[int] = []
        known: list[int] = []
        for chunk in chunked(uids, CHUNK):
            headers = await conn.fetch_message_id_headers(chunk)
            ids = {uid: message_id_of(headers.get(uid, b"")) for uid in chunk}
            wanted = {mid for mid in ids.values() if mid}
            async with self.db.read() as session:
                held = (
                    set(
                        (
                            await session.scalars(
                                select(col(Message.message_id)).where(
                                    col(Message.message_id).in_(wanted)
                                )
                            )
                        ).all()
                    )
                    if wanted
                    else set()
                )
            for uid, mid in ids.items():
                (known if mid and mid in held else unknown).append(uid)
        if known:
            log.info(
                "IMAP %s: %d messages already held, not fetched again", self.account, len(known)
            )
            await self._mark_done(conn, known)
        new = await self._take_in(conn, state, unknown, set_cursor=False)
        async with self.db.write() as session:
            await self._advance(session, state.uidvalidity, max(uids, default=0), self.clock.now())
        return new
