"""LMTP intake over real sockets: RFC 2033 per-recipient replies, 250 only after the commit,
451 (try again later) while the database is down."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from reflector.mail.lmtp import IngestHandler, start_lmtp_server
from reflector.store.db import Database
from reflector.store.models import Message

from factories import REFLECTOR, SECRETARIAT, make_message
from support.postgres import PostgresServer


async def _serve(db: Database, limit: int = 1_000_000) -> AsyncIterator[int]:
    handler = IngestHandler(db, frozenset({SECRETARIAT, REFLECTOR}))
    server = await start_lmtp_server(handler, "127.0.0.1", 0, data_size_limit=limit)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def lmtp_port(sqlite_db: Database) -> AsyncIterator[int]:
    async for port in _serve(sqlite_db):
        yield port


class RawLmtp:
    """A minimal LMTP client that reads every reply line (smtplib.LMTP reads only one per DATA)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> RawLmtp:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        client = cls(reader, writer)
        await client.reply()  # greeting
        await client.command("LHLO client.example")
        return client

    async def reply(self) -> list[str]:
        lines: list[str] = []
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 10)).decode().rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    async def command(self, line: str) -> list[str]:
        self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()
        return await self.reply()

    async def deliver(self, sender: str, recipients: list[str], raw: bytes) -> list[str]:
        """MAIL, RCPT..., DATA; returns the RCPT replies followed by the DATA replies."""
        replies = [(await self.command(f"MAIL FROM:<{sender}>"))[0]]
        accepted = 0
        for rcpt in recipients:
            answer = (await self.command(f"RCPT TO:<{rcpt}>"))[0]
            replies.append(answer)
            accepted += answer.startswith("250")
        go = (await self.command("DATA"))[0]
        if not go.startswith("354"):
            return [*replies, go]
        body = raw.replace(b"\r\n.", b"\r\n..")
        self.writer.write(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        await self.writer.drain()
        for _ in range(accepted):  # RFC 2033 s.4.2: one reply per accepted recipient
            replies.extend(await self.reply())
        return replies

    async def close(self) -> None:
        await self.command("QUIT")
        self.writer.close()


async def _stored(db: Database) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Message)) or 0)


async def test_each_accepted_recipient_gets_its_own_reply(
    lmtp_port: int, sqlite_db: Database
) -> None:
    client = await RawLmtp.connect(lmtp_port)
    replies = await client.deliver(
        "maria@qtech.example",
        [SECRETARIAT, "stranger@sdo-coord.example", REFLECTOR],
        make_message(),
    )
    await client.close()
    assert replies[0].startswith("250")  # MAIL
    assert replies[1].startswith("250")
    assert replies[2].startswith("550 5.1.1") and "stranger@sdo-coord.example" in replies[2]
    assert replies[3].startswith("250")
    data_replies = replies[4:]
    assert len(data_replies) == 2
    assert data_replies[0].startswith("250 2.0.0") and SECRETARIAT in data_replies[0]
    assert data_replies[1].startswith("250 2.0.0") and REFLECTOR in data_replies[1]
    assert await _stored(sqlite_db) == 1
    async with sqlite_db.read() as session:
        message = await session.scalar(select(Message))
    assert message is not None and message.envelope_to == [SECRETARIAT, REFLECTOR]
    assert message.envelope_from == "maria@qtech.example"


async def test_stdlib_lmtp_client_delivers(lmtp_port: int, sqlite_db: Database) -> None:
    def send() -> dict[str, tuple[int, bytes]]:
        with smtplib.LMTP("127.0.0.1", lmtp_port) as client:
            return client.sendmail("maria@qtech.example", [SECRETARIAT], make_message())

    refused = await asyncio.to_thread(send)
    assert refused == {}
    assert await _stored(sqlite_db) == 1


async def test_a_second_delivery_of_the_same_message_is_acknowledged_and_stored_once(
    lmtp_port: int, sqlite_db: Database
) -> None:
    raw = make_message(message_id="<once@qtech.example>")
    for _ in range(2):
        client = await RawLmtp.connect(lmtp_port)
        replies = await client.deliver("maria@qtech.example", [SECRETARIAT], raw)
        await client.close()
        assert replies[-1].startswith("250")
    assert await _stored(sqlite_db) == 1


async def test_long_lines_are_accepted_and_oversized_mail_refused(sqlite_db: Database) -> None:
    async for port in _serve(sqlite_db, limit=50_000):
        client = await RawLmtp.connect(port)
        long_line = make_message(body="x" * 5000)
        assert (await client.deliver("a@qtech.example", [SECRETARIAT], long_line))[-1].startswith(
            "250"
        )
        huge = make_message(body=("y" * 70 + "\n") * 2000)
        replies = await client.deliver("a@qtech.example", [SECRETARIAT], huge)
        assert replies[-1].startswith("552")
        await client.close()
    assert await _stored(sqlite_db) == 1


@pytest.mark.postgres
async def test_database_down_means_451_then_delivery_after_it_is_back(
    postgres: PostgresServer, postgres_url: str
) -> None:
    db = Database(postgres_url)
    await db.migrate()
    try:
        async for port in _serve(db):
            raw = make_message(message_id="<retry@qtech.example>")
            postgres.stop()
            client = await RawLmtp.connect(port)
            replies = await client.deliver("maria@qtech.example", [SECRETARIAT, REFLECTOR], raw)
            await client.close()
            assert [r[:3] for r in replies[-2:]] == ["451", "451"]
            assert all("try again" in r for r in replies[-2:])

            postgres.start()
            client = await RawLmtp.connect(port)
            replies = await client.deliver("maria@qtech.example", [SECRETARIAT, REFLECTOR], raw)
            await client.close()
            assert [r[:3] for r in replies[-2:]] == ["250", "250"]
        assert await _stored(db) == 1
    finally:
        await db.close()
