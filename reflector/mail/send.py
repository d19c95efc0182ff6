"""The SMTP seam: hand one message to the relay, get one reply per recipient back.

`SmtpSender.send()` never raises for anything the network or the server does. Every outcome is
a `Reply` per recipient, which the outbox turns into sent / retry / failed:

* a RCPT refusal belongs to that recipient (RFC 5321 s.4.1.1.3);
* the reply to DATA belongs to every recipient accepted in that transaction (s.4.1.1.4);
* a refused MAIL belongs to every recipient of the transaction (e.g. 552 message too big);
* a lost connection, a timeout, a failed connect, STARTTLS or login, or a MAIL refused for
  want of authentication (530/535, RFC 4954) gives `Reply(None, "...")` to every recipient not
  yet answered: temporary, try again later (a fixed password lets the queue go).

Recipients go in transactions of at most `rcpt_per_transaction` (RFC 5321 s.4.5.3.1.8: servers
must accept at least 100), each its own MAIL/RCPT/DATA. One aiosmtplib connection stays open
between calls; after any network error it is thrown away and the next call connects with a new
client (aiosmtplib #243, #38: a client is not reliably reusable after an error).

    sender = SmtpSender(settings.smtp, rcpt_per_transaction=100)
    replies = await sender.send("bot@example.org", ["a@example.org", "b@example.org"], data)
    replies["a@example.org"]          # Reply(code=250, text='OK')
    replies["b@example.org"].permanent  # True for "550 5.1.1 no such user"
    await sender.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

import aiosmtplib

from reflector.batching import chunked
from reflector.config import SmtpSettings

log = logging.getLogger(__name__)

# What the network or the server can throw at us outside a reply we handle: mapped to Reply(None).
_NETWORK_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)
_QUIT_SECONDS = 5.0
# MAIL refused for want of (valid) authentication (RFC 4954 s.6): 530, 534, 535, 538.
_LOGIN_NEEDED = frozenset({530, 534, 535, 538})


@dataclass(frozen=True)
class Reply:
    """What the server said about one recipient: an SMTP code and text, or `None` and why not.

    >>> Reply(250, "2.0.0 OK").ok, Reply(451, "4.3.0 try again").temporary
    (True, True)
    >>> Reply(550, "5.1.1 no such user").permanent, Reply(None, "connection lost").temporary
    (True, True)
    >>> str(Reply(550, "5.1.1 no such user"))
    '550 5.1.1 no such user'
    """

    code: int | None  # None: no reply at all (network error, timeout), so temporary
    text: str

    @property
    def ok(self) -> bool:
        """Accepted (2xx)."""
        return self.code is not None and 200 <= self.code < 300

    @property
    def temporary(self) -> bool:
        """Worth trying again later: 4xx, or no reply at all."""
        return self.code is None or 400 <= self.code < 500

    @property
    def permanent(self) -> bool:
        """Refused for good (5xx): retrying would not help."""
        return self.code is not None and self.code >= 500

    def __str__(self) -> str:
        return self.text if self.code is None else f"{self.code} {self.text}"


class _Unreachable(Exception):
    """The connection failed or broke; `reply` is what every unanswered recipient gets."""

    def __init__(self, reply: Reply):
        self.reply = reply
        super().__init__(reply.text)


class SmtpSender:
    """One SMTP relay, one connection kept open between `send()` calls (which take turns)."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        rcpt_per_transaction: int = 100,
        local_hostname: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ):
        if rcpt_per_transaction < 1:
            raise ValueError(f"rcpt_per_transaction = {rcpt_per_transaction}: expected >= 1")
        if settings.tls not in ("starttls", "implicit", "none"):
            raise ValueError(f"[smtp].tls = {settings.tls!r}: expected starttls, implicit or none")
        self.settings = settings
        self.rcpt_per_transaction = rcpt_per_transaction
        self.server = f"{settings.host}:{settings.port}"
        self._local_hostname = local_hostname
        self._tls_context = tls_context
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()
        self._mail_answered = False  # in the current transaction

    async def send(
        self, envelope_from: str, recipients: Sequence[str], data: bytes
    ) -> dict[str, Reply]:
        """Send `data` to `recipients`; return one `Reply` per distinct recipient.

        `envelope_from` may be "" (the null reverse-path, RFC 5321 s.4.5.5, for auto-replies).
        `data` goes out as it is (aiosmtplib only makes line endings CRLF and dot-stuffs).
        """
        replies: dict[str, Reply] = {}
        async with self._lock:
            broken: Reply | None = None
            for batch in chunked(list(dict.fromkeys(recipients)), self.rcpt_per_transaction):
                if broken is None:
                    try:
                        await self._transaction_retrying_stale(envelope_from, batch, data, replies)
                    except _Unreachable as error:
                        broken = error.reply
                if broken is not None:
                    replies.update({r: broken for r in batch if r not in replies})
        return replies

    async def close(self) -> None:
        """QUIT and hang up (no error if already closed or the server is gone)."""
        async with self._lock:
            client, self._client = self._client, None
            if client is None:
                return
            try:
                if client.is_connected:
                    async with asyncio.timeout(_QUIT_SECONDS):
                        await client.quit()
            except _NETWORK_ERRORS:
                pass
            finally:
                client.close()

    # -- one transaction ----------------------------------------------------------------------

    async def _transaction_retrying_stale(
        self, sender: str, batch: Sequence[str], data: bytes, replies: dict[str, Reply]
    ) -> None:
        reused = self._client is not None and self._client.is_connected
        try:
            await self._transaction(sender, batch, data, replies)
        except _Unreachable:
            # A kept connection may have been closed by the server while idle (RFC 5321
            # s.4.5.3.2.7: servers time out idle clients). If it broke before MAIL was
            # answered, nothing can have been accepted: try once on a fresh connection.
            if not reused or self._mail_answered:
                raise
            log.debug("SMTP %s: kept connection was dead; reconnecting", self.server)
            await self._transaction(sender, batch, data, replies)

    async def _transaction(
        self, sender: str, batch: Sequence[str], data: bytes, replies: dict[str, Reply]
    ) -> None:
        """MAIL, RCPT per recipient, DATA; refusals go into `replies` as soon as they are final."""
        self._mail_answered = False
        client = await self._connected()
        try:
            await self._mail_rcpt_data(client, sender, batch, data, replies)
        except _NETWORK_ERRORS as error:
            self._drop()
            raise _Unreachable(Reply(None, self._describe(error, "sending"))) from error

    async def _mail_rcpt_data(
        self,
        client: aiosmtplib.SMTP,
        sender: str,
        batch: Sequence[str],
        data: bytes,
        replies: dict[str, Reply],
    ) -> None:
        utf8 = client.supports_extension("smtputf8")
        if not (sender.isascii() or utf8):
            refusal = _no_smtputf8(sender)
            replies.update({r: refusal for r in batch})
            return
        wanted = []
        for rcpt in batch:
            if rcpt.isascii() or utf8:
                wanted.append(rcpt)
            else:
                replies[rcpt] = _no_smtputf8(rcpt)
        if not wanted:
            return
        needs_utf8 = not (sender.isascii() and all(r.isascii() for r in wanted))
        encoding = "utf-8" if needs_utf8 else "ascii"
        options = []
        if client.supports_extension("size"):
            options.append(f"SIZE={len(data)}")  # RFC 1870: an estimate is fine
        if not data.isascii() and client.supports_extension("8bitmime"):
            options.append("BODY=8BITMIME")  # RFC 6152
        if needs_utf8:
            options.append("SMTPUTF8")  # RFC 6531 s.3.4

        try:
            await client.mail(sender, options=options, encoding=encoding)
        except aiosmtplib.SMTPSenderRefused as refused:
            self._mail_answered = True
            if refused.code in _LOGIN_NEEDED:
                # Our login, not this mail: never "failed" for good because of a config error.
                raise _Unreachable(Reply(None, self._describe(refused, "sending"))) from refused
            replies.update({r: Reply(refused.code, refused.message) for r in wanted})
            await _rset(client)
            return
        except ValueError as bad:  # characters that cannot go on a command line
            replies.update({r: Reply(501, f"5.1.7 not sent: bad sender: {bad}") for r in wanted})
            await _rset(client)
            return
        self._mail_answered = True

        accepted = []
        for rcpt in wanted:
            try:
                await client.rcpt(rcpt, encoding=encoding)
            except aiosmtplib.SMTPRecipientRefused as refused:
                replies[rcpt] = Reply(refused.code, refused.message)
            except ValueError as bad:
                replies[rcpt] = Reply(501, f"5.1.3 not sent: bad recipient: {bad}")
            else:
                accepted.append(rcpt)
        if not accepted:
            await _rset(client)
            return

        try:
            response = await client.data(data)
        except aiosmtplib.SMTPDataError as refused:
            replies.update({r: Reply(refused.code, refused.message) for r in accepted})
            await _rset(client)
        else:
            replies.update({r: Reply(response.code, response.message) for r in accepted})

    # -- the connection -----------------------------------------------------------------------

    async def _connected(self) -> aiosmtplib.SMTP:
        if self._client is not None and self._client.is_connected:
            return self._client
        self._drop()
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            username=s.username,
            password=s.password,
            timeout=s.timeout_seconds,
            use_tls=s.tls == "implicit",
            # True: STARTTLS or nothing. A server that does not offer it is an error, never a
            # silent fall-back to plain text.
            start_tls=s.tls == "starttls",
            tls_context=self._tls_context,
            local_hostname=self._local_hostname,
        )
        try:
            await client.connect()
            if client.is_ehlo_or_helo_needed:
                await client.ehlo()
        except _NETWORK_ERRORS as error:
            client.close()
            raise _Unreachable(Reply(None, self._describe(error, "connecting"))) from error
        log.debug("SMTP %s: connected (tls=%s)", self.server, s.tls)
        self._client = client
        return client

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _describe(self, error: BaseException, doing: str) -> str:
        """A line for a secretary: what failed, against which server, and how."""
        if isinstance(error, TimeoutError):
            return f"{doing} to {self.server}: no answer within {self.settings.timeout_seconds} s"
        if isinstance(error, aiosmtplib.SMTPResponseException):
            return f"{doing} to {self.server}: server said {error.code} {error.message}"
        text = str(error) or type(error).__name__
        return f"{doing} to {self.server}: {text}"


async def _rset(client: aiosmtplib.SMTP) -> None:
    """Abort the transaction (RFC 5321 s.4.1.1.5), unless the server already hung up (421)."""
    if client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPResponseException):
            await client.rset()


def _no_smtputf8(address: str) -> Reply:
    # The reply a server gives for the same problem (RFC 6531 s.3.5), made up here because
    # the address cannot even be put on the wire.
    return Reply(553, f"5.6.7 not sent: {address} needs SMTPUTF8, which the server lacks")
