"""Real servers on loopback for `reflector demo` and the tests: an IMAP server and an SMTP sink.

Nothing here is a mock. `start_pymap` runs pymap's in-memory IMAP server inside this process, and
`SmtpSink` is an aiosmtpd SMTP server that keeps what it accepts and can be told to refuse,
defer or stall, so retry logic meets real SMTP replies (RFC 5321 s4.2) over a real socket::

    async with contextlib.AsyncExitStack() as stack:
        host, port = await start_pymap(stack)          # IMAP: user "bot", password "secret"
        async with SmtpSink(fail_rcpt={"gone@example.org": "550 5.1.1 no such user"}) as sink:
            ...                                         # point reflector at (host, port), sink.port
            await sink.wait_for(1, timeout=5)
            print(sink.parsed(0)["Subject"])

Both bind port 0 by default (the kernel picks a free port), so tests can run many side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
import uuid
import weakref
from argparse import Namespace
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from types import TracebackType
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session

from reflector.errors import ReflectorError

__all__ = ["SinkMessage", "SmtpSink", "free_port", "start_pymap"]

_PYMAP_MISSING = "the embedded IMAP server needs pymap: pip install 'reflector[demo]'"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that was free a moment ago (for servers that cannot bind port 0).

    Another process may take it before you bind it; prefer binding port 0 where the server allows.

        port = free_port()   # e.g. 41873
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


# --- the embedded IMAP server -------------------------------------------------------------------


async def start_pymap(
    stack: contextlib.AsyncExitStack,
    *,
    host: str = "127.0.0.1",
    port: int | None = None,
    user: str = "bot",
    password: str = "secret",
) -> tuple[str, int]:
    """Start pymap's in-memory IMAP server in this event loop; return its `(host, port)`.

    The server has one user and starts empty: an INBOX with no messages. CREATE, APPEND,
    UID MOVE/COPY/EXPUNGE and IDLE work. It stops listening, and drops open connections, when
    `stack` closes. `port=None` binds port 0, so the kernel picks a free port (no race).
    There is no TLS (pymap only has STARTTLS, which aioimaplib lacks).

        async with contextlib.AsyncExitStack() as stack:
            host, port = await start_pymap(stack)
            client = aioimaplib.IMAP4(host, port, timeout=10)
            await client.wait_hello_from_server()
            await client.login("bot", "secret")

    Raises `ReflectorError` naming the `demo` extra when pymap is not installed.
    """
    try:
        from proxyprotocol.sock import SocketInfo
        from pymap.backend.dict import DictBackend
        from pymap.concurrent import Subsystem
        from pymap.imap import IMAPServer
        from pysasl.hashing import BuiltinHash
    except ImportError as exc:
        raise ReflectorError(_PYMAP_MISSING) from exc

    args = _PymapArgs(
        host=host,
        port=str(port or 0),
        tls=False,
        debug=False,
        demo_data=False,  # the packaged demo mailboxes would break "starts empty"
        demo_user=user,
        demo_password=password,
        inherited_sockets=None,
        passlib_cfg=None,
        proxy_protocol=None,
    )
    backend, config = await DictBackend.init(
        args,
        # pymap's defaults hash the password with 500,000 PBKDF2 rounds in a thread pool that
        # is never shut down; a throwaway test server needs neither.
        hash_context=BuiltinHash(rounds=1000),
        cpu_subsystem=Subsystem.for_asyncio(),
        invalid_user_sleep=0.0,
    )
    config.apply_context()
    await backend.start(stack)
    # What pymap's IMAPService.start does, with our own listener, because:
    # - it binds port 0 and reports the port;
    # - each connection runs in the task asyncio made for it. pymap's PROXY-protocol wrapper
    #   spawns a task it keeps no reference to; on Python >= 3.12 the garbage collector then
    #   destroyed a pending connection ("Task was destroyed but it is pending!") and the
    #   client hung (observed on 3.13.0, in the IDLE test);
    # - on exit it closes live connections, which Server.wait_closed() (3.12+) waits for.
    imap_server = IMAPServer(backend.login, config)
    connections: dict[asyncio.StreamWriter, asyncio.Task[Any]] = {}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections[writer] = task
        try:
            sock_info = SocketInfo.get(writer, None, unique_id=uuid.uuid4().bytes)
            await imap_server(reader, writer, sock_info)
        finally:
            del connections[writer]

    server = await asyncio.start_server(handle, host, port or 0)

    async def stop() -> None:
        server.close()
        tasks = list(connections.values())
        for writer in list(connections):
            writer.close()  # the connection sees EOF and ends its command loop
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await server.wait_closed()

    stack.push_async_callback(stop)
    return host, int(server.sockets[0].getsockname()[1])


class _PymapArgs(Namespace):
    """The argparse namespace pymap expects; options it asks for and we did not set are None."""

    def __getattr__(self, name: str) -> None:
        return None


# --- the SMTP sink ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SinkMessage:
    """One message the sink accepted (DATA answered 2xx), as the client sent it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]  # the recipients accepted for this message
    data: bytes  # the raw message, dot-unstuffed, line endings as sent
    received_at: float  # time.time() when DATA was accepted

    def parsed(self) -> EmailMessage:
        """The message parsed with the modern `email` policy."""
        message = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(message, EmailMessage)
        return message


