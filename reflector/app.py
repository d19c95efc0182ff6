"""The service: wires intake (IMAP, LMTP), processing (with the workflows) and the outbox
sender together and runs them.

    service = Service(settings, db)
    await service.run_once()        # catch up on IMAP, process everything, send what is due
    await service.run(stop_event)   # run until stop_event is set (SIGTERM/SIGINT in the CLI)

Parts talk through the database only; in-memory events merely wake the next part early (intake
wakes processing, processing wakes the sender), and periodic passes catch anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import ssl
from dataclasses import dataclass

from reflector.backoff import Backoff
from reflector.clock import Clock, SystemClock
from reflector.config import Settings
from reflector.engine.apply import Engine
from reflector.errors import StoreError
from reflector.mail.imap import ImapSource
from reflector.mail.lmtp import IngestHandler, start_lmtp_server
from reflector.meetings import load_meetings, sync_config_meetings
from reflector.outbox import DrainReport, OutboxSender
from reflector.pipeline import ProcessReport, process_pending
from reflector.schedule import Scheduler
from reflector.store.db import Database
from reflector.understand import Policy, policy_from_settings

log = logging.getLogger(__name__)

PROCESS_EVERY_SECONDS = 30.0  # a pass even without a wake-up, e.g. after `reflector import`


@dataclass
class OnceReport:
    fetched: int
    processed: ProcessReport
    sent: DrainReport
    scheduled: list[str]  # outbox keys of the scheduled mail queued


class Service:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        *,
        clock: Clock | None = None,
        imap_ssl_context: ssl.SSLContext | None = None,
    ):
        self.settings = settings
        self.db = db
        self.clock = clock or SystemClock()
        self.policy: Policy = policy_from_settings(settings)
        self.engine = Engine.from_settings(settings)  # ConfigError for a broken workflow
        self.outbox = OutboxSender(db, settings.smtp, settings.outbox, self.clock)
        self._wake = asyncio.Event()
        self._outbox_wake = asyncio.Event()
        self.imap = (
            ImapSource(
                settings.imap,
                db,
                clock=self.clock,
                ssl_context=imap_ssl_context,
                on_ingest=lambda _n: self._wake.set(),
            )
            if settings.imap.enabled
            else None
        )
        self.lmtp_server: asyncio.Server | None = None
        self.scheduler = Scheduler(
            db, settings, self.engine.renderer, self.clock, on_queued=self._outbox_wake.set
        )
        self._synced = False

    async def run_once(self) -> OnceReport:
        """Take in what IMAP holds now, process every pending message, queue the scheduled
        mail that is due, and send what is due."""
        fetched = await self.imap.sync_once() if self.imap else 0
        processed = await self.process()
        scheduled = await self.scheduler.run_due()
        try:
            sent = await self.outbox.drain_once()
        finally:
            await self.outbox.sender.close()
        return OnceReport(fetched, processed, sent, scheduled)

    async def refresh_meetings(self) -> None:
        """Take the meetings from the database (config.toml's are copied in at the first call),
        so that `reflector meetings add|edit` needs no restart."""
        now = self.clock.now()
        if not self._synced:
            async with self.db.write() as session:
                await sync_config_meetings(session, self.settings.meetings, now)
            self._synced = True
        async with self.db.read() as session:
            meetings = await load_meetings(session)
        if meetings != self.settings.meetings:
            self.settings = dataclasses.replace(self.settings, meetings=meetings)
            self.policy = policy_from_settings(self.settings)
            self.engine = dataclasses.replace(self.engine, settings=self.settings)

    async def process(self) -> ProcessReport:
        """One processing pass with the workflows; wakes the sender when mail may be queued."""
        await self.refresh_meetings()
        report = await process_pending(self.db, self.policy, self.clock.now(), engine=self.engine)
        if report.counts.get("processed"):
            self._outbox_wake.set()
        return report

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        """Run every enabled part until `stop` is set."""
        tasks: list[asyncio.Task[None]] = []
        if self.settings.lmtp.enabled:
            lmtp = self.settings.lmtp
            handler = IngestHandler(
                self.db,
                frozenset(lmtp.recipients),
                clock=self.clock,
                on_ingest=lambda _n: self._wake.set(),
            )
            self.lmtp_server = await start_lmtp_server(
                handler,
                lmtp.host,
                lmtp.port,
                data_size_limit=2 * self.settings.intake.max_message_bytes,
            )
            log.info("LMTP listening on %s:%d", lmtp.host, lmtp.port)
        if self.imap is not None:
            tasks.append(asyncio.create_task(self.imap.run(stop), name="imap"))
        tasks.append(asyncio.create_task(self._process_loop(stop), name="process"))
        tasks.append(
            asyncio.create_task(self.outbox.run(stop, wake=self._outbox_wake), name="outbox")
        )
        await self.refresh_meetings()
        tasks.append(asyncio.create_task(self.scheduler.run(stop), name="scheduler"))
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
            # The sender, told to stop, finishes the mail on the wire and records it: cancelling
            # it would be a crash for that mail (sent again at the next start).
            sender = [t for t in tasks if t.get_name() == "outbox"]
            if sender:
                await asyncio.wait(sender, timeout=self.settings.smtp.timeout_seconds + 10)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.lmtp_server is not None:
                self.lmtp_server.close()
                await self.lmtp_server.wait_closed()

    async def _process_loop(self, stop: asyncio.Event) -> None:
        backoff = Backoff(base=1.0, cap=60.0)
        while not stop.is_set():
            self._wake.clear()
            delay = PROCESS_EVERY_SECONDS
            try:
                await self.process()
                backoff.reset()
            except StoreError as error:
                delay = backoff.next_delay()
                log.warning("processing paused: %s; retrying in %.1f s", error, delay)
            except Exception:  # a bug must not stop processing silently: log it and go on
                delay = backoff.next_delay()
                log.exception("processing failed unexpectedly; retrying in %.1f s", delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
