"""LMTP (RFC 2033) intake for sites whose own MTA delivers to us, with aiosmtpd.

The reply to DATA is given only after the message is committed: "250" means it is in the
database. When the store is unavailable every recipient gets "451 4.3.0", a temporary failure,
so the MTA keeps the message and retries (a 5xx would make it bounce to the sender). Only the
configured recipients are accepted; others get "550 5.1.1" at RCPT time.

    server = await start_lmtp_server(db, settings.lmtp, max_message_bytes=..., on_ingest=wake)
    ...
    server.close(); await server.wait_closed()
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

from reflector.clock import Clock, SystemClock
from reflector.errors import StoreError
from reflector.store.db import Database
from reflector.store.inbox import Incoming, ingest
from reflector.values import Source

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Message store unavailable, please try again later"


class _LongLinesLMTP(LMTP):
    # Real mail has lines far over RFC 5322's 998 characters; refusing them would bounce it.
    line_length_limit = 100_000


class _LongLinesSMTP(SMTP):
    line_length_limit = 100_000


class IngestHandler:
    """aiosmtpd handler: accept listed recipients, store the message, then say 250."""

    def __init__(
        self,
        db: Database,
        recipients: frozenset[str],
        *,
        clock: Clock | None = None,
        on_ingest: Callable[[int], None] | None = None,
    ):
        self.db = db
        self.recipients = recipients
        self.clock = clock or SystemClock()
        self.on_ingest = on_ingest

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: Any
    ) -> str:
        if address.casefold() not in self.recipients:
            return f"550 5.1.1 <{address}>: no such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        try:
            [result] = await ingest(
                self.db,
                [
                    Incoming(
                        raw=raw,
                        source=Source.LMTP,
                        envelope_from=envelope.mail_from,
                        envelope_to=tuple(envelope.rcpt_tos),
                    )
                ],
                self.clock.now(),
            )
        except StoreError as error:
            log.error("LMTP: message from <%s> refused for now: %s", envelope.mail_from, error)
            return self._per_recipient(server, envelope, lambda _rcpt: TEMPORARY_FAILURE)
        if not result.duplicate and self.on_ingest is not None:
            self.on_ingest(1)
        log.info(
            "LMTP: stored message #%d from <%s>%s",
            result.message_pk,
            envelope.mail_from,
            " (already held)" if result.duplicate else "",
        )
        return self._per_recipient(
            server, envelope, lambda rcpt: f"250 2.0.0 <{rcpt}> stored as #{result.message_pk}"
        )

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd's default answer to an exception is a permanent 500, which would bounce.
        log.exception("LMTP session error: %s", error)
        return "451 4.3.0 Temporary local error, please try again later"

    @staticmethod
    def _per_recipient(server: SMTP, envelope: Envelope, reply: Callable[[str], str]) -> str:
        # RFC 2033 s.4.2: after DATA, LMTP answers once per accepted recipient, in RCPT order.
        # aiosmtpd writes the returned string verbatim plus CRLF (aiosmtpd #517).
        if isinstance(server, LMTP):
            return "\r\n".join(reply(rcpt) for rcpt in envelope.rcpt_tos)
        return reply(envelope.rcpt_tos[0] if envelope.rcpt_tos else "")


async def start_lmtp_server(
    handler: IngestHandler,
    host: str,
    port: int,
    *,
    data_size_limit: int,
    protocol: str = "lmtp",
    hostname: str | None = None,
) -> asyncio.Server:
    """Listen on host:port (port 0 picks a free one: read `server.sockets[0]`)."""
    server_class = _LongLinesLMTP if protocol == "lmtp" else _LongLinesSMTP
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: server_class(
            handler,
            hostname=hostname,
            data_size_limit=data_size_limit,
            enable_SMTPUTF8=True,
            decode_data=False,
        ),
        host,
        port,
    )
