"""An independent IMAP client for tests (aioimaplib used directly, none of reflector's code),
and a TCP proxy that can cut a connection mid-response.

Tests use these to put mail on a server and to look at the server's state, so that what they
check does not depend on the code under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
from collections.abc import AsyncIterator, Iterable

import aioimaplib

TIMEOUT = 10


@contextlib.asynccontextmanager
async def imap(
    host: str, port: int, user: str, password: str, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[aioimaplib.IMAP4]:
    """A logged-in aioimaplib client, logged out (or hung up) afterwards."""
    client = aioimaplib.IMAP4(host, port, timeout=TIMEOUT, ssl_context=ssl_context)
    async with asyncio.timeout(TIMEOUT):
        await client.wait_hello_from_server()
        response = await client.login(user, password)
    assert response.result == "OK", response
    try:
        yield client
    finally:
        try:
            async with asyncio.timeout(2):
                await client.logout()
        except Exception:
            if client.protocol.transport is not None:
                client.protocol.transport.close()


def uidvalidity(select_response: aioimaplib.Response) -> int:
    for line in select_response.lines:
        if isinstance(line, bytes) and (m := re.search(rb"\[UIDVALIDITY (\d+)\]", line)):
            return int(m.group(1))
    raise AssertionError(f"no UIDVALIDITY in {select_response}")


async def fetch_bodies(client: aioimaplib.IMAP4) -> dict[int, bytes]:
    """UID -> raw message, by UID SEARCH ALL and UID FETCH BODY.PEEK[]."""
    async with asyncio.timeout(TIMEOUT):
        found = await client.uid_search("ALL", charset=None)
        uids = found.lines[0].decode().split()
        response = await client.uid("fetch", ",".join(uids), "(UID BODY.PEEK[])")
    assert response.result == "OK", response
    bodies: dict[int, bytes] = {}
    lines = response.lines
    for i, line in enumerate(lines):
        if isinstance(line, bytearray):
            around = bytes(lines[i - 1]) + b" " + bytes(lines[i + 1])
            uid = re.search(rb"UID (\d+)", around)
            assert uid, around
            bodies[int(uid.group(1))] = bytes(line)
    return bodies


async def append_messages(
    host: str, port: int, user: str, password: str, raws: Iterable[bytes], mailbox: str = "INBOX"
) -> None:
    """APPEND each message over one connection."""
    async with imap(host, port, user, password) as client:
        for raw in raws:
            async with asyncio.timeout(TIMEOUT):
                response = await client.append(raw, mailbox=mailbox)
            assert response.result == "OK", response


async def flags_by_uid(
    host: str, port: int, user: str, password: str, mailbox: str = "INBOX"
) -> dict[int, set[str]]:
    """UID -> flags of every message in `mailbox` (fetched 200 at a time)."""
    async with imap(host, port, user, password) as client:
        async with asyncio.timeout(TIMEOUT):
            selected = await client.select(f'"{mailbox}"')
            assert selected.result == "OK", selected
            found = await client.uid_search("ALL", charset=None)
        uids = [int(u) for u in found.lines[0].decode().split() if u.isdigit()]
        flags: dict[int, set[str]] = {}
        for start in range(0, len(uids), 200):
            chunk = ",".join(str(u) for u in uids[start : start + 200])
            async with asyncio.timeout(TIMEOUT):
                response = await client.uid("fetch", chunk, "(UID FLAGS)")
            for line in response.lines:
                if isinstance(line, bytes) and (uid := re.search(rb"UID (\d+)", line)):
                    names = re.search(rb"FLAGS \(([^)]*)\)", line)
                    flags[int(uid.group(1))] = (
                        set(names.group(1).decode().split()) if names else set()
                    )
        return flags


class CuttingProxy:
    """A TCP proxy to a server that hangs up on the client after `cut_after` bytes from the
    server (counted over the proxy's lifetime), like a network failure mid-response."""

    def __init__(self, target_host: str, target_port: int, cut_after: int | None = None):
        self.target = (target_host, target_port)
        self.cut_after = cut_after
        self.server_bytes = 0
        self.cuts = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> CuttingProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection(*self.target)
        self._writers.update((client_w, server_w))

        async def pump(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, count: bool
        ) -> None:
            try:
                while data := await reader.read(4096):
                    if count and self.cut_after is not None:
                        room = self.cut_after - self.server_bytes
                        if room <= 0 or len(data) > room:
                            writer.write(data[: max(room, 0)])
                            self.server_bytes += max(room, 0)
                            self.cut_after = None  # cut once
                            self.cuts += 1
                            break
                        self.server_bytes += len(data)
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                for w in (client_w, server_w):
                    w.close()

        await asyncio.gather(pump(server_r, client_w, True), pump(client_r, server_w, False))
