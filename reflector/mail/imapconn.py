"""One IMAP connection, made safe: aioimaplib behind timeouts, a lost-connection race and parsers.

aioimaplib is used as a disposable client (LIBRARIES.md, "aioimaplib 2.x"): every command runs
under `asyncio.timeout()` and races an event set by `conn_lost_cb`, because a dropped
connection can leave a command (or IDLE) waiting forever (aioimaplib #110, #118). FETCH and
STORE go in chunks the caller keeps small (<= 200 UIDs), since a response of many lines
overflows the library's recursive line handler. Everything raises `ImapError`.

    conn = await ImapConnection.open("imap.example.org", 993, ssl_context=ctx, command_timeout=60,
                                     username="bot", password="...")
    state = await conn.select("INBOX")
    uids = await conn.uid_search(f"UID {last + 1}:*")
    bodies = await conn.fetch_bodies(uids[:50])
    await conn.close()
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import ssl
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aioimaplib

from reflector.errors import ImapError

log = logging.getLogger(__name__)
T = TypeVar("T")

MIN_BYTES_PER_SECOND = 50_000  # slowest link we wait for when fetching big messages
_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_CODE = re.compile(rb"\[(UIDVALIDITY|UIDNEXT) (\d+)\]")
_EXISTS = re.compile(rb"^(\d+) EXISTS")


@dataclass(frozen=True)
class MailboxState:
    """What SELECT told us (RFC 3501 s.6.3.1)."""

    uidvalidity: int
    uidnext: int | None
    exists: int


def uid_set(uids: Iterable[int]) -> str:
    """A compact IMAP sequence set.

    >>> uid_set([1, 2, 3, 7, 9, 10])
    '1:3,7,9:10'
    """
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty UID set")
    parts: list[str] = []
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


def quote_mailbox(name: str) -> str:
    """A mailbox name as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501 s.5.1.3).

    >>> quote_mailbox("Liaison Statements")
    '"Liaison Statements"'
    >>> quote_mailbox("Entwürfe")
    '"Entw&APw-rfe"'
    """
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            utf16 = "".join(pending).encode("utf-16-be")
            encoded = base64.b64encode(utf16).decode("ascii").rstrip("=").replace("/", ",")
            out.append(f"&{encoded}-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    text = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def parse_fetch(lines: Sequence[Any], item: re.Pattern[bytes] | None = None) -> dict[int, Any]:
    """Map UID -> literal bytes (or, with `item`, the integer that regex captures).

    aioimaplib gives `b'1 FETCH (UID 101 BODY[] {135}', bytearray(raw), b')'`; servers may put
    UID before or after the literal, so each FETCH is read as a group of lines.
    """
    found: dict[int, Any] = {}
    groups: list[list[Any]] = []
    for line in lines:
        if isinstance(line, bytes) and _FETCH_START.match(line):
            groups.append([line])
        elif groups:
            groups[-1].append(line)
    for group in groups:
        text = b" ".join(part for part in group if isinstance(part, bytes))
        uid_match = _UID.search(text)
        if uid_match is None:
            continue  # an unsolicited FETCH (e.g. a flag change by another client)
        uid = int(uid_match.group(1))
        if item is not None:
            value = item.search(text)
            if value is not None:
                found[uid] = int(value.group(1))
        else:
            literal = next((bytes(p) for p in group if isinstance(p, bytearray)), None)
            if literal is not None:
                found[uid] = literal
    return found


class ImapConnection:
    """A logged-in IMAP connection. Create with `open()`, always `close()`."""

    def __init__(self, client: aioimaplib.IMAP4, lost: asyncio.Event, timeout: float):
        self._client = client
        self.lost = lost
        self.timeout = timeout
        self.capabilities: frozenset[str] = frozenset()

    @classmethod
    async def open(
        cls,
        host: str,
        port: int,
        *,
        username: str,
        password: str,
        command_timeout: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> ImapConnection:
        lost = asyncio.Event()
        try:
            client = aioimaplib.IMAP4(
                host,
                port,
                timeout=command_timeout,
                ssl_context=ssl_context,
                conn_lost_cb=lambda _exc: lost.set(),
            )
        except OSError as error:
            raise ImapError(f"cannot connect to {host}:{port}: {error}") from error
        conn = cls(client, lost, command_timeout)
        await conn._run(f"connect to {host}:{port}", client.wait_hello_from_server())
        response = await conn._run("LOGIN", client.login(username, password))
        if response.result != "OK":
            await conn.close()
            raise ImapError(f"LOGIN as {username!r} refused: {_last_text(response)}")
        # aioimaplib misparses a [CAPABILITY ...] code in the tagged LOGIN reply: ask again.
        await conn._run("CAPABILITY", client.protocol.capability())
        conn.capabilities = frozenset(c.upper() for c in client.protocol.capabilities)
        return conn

    async def _run(self, what: str, awaitable: Awaitable[T], limit: float | None = None) -> T:
        """Await one command under the timeout, failing fast if the connection drops."""
        limit = self.timeout if limit is None else limit
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            done, _ = await asyncio.wait(
                {task, lost}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        except asyncio.CancelledError:
            task.cancel()  # do not leave a command running on a connection being abandoned
            raise
        finally:
            lost.cancel()
        if task in done:
            try:
                return task.result()
            except (TimeoutError, aioimaplib.AioImapException, OSError, ValueError) as error:
                raise ImapError(f"{what} failed: {type(error).__name__}: {error}") from error
        task.cancel()
        if self.lost.is_set():
            raise ImapError(f"{what}: connection lost")
        raise ImapError(f"{what}: no answer within {limit:g} s")

    async def _ok(self, what: str, awaitable: Awaitable[Any], limit: float | None = None) -> Any:
        response = await self._run(what, awaitable, limit)
        if response.result != "OK":
            raise ImapError(f"{what} answered {response.result}: {_last_text(response)}")
        return response

    async def select(self, mailbox: str) -> MailboxState:
        response = await self._ok(f"SELECT {mailbox}", self._client.select(quote_mailbox(mailbox)))
        codes: dict[bytes, int] = {}
        exists = 0
        for line in response.lines:
            if not isinstance(line, bytes):
                continue
            for name, value in _CODE.findall(line):
                codes[name] = int(value)
            if m := _EXISTS.match(line):
                exists = int(m.group(1))
        if b"UIDVALIDITY" not in codes:
            raise ImapError(f"SELECT {mailbox}: server sent no UIDVALIDITY")
        return MailboxState(codes[b"UIDVALIDITY"], codes.get(b"UIDNEXT"), exists)

    async def uid_search(self, criteria: str) -> list[int]:
        response = await self._ok(
            f"UID SEARCH {criteria}", self._client.uid_search(criteria, charset=None)
        )
        uids: list[int] = []
        for line in response.lines:
            if isinstance(line, bytes) and line.startswith(b"SEARCH"):
                uids.extend(int(tok) for tok in line.split()[1:] if tok.isdigit())
            elif isinstance(line, bytes) and line[:1].isdigit():
                # aioimaplib strips "* SEARCH" on some versions: a bare list of numbers
                uids.extend(int(tok) for tok in line.split() if tok.isdigit())
        return sorted(set(uids))

    async def fetch_sizes(self, uids: Sequence[int]) -> dict[int, int]:
        response = await self._ok(
            "UID FETCH RFC822.SIZE", self._client.uid("fetch", uid_set(uids), "(UID RFC822.SIZE)")
        )
        return parse_fetch(response.lines, _SIZE)

    async def fetch_bodies(self, uids: Sequence[int], total_bytes: int = 0) -> dict[int, bytes]:
        """The raw messages, exactly as stored; BODY.PEEK leaves \\Seen alone (RFC 3501 s.6.4.5).

        The time limit grows with `total_bytes` (at 50 kB/s), so big mail on a slow link is not
        cut off and retried forever.
        """
        response = await self._ok(
            "UID FETCH BODY.PEEK[]",
            self._client.uid("fetch", uid_set(uids), "(UID BODY.PEEK[])"),
            limit=self.timeout + total_bytes / MIN_BYTES_PER_SECOND,
        )
        return parse_fetch(response.lines)

    async def fetch_message_id_headers(self, uids: Sequence[int]) -> dict[int, bytes]:
        response = await self._ok(
            "UID FETCH Message-ID",
            self._client.uid("fetch", uid_set(uids), "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])"),
        )
        return parse_fetch(response.lines)

    async def add_flags(self, uids: Sequence[int], flags: str) -> None:
        await self._ok(
            f"UID STORE +FLAGS {flags}",
            self._client.uid("store", uid_set(uids), "+FLAGS.SILENT", f"({flags})"),
        )

    async def move(self, uids: Sequence[int], mailbox: str) -> None:
        """UID MOVE (RFC 6851), or COPY + \\Deleted + UID EXPUNGE (RFC 4315) without MOVE."""
        target = quote_mailbox(mailbox)
        if "MOVE" in self.capabilities:
            await self._ok(
                f"UID MOVE to {mailbox}", self._client.uid("move", uid_set(uids), target)
            )
            return
        if "UIDPLUS" not in self.capabilities:
            raise ImapError('server has neither MOVE nor UIDPLUS: use on_done = "seen"')
        await self._ok(f"UID COPY to {mailbox}", self._client.uid("copy", uid_set(uids), target))
        await self.add_flags(uids, r"\Deleted")
        await self._ok("UID EXPUNGE", self._client.uid("expunge", uid_set(uids)))

    async def ensure_mailbox(self, mailbox: str) -> None:
        """CREATE the mailbox unless it exists (a NO for "already exists" is fine)."""
        response = await self._run(f"CREATE {mailbox}", self._client.create(quote_mailbox(mailbox)))
        if response.result == "OK":
            log.info("created IMAP folder %r", mailbox)

    async def wait_for_news(self, idle_seconds: float, poll_seconds: float) -> bool:
        """Block until the server reports a change (IDLE, RFC 2177) or the period ends.

        Returns True when the server said something (new mail, expunge) and False on a quiet
        period; without IDLE it sleeps `poll_seconds` and sends NOOP, returning True.
        """
        if "IDLE" not in self.capabilities:
            await self._sleep_unless_lost(poll_seconds)
            await self._ok("NOOP", self._client.noop())
            return True
        idle = await self._run("IDLE", self._client.idle_start(timeout=idle_seconds + 5))
        push = asyncio.ensure_future(self._client.wait_server_push(timeout=idle_seconds))
        lost = asyncio.ensure_future(self.lost.wait())
        try:
            done, _ = await asyncio.wait({push, lost}, return_when=asyncio.FIRST_COMPLETED)
            if push not in done:
                raise ImapError("connection lost during IDLE")
            try:
                lines = push.result()
            except TimeoutError:
                lines = []
            if any(isinstance(line, bytes) and line.startswith(b"BYE") for line in lines):
                raise ImapError("server closed the connection during IDLE (BYE)")
            return any(
                isinstance(line, bytes) and (b"EXISTS" in line or b"EXPUNGE" in line)
                for line in lines
            )
        finally:
            push.cancel()
            lost.cancel()
            await self._leave_idle(idle)

    async def _leave_idle(self, idle: Awaitable[Any] | None = None) -> None:
        """Send DONE if IDLE is pending (RFC 2177: no other command is possible until then)."""
        if self._client.has_pending_idle() and not self.lost.is_set():
            self._client.idle_done()
            if idle is not None:
                await self._run("IDLE DONE", idle)

    async def _sleep_unless_lost(self, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await self.lost.wait()
        except TimeoutError:
            return
        raise ImapError("connection lost")

    async def close(self) -> None:
        """LOGOUT politely, then hang up; never raises."""
        if not self.lost.is_set():
            try:
                async with asyncio.timeout(min(self.timeout, 5)):
                    await self._client.logout()
            except Exception as error:
                log.debug("IMAP logout failed: %s", error)
        self.abort()

    def abort(self) -> None:
        """Hang up at once (after an error or cancellation, when the state is unknown)."""
        transport = getattr(self._client.protocol, "transport", None)
        if transport is not None:
            transport.close()


def _last_text(response: Any) -> str:
    lines = [line for line in response.lines if isinstance(line, bytes)]
    return lines[-1].decode("utf-8", "replace") if lines else "(no text)"