RcptPolicy = Callable[[str], str | None]
"""Given a RCPT address: the reply line ("550 5.1.1 no such user"), or None for no objection."""
DataPolicy = Callable[[Envelope], str | None]
"""Given the envelope at the end of DATA, the reply line, or None for no objection."""

_OK = "250 OK"
_TRY_AGAIN = "451 4.3.0 try again"


class _LongLineSMTP(SMTP):
    """aiosmtpd's SMTP with room for long lines: real mail breaks the 998-octet rule (RFC 5322
    s2.1.1), and the stock limit answers a permanent "500 Line too long"."""

    line_length_limit = 100_000


class SmtpSink:
    """An SMTP server on loopback that stores what it accepts and answers as told.

    By default every recipient and every message gets "250 OK". To exercise retry logic:

    * `fail_rcpt={"gone@example.org": "550 5.1.1 no such user"}` fixes the RCPT reply per address;
    * `flaky_ratio=0.3` answers "451 4.3.0 try again" to about 30 % of RCPTs and DATAs, drawn
      from `random.Random(seed)`, so a run is repeatable;
    * `stall_seconds=2` waits before answering DATA (client timeouts);
    * `rcpt_reply(address)` / `data_reply(envelope)` decide freely; None means "no objection";
    * `mail_reply(address)` answers MAIL FROM (e.g. "530 5.7.0 Authentication required").

    The first answer that is not None wins: the callable, then `fail_rcpt`, then the flaky draw.
    A message is stored only when DATA is answered 2xx::

        async with SmtpSink(fail_rcpt={"b@example.org": "550 5.1.1 no such user"}) as sink:
            await aiosmtplib.send(msg, hostname=sink.host, port=sink.port)
            await sink.wait_for(1, timeout=5)
            assert sink.messages[0].rcpt_tos == ("a@example.org",)
            assert sink.deliveries["a@example.org"] == 1
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rcpt_reply: RcptPolicy | None = None,
        mail_reply: RcptPolicy | None = None,
        data_reply: DataPolicy | None = None,
        fail_rcpt: Mapping[str, str] | None = None,
        flaky_ratio: float = 0.0,
        seed: int = 0,
        stall_seconds: float = 0.0,
        hostname: str = "sink.localhost",
    ) -> None:
        if not 0.0 <= flaky_ratio <= 1.0:
            raise ValueError(f"SmtpSink: flaky_ratio = {flaky_ratio!r}: expected 0.0 to 1.0")
        for address, reply in (fail_rcpt or {}).items():
            if not (reply[:3].isdigit() and reply[:1] in "245"):
                raise ValueError(
                    f"SmtpSink: fail_rcpt[{address!r}] = {reply!r}: "
                    'expected an SMTP reply such as "550 5.1.1 no such user"'
                )
        self.host = host
        self.port = port
        self.rcpt_reply = rcpt_reply
        self.mail_reply = mail_reply
        self.data_reply = data_reply
        self.fail_rcpt = {a.casefold(): r for a, r in (fail_rcpt or {}).items()}
        self.flaky_ratio = flaky_ratio
        self.stall_seconds = stall_seconds
        self.hostname = hostname
        self.messages: list[SinkMessage] = []
        self.deliveries: Counter[str] = Counter()  # accepted messages per recipient address
        self.rcpt_attempts: Counter[str] = Counter()  # RCPT commands per address, any answer
        self.connections = 0  # SMTP sessions opened by clients so far
        self._random = random.Random(seed)
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[SMTP] = weakref.WeakSet()
        self._arrived: asyncio.Condition | None = None

    # -- lifecycle

    async def start(self) -> SmtpSink:
        """Listen on `host`:`port` (port 0 picks a free port, then `.port` is the real one)."""
        loop = asyncio.get_running_loop()
        self._arrived = asyncio.Condition()

        def session() -> SMTP:
            protocol = _LongLineSMTP(
                _SinkHandler(self),
                hostname=self.hostname,  # the default, socket.getfqdn(), may wait on DNS
                enable_SMTPUTF8=True,
                loop=loop,
            )
            self._sessions.add(protocol)
            self.connections += 1
            return protocol

        self._server = await loop.create_server(session, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    async def stop(self) -> None:
        """Stop listening and hang up on connected clients."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for protocol in list(self._sessions):
            if protocol.transport is not None:
                protocol.transport.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await server.wait_closed()

    async def __aenter__(self) -> SmtpSink:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- what arrived

    def parsed(self, index: int) -> EmailMessage:
        """`messages[index]` parsed as an `EmailMessage`."""
        return self.messages[index].parsed()

    # A plain `timeout` argument reads better in tests than a caller-side asyncio.timeout().
    async def wait_for(self, count: int, timeout: float = 5.0) -> list[SinkMessage]:  # noqa: ASYNC109
        """Return `messages` once `count` or more arrived; else `TimeoutError` after `timeout` s."""
        if self._arrived is None:
            raise RuntimeError("SmtpSink.wait_for() before start()")
        try:
            async with asyncio.timeout(timeout), self._arrived:
                await self._arrived.wait_for(lambda: len(self.messages) >= count)
        except TimeoutError:
            raise TimeoutError(
                f"SmtpSink on port {self.port}: {len(self.messages)} of {count} "
                f"message(s) arrived within {timeout} s"
            ) from None
        return self.messages

    # -- decisions (called by the handler)

    def _decide_rcpt(self, address: str) -> str:
        self.rcpt_attempts[address] += 1
        if self.rcpt_reply is not None and (reply := self.rcpt_reply(address)) is not None:
            return reply
        if (reply := self.fail_rcpt.get(address.casefold())) is not None:
            return reply
        return _TRY_AGAIN if self._flaky() else _OK

    def _decide_data(self, envelope: Envelope) -> str:
        if self.data_reply is not None and (reply := self.data_reply(envelope)) is not None:
            return reply
        return _TRY_AGAIN if self._flaky() else _OK

    def _flaky(self) -> bool:
        return self.flaky_ratio > 0 and self._random.random() < self.flaky_ratio

    async def _accept(self, envelope: Envelope) -> None:
        message = SinkMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=envelope.original_content or b"",
            received_at=time.time(),
        )
        self.messages.append(message)
        self.deliveries.update(message.rcpt_tos)
        if self._arrived is not None:
            async with self._arrived:
                self._arrived.notify_all()


class _SinkHandler:
    """aiosmtpd hooks: each returns the reply line, the sink decides which."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> Any:
        policy = self.sink.mail_reply
        if policy is None or (reply := policy(address)) is None:
            return MISSING  # aiosmtpd's own handling: accept and record the sender
        return reply

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.sink._decide_rcpt(address)
        if reply.startswith("2"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.sink.stall_seconds > 0:
            await asyncio.sleep(self.sink.stall_seconds)
        reply = self.sink._decide_data(envelope)
        if reply.startswith("2"):
            await self.sink._accept(envelope)
        return reply
