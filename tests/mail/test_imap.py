"""The IMAP source against real servers (pymap in process, and a private Dovecot).

What a user would notice: every message taken in exactly once, new mail seen within seconds,
a dropped connection or a crash losing nothing, and the server's flags saying "done" only for
messages that are really in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from reflector.backoff import Backoff
from reflector.dev import start_pymap
from reflector.errors import ImapError
from reflector.mail.imap import ImapSource
from reflector.mail.imapconn import ImapConnection
from reflector.store.db import Database
from reflector.store.models import Message

from factories import make_message, make_settings
from support.dovecot import Dovecot
from support.imapclient import CuttingProxy, append_messages, flags_by_uid


@dataclass(frozen=True)
class Account:
    kind: str
    host: str
    port: int
    user: str
    password: str
    dovecot: Dovecot | None = None

    async def append(self, raws: list[bytes], mailbox: str = "INBOX") -> None:
        await append_messages(self.host, self.port, self.user, self.password, raws, mailbox)

    async def flags(self, mailbox: str = "INBOX") -> dict[int, set[str]]:
        return await flags_by_uid(self.host, self.port, self.user, self.password, mailbox)


@pytest.fixture(params=["pymap", "dovecot"])
async def account(request: pytest.FixtureRequest) -> AsyncIterator[Account]:
    """An empty mailbox on each real server in turn."""
    if request.param == "pymap":
        async with contextlib.AsyncExitStack() as stack:
            host, port = await start_pymap(stack, user="bot", password="secret")
            yield Account("pymap", host, port, "bot", "secret")
        return
    request.node.add_marker(pytest.mark.dovecot)
    dovecot: Dovecot = request.getfixturevalue("dovecot")
    user, password = request.getfixturevalue("dovecot_user")
    yield Account("dovecot", dovecot.host, dovecot.port, user, password, dovecot)


def source_for(
    account: Account, db: Database, tmp_path: Path, port: int | None = None, **imap: object
) -> ImapSource:
    settings = make_settings(
        tmp_path,
        imap={
            "enabled": True,
            "host": account.host,
            "port": port or account.port,
            "username": account.user,
            "password": account.password,
            **imap,
        },
    )
    return ImapSource(settings.imap, db)


@contextlib.asynccontextmanager
async def running(source: ImapSource) -> AsyncIterator[None]:
    """`source.run()` in the background for the duration of the block, then stopped."""
    stop = asyncio.Event()
    runner = asyncio.create_task(source.run(stop))
    try:
        yield
    finally:
        stop.set()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


def messages(n: int, start: int = 0) -> list[bytes]:
    return [
        make_message(f"Input document {i}", f"Body {i}", message_id=f"<m{i}@qtech.example>")
        for i in range(start, start + n)
    ]


async def stored_message_ids(db: Database) -> list[str]:
    async with db.read() as session:
        return list((await session.scalars(select(Message.message_id))).all())


async def test_a_thousand_messages_are_taken_in_once_and_flagged(
    account: Account, sqlite_db: Database, tmp_path: Path
) -> None:
    await account.append(messages(1000))
    source = source_for(account, sqlite_db, tmp_path)

    assert await source.sync_once() == 1000
    assert await source.sync_once() == 0

    ids = await stored_message_ids(sqlite_db)
    assert len(ids) == 1000 and len(set(ids)) == 1000
    flags = await account.flags()
    assert len(flags) == 1000
    assert all("\\Seen" in f for f in flags.values())


async def test_mail_appended_while_idle_is_taken_in_within_two_seconds(
    account: Account, sqlite_db: Database, tmp_path: Path
) -> None:
    arrived = asyncio.Event()
    source = source_for(account, sqlite_db, tmp_path)
    source.on_ingest = lambda _n: arrived.set()
    await account.append(messages(1))
    async with running(source):
        await asyncio.wait_for(arrived.wait(), 10)  # the catch-up
        arrived.clear()
        await asyncio.sleep(0.3)  # now it is idling
        await account.append(messages(1, start=1))
        await asyncio.wait_for(arrived.wait(), 2.0)
    assert sorted(await stored_message_ids(sqlite_db)) == ["m0@qtech.example", "m1@qtech.example"]


async def test_connection_cut_mid_fetch_loses_nothing_and_flags_only_committed(
    account: Account, sqlite_db: Database, tmp_path: Path
) -> None:
    await account.append(messages(300))
    async with CuttingProxy(account.host, account.port, cut_after=50_000) as proxy:
        crashed = source_for(account, sqlite_db, tmp_path, port=proxy.port, timeout_seconds=5)
        with pytest.raises(ImapError):
            await crashed.sync_once()
    assert proxy.cuts == 1

    # After the cut: what the server shows as \Seen must all be in the database.
    taken = set(await stored_message_ids(sqlite_db))
    assert 0 < len(taken) < 300
    bodies_seen = await _seen_message_ids(account)
    assert bodies_seen <= taken

    # "Restart": a new source on the same database finishes the job, nothing twice.
    assert await source_for(account, sqlite_db, tmp_path).sync_once() == 300 - len(taken)
    ids = await stored_message_ids(sqlite_db)
    assert len(ids) == 300 and len(set(ids)) == 300
    assert all("\\Seen" in f for f in (await account.flags()).values())


async def _seen_message_ids(account: Account) -> set[str]:
    """Message-IDs of the messages the server flags \\Seen (by our numbering: UID order)."""
    flags = await account.flags()
    ordered = sorted(flags)
    return {f"m{i}@qtech.example" for i, uid in enumerate(ordered) if "\\Seen" in flags[uid]}


async def test_a_commit_whose_flagging_failed_is_flagged_on_the_next_connect(
    account: Account, sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await account.append(messages(5))
    source = source_for(account, sqlite_db, tmp_path)

    async def connection_dies(*_args: object) -> None:
        raise ImapError("connection lost")

    monkeypatch.setattr(source, "_mark_done", connection_dies)
    with pytest.raises(ImapError):
        await source.sync_once()
    monkeypatch.undo()
    assert len(await stored_message_ids(sqlite_db)) == 5
    assert not any("\\Seen" in f for f in (await account.flags()).values())

    assert await source_for(account, sqlite_db, tmp_path).sync_once() == 0
    assert all("\\Seen" in f for f in (await account.flags()).values())
    async with sqlite_db.read() as session:
        pending = await session.scalar(
            select(func.count()).select_from(Message).where(Message.imap_done.is_(False))  # type: ignore[attr-defined]
        )
    assert pending == 0


async def test_move_mode_files_messages_in_the_done_folder(
    account: Account, sqlite_db: Database, tmp_path: Path
) -> None:
    await account.append(messages(3))
    source = source_for(account, sqlite_db, tmp_path, on_done="move", done_folder="Filed Mail")
    assert await source.sync_once() == 3
    assert await account.flags() == {}
    assert len(await account.flags("Filed Mail")) == 3
    await account.append(messages(2, start=3))
    assert await source.sync_once() == 2
    assert len(await account.flags("Filed Mail")) == 5


async def test_a_wrong_password_is_a_clear_error(
    account: Account, sqlite_db: Database, tmp_path: Path
) -> None:
    source = source_for(account, sqlite_db, tmp_path, password="not-the-password")
    with pytest.raises(ImapError, match=f"LOGIN as '{account.user}' refused"):
        await source.sync_once()


async def test_run_reconnects_after_the_connection_drops(
    account: Account, sqlite_db: Database, tmp_path: Path
) -> None:
    await account.append(messages(40))
    async with CuttingProxy(account.host, account.port, cut_after=8_000) as proxy:
        source = source_for(account, sqlite_db, tmp_path, port=proxy.port, timeout_seconds=5)
        source._backoff = Backoff(base=0.05, cap=0.1)
        taken, all_in = 0, asyncio.Event()

        def count(n: int) -> None:
            nonlocal taken
            taken += n
            if taken >= 40:
                all_in.set()

        source.on_ingest = count
        async with running(source):
            await asyncio.wait_for(all_in.wait(), 20)
    assert proxy.cuts == 1
    assert len(set(await stored_message_ids(sqlite_db))) == 40


@pytest.mark.dovecot
async def test_uidvalidity_change_takes_in_only_the_new_messages(
    dovecot: Dovecot, dovecot_user: tuple[str, str], sqlite_db: Database, tmp_path: Path
) -> None:
    user, password = dovecot_user
    account = Account("dovecot", dovecot.host, dovecot.port, user, password, dovecot)
    await account.append(messages(5))
    source = source_for(account, sqlite_db, tmp_path)
    assert await source.sync_once() == 5

    dovecot.bump_uidvalidity(user)
    await account.append(messages(2, start=5))
    assert await source.sync_once() == 2
    assert await source.sync_once() == 0

    ids = await stored_message_ids(sqlite_db)
    assert sorted(ids) == sorted(f"m{i}@qtech.example" for i in range(7))
    assert all("\\Seen" in f for f in (await account.flags()).values())


@pytest.mark.dovecot
async def test_implicit_tls_against_dovecot(
    dovecot: Dovecot, dovecot_user: tuple[str, str], sqlite_db: Database, tmp_path: Path
) -> None:
    if dovecot.tls_port is None:
        pytest.fail("the session's Dovecot has no TLS port (openssl missing?)")
    user, password = dovecot_user
    account = Account("dovecot", dovecot.host, dovecot.port, user, password, dovecot)
    await account.append(messages(3))
    settings = make_settings(
        tmp_path,
        imap=dict(
            enabled=True,
            host="127.0.0.1",
            port=dovecot.tls_port,
            tls="implicit",
            username=user,
            password=password,
        ),
    )
    context = ssl.create_default_context(cafile=str(dovecot.cafile))
    source = ImapSource(settings.imap, sqlite_db, ssl_context=context)
    assert await source.sync_once() == 3

    untrusting = ImapSource(settings.imap, sqlite_db)  # the system CAs do not know this cert
    with pytest.raises(ImapError):
        await untrusting.sync_once()


async def test_without_idle_the_mailbox_is_polled(
    account: Account, sqlite_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that does not offer IDLE (RFC 2177) is polled every `poll_seconds`."""
    real_open = ImapConnection.open

    async def open_without_idle(*args: Any, **kwargs: Any) -> ImapConnection:
        conn = await real_open(*args, **kwargs)
        conn.capabilities = conn.capabilities - {"IDLE"}
        return conn

    monkeypatch.setattr(ImapConnection, "open", open_without_idle)
    arrived = asyncio.Event()
    source = source_for(account, sqlite_db, tmp_path, poll_seconds=1)
    source.on_ingest = lambda _n: arrived.set()
    async with running(source):
        await asyncio.sleep(0.3)  # connected, nothing to take in, polling
        await account.append(messages(1))
        await asyncio.wait_for(arrived.wait(), 5)
    assert await stored_message_ids(sqlite_db) == ["m0@qtech.example"]
