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
from reflector.outbox import DrainReport, OutboxSender
from reflector.pipeline import ProcessReport, process_pending
from reflector.store.db import Database
from reflector.understand import Policy, policy_from_settings

log = logging.getLogger(__name__)

PROCESS_EVERY_SECONDS = 30.0  # a pass even without a wake-up, e.g. after `reflector import`


@dataclass
class OnceReport:
    fetched: int
    processed: ProcessReport
    sent: DrainReport


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

    async def run_once(self) -> OnceReport:
        """Take in what IMAP holds now, process every pending message, send what is due."""
        fetched = await self.imap.sync_once() if self.imap else 0
        processed = await self.process()
        try:
            sent = await self.outbox.drain_once()
        finally:
            await self.outbox.sender.close()
        return OnceReport(fetched, processed, sent)

    async def process(self) -> ProcessReport:
        """One processing pass with the workflows; wakes the sender when mail may be queued."""
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
        if ready is not None:
            ready.set()
        try:
            await stop.wait()
        finally:
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
