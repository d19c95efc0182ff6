"""The shared test servers work against real clients: aioimaplib, aiosmtplib, asyncpg.

These tests exercise the helpers only (reflector/dev.py, tests/support/*), with the client
libraries used directly, so a failure here means the test bench is broken, not reflector.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import time
from collections.abc import Callable
from email.message import EmailMessage

import aioimaplib
import aiosmtplib
import pytest

from reflector.dev import SmtpSink, free_port, start_pymap
from reflector.errors import ReflectorError

from support.dovecot import Dovecot, DovecotError
from support.imapclient import TIMEOUT, fetch_bodies, imap, uidvalidity
from support.postgres import PostgresServer
from support.require import require

MESSAGES = [
    b"From: alice@example.org\r\nTo: bot@example.org\r\nSubject: one\r\n\r\nfirst\r\n",
    b"From: bob@example.org\r\nTo: bot@example.org\r\nSubject: =?utf-8?q?deux_=C3=A9?=\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    b"d\xc3\xa9j\xc3\xa0 vu\r\n",
    b"From: carol@example.org\r\nSubject: three\r\n\r\n" + b"x" * 2000 + b"\r\n.\r\n..\r\n",
]


# -- small IMAP helpers (aioimaplib used directly)


async def append_all(client: aioimaplib.IMAP4) -> None:
    for raw in MESSAGES:
        async with asyncio.timeout(TIMEOUT):
            response = await client.append(raw, mailbox="INBOX")
        assert response.result == "OK", response


async def round_trip(client: aioimaplib.IMAP4) -> dict[int, bytes]:
    async with asyncio.timeout(TIMEOUT):
        selected = await client.select("INBOX")
    assert b"0 EXISTS" in selected.lines, selected
    await append_all(client)
    bodies = await fetch_bodies(client)
    assert sorted(bodies.values()) == sorted(MESSAGES)
    return bodies


Connect = Callable[[], contextlib.AbstractAsyncContextManager[aioimaplib.IMAP4]]


async def idle_push(connect: Connect) -> None:
    """A second connection's APPEND reaches the first one's IDLE as EXISTS."""
    async with connect() as watcher, connect() as writer:
        async with asyncio.timeout(TIMEOUT):
            await watcher.select("INBOX")
            idle = await watcher.idle_start(timeout=TIMEOUT)
            await writer.append(MESSAGES[0], mailbox="INBOX")
            pushed: list[bytes] = []
            while not any(b"EXISTS" in line for line in pushed):
                pushed += await watcher.wait_server_push(timeout=TIMEOUT)
            watcher.idle_done()
            await idle
    assert b"1 EXISTS" in pushed


# -- pymap


async def test_pymap_starts_empty_and_round_trips_messages(pymap_server):
    host, port, user, password = pymap_server
    async with imap(host, port, user, password) as client:
        listed = await client.list('""', "*")
        assert [line for line in listed.lines if b'"/"' in line] == [b'(\\HasNoChildren) "/" INBOX']
        await round_trip(client)


async def test_pymap_rejects_a_wrong_password(pymap_server):
    host, port, user, _ = pymap_server
    client = aioimaplib.IMAP4(host, port, timeout=TIMEOUT)
    await client.wait_hello_from_server()
    assert (await client.login(user, "wrong")).result == "NO"
    await client.logout()


async def test_pymap_creates_mailboxes_and_moves_into_them(pymap_server):
    host, port, user, password = pymap_server
    async with imap(host, port, user, password) as client:
        assert (await client.create('"Filed Items"')).result == "OK"
        await client.select("INBOX")
        await append_all(client)
        uids = sorted(await fetch_bodies(client))
        moved = await client.uid("move", str(uids[0]), '"Filed Items"')
        assert moved.result == "OK" and b"[COPYUID" in moved.lines[0], moved
        status = await client.status('"Filed Items"', "(MESSAGES)")
        assert b"MESSAGES 1" in status.lines[0]
        assert len(await fetch_bodies(client)) == 2  # INBOX still selected


async def test_pymap_idle_sees_another_connections_append(pymap_server):
    host, port, user, password = pymap_server
    await idle_push(lambda: imap(host, port, user, password))


async def test_pymap_stops_listening_when_the_stack_closes():
    ports = []
    for _ in range(3):  # each start is independent and empty
        async with contextlib.AsyncExitStack() as stack:
            host, port = await start_pymap(stack)
            ports.append(port)
            lost = asyncio.Event()
            client = aioimaplib.IMAP4(
                host, port, timeout=TIMEOUT, conn_lost_cb=lambda exc, lost=lost: lost.set()
            )
            await client.wait_hello_from_server()
            await client.login("bot", "secret")
            await round_trip(client)
        # the client was still connected: closing the stack hung up on it, without waiting
        async with asyncio.timeout(2):
            await lost.wait()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((host, port), timeout=1).close()
    assert len(set(ports)) == 3


async def test_start_pymap_names_the_extra_when_pymap_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymap.backend.dict", None)  # import -> ImportError
    async with contextlib.AsyncExitStack() as stack:
        with pytest.raises(ReflectorError, match=r"pip install 'reflector\[demo\]'"):
            await start_pymap(stack)


def test_free_port_is_bindable():
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


# -- Dovecot


@pytest.fixture(params=["plain", "tls"])
def dovecot_endpoint(request, dovecot: Dovecot) -> tuple[int, ssl.SSLContext | None]:
    """(port, ssl_context) for the plain listener and for implicit TLS (imaps)."""
    if request.param == "plain":
        return dovecot.port, None
    require(dovecot.tls_port is not None, "openssl", "apt-get install openssl")
    context = ssl.create_default_context(cafile=str(dovecot.cafile))
    context.verify_flags |= ssl.VERIFY_X509_STRICT  # the default from Python 3.13 on
    assert dovecot.tls_port is not None
    return dovecot.tls_port, context


async def test_dovecot_round_trips_messages(dovecot, dovecot_user, dovecot_endpoint):
    user, password = dovecot_user
    port, context = dovecot_endpoint
    async with imap(dovecot.host, port, user, password, context) as client:
        bodies = await round_trip(client)
    # checked on the server side too, without IMAP
    assert dovecot.search(user) == sorted(bodies)
    assert dovecot.search(user, "SEEN") == []  # BODY.PEEK[] sets no \Seen


async def test_dovecot_tls_port_refuses_an_unverified_certificate(dovecot):
    require(dovecot.tls_port is not None, "openssl", "apt-get install openssl")
    client = aioimaplib.IMAP4(
        dovecot.host, dovecot.tls_port, timeout=TIMEOUT, ssl_context=ssl.create_default_context()
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        async with asyncio.timeout(TIMEOUT):
            await client.wait_hello_from_server()


async def test_dovecot_idle_sees_another_connections_append(dovecot, dovecot_user):
    user, password = dovecot_user
    await idle_push(lambda: imap(dovecot.host, dovecot.port, user, password))


async def test_dovecot_users_are_isolated(dovecot, dovecot_user):
    user, _ = dovecot_user
    dovecot.add_user("someone-else", "pw")
    dovecot.save("someone-else", MESSAGES[0])
    assert dovecot.search("someone-else") == [1]
    assert dovecot.search(user) == []
    assert dovecot.maildir_path("someone-else").joinpath("cur").is_dir()


async def test_dovecot_uidvalidity_can_be_forced(dovecot, dovecot_user):
    user, password = dovecot_user
    dovecot.doveadm("mailbox", "create", "-u", user, "Filed")
    async with imap(dovecot.host, dovecot.port, user, password) as client:
        await client.select("INBOX")
        await append_all(client)
        before = await client.select("INBOX")
        uids_before = sorted(await fetch_bodies(client))
    assert dovecot.uidvalidity(user) == uidvalidity(before)

    bumped = dovecot.bump_uidvalidity(user)

    assert bumped == uidvalidity(before) + 1
    async with imap(dovecot.host, dovecot.port, user, password) as client:
        after = await client.select("INBOX")
        assert uidvalidity(after) == bumped
        assert sorted(await fetch_bodies(client)) == uids_before  # same UIDs, new validity
    assert dovecot.uidvalidity(user, "Filed") != bumped  # other mailboxes untouched


async def test_dovecot_drops_a_session_that_has_the_bumped_mailbox_selected(dovecot, dovecot_user):
    user, password = dovecot_user
    dovecot.save(user, MESSAGES[0])
    lost = asyncio.Event()
    client = aioimaplib.IMAP4(
        dovecot.host, dovecot.port, timeout=TIMEOUT, conn_lost_cb=lambda exc: lost.set()
    )
    await client.wait_hello_from_server()
    await client.login(user, password)
    await client.select("INBOX")
    dovecot.bump_uidvalidity(user)
    # aioimaplib's NOOP never completes once the server hangs up (its issue #110), so race it
    noop = asyncio.ensure_future(client.noop())
    async with asyncio.timeout(TIMEOUT):
        await lost.wait()
    noop.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await noop
    assert "inconsistent" in dovecot.log_tail(5)


@pytest.mark.dovecot
def test_dovecot_start_failure_reports_the_log():
    require(Dovecot.available(), "dovecot", "apt-get install dovecot-imapd")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = Dovecot(port=taken.getsockname()[1])
        with pytest.raises(DovecotError, match="Address already in use"):
            server.start()
    assert server.root is None  # cleaned up


# -- SMTP sink


def message(subject: str, to: list[str], body: str = "hello") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "bot@example.org"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


async def test_sink_refuses_one_recipient_and_delivers_to_the_others():
    to = ["a@example.org", "gone@example.org", "c@example.org"]
    async with SmtpSink(fail_rcpt={"Gone@example.org": "550 5.1.1 no such user"}) as sink:
        refused, _ = await aiosmtplib.send(
            message("minutes", to), hostname=sink.host, port=sink.port, timeout=TIMEOUT
        )
        await sink.wait_for(1, timeout=TIMEOUT)
    assert {k: (v.code, v.message) for k, v in refused.items()} == {
        "gone@example.org": (550, "5.1.1 no such user")
    }
    assert sink.messages[0].rcpt_tos == ("a@example.org", "c@example.org")
    assert sink.messages[0].mail_from == "bot@example.org"
    assert sink.parsed(0)["Subject"] == "minutes"
    assert sink.deliveries == {"a@example.org": 1, "c@example.org": 1}
    assert sink.rcpt_attempts["gone@example.org"] == 1


async def test_smtp_sink_fixture_accepts_long_lines(smtp_sink):
    long_line = "y" * 5000
    msg = message("long", ["a@example.org"])
    msg.set_content(long_line, cte="7bit")  # no folding: one 5,000-octet line on the wire
    await aiosmtplib.send(msg, hostname=smtp_sink.host, port=smtp_sink.port, timeout=TIMEOUT)
    messages = await smtp_sink.wait_for(1, timeout=TIMEOUT)
    assert long_line.encode() in messages[0].data


async def test_sink_policies_decide_rcpt_and_data_replies():
    def rcpt(address: str) -> str | None:
        return "452 4.2.2 mailbox full" if address.startswith("full") else None

    def data(envelope) -> str | None:
        return "554 5.7.1 spam" if b"Subject: spam" in envelope.original_content else None

    async with SmtpSink(rcpt_reply=rcpt, data_reply=data) as sink:
        refused, _ = await aiosmtplib.send(
            message("ok", ["full@example.org", "b@example.org"]),
            hostname=sink.host,
            port=sink.port,
        )
        assert refused["full@example.org"].code == 452
        with pytest.raises(aiosmtplib.SMTPDataError) as refused_data:
            await aiosmtplib.send(
                message("spam", ["b@example.org"]), hostname=sink.host, port=sink.port
            )
        assert refused_data.value.code == 554
    assert [m.parsed()["Subject"] for m in sink.messages] == ["ok"]  # only 250s are kept
    assert sink.deliveries == {"b@example.org": 1}


async def flaky_outcomes(seed: int) -> list[str]:
    outcomes = []
    async with SmtpSink(flaky_ratio=0.3, seed=seed) as sink:
        for i in range(20):
            try:
                await aiosmtplib.send(
                    message(f"m{i}", ["a@example.org"]), hostname=sink.host, port=sink.port
                )
                outcomes.append("250")
            except aiosmtplib.SMTPRecipientsRefused as exc:
                outcomes.append(f"rcpt {exc.recipients[0].code}")
            except aiosmtplib.SMTPResponseException as exc:
                outcomes.append(f"data {exc.code}")
        assert len(sink.messages) == outcomes.count("250")
    return outcomes


async def test_sink_flaky_replies_are_repeatable_for_a_seed():
    first, again = await flaky_outcomes(seed=7), await flaky_outcomes(seed=7)
    assert first == again
    assert set(first) == {"250", "rcpt 451", "data 451"}


async def test_sink_stalls_data_and_wait_for_times_out():
    async with SmtpSink(stall_seconds=0.3) as sink:
        with pytest.raises(TimeoutError, match="0 of 1"):
            await sink.wait_for(1, timeout=0.05)
        started = time.monotonic()
        await aiosmtplib.send(
            message("slow", ["a@example.org"]), hostname=sink.host, port=sink.port
        )
        assert time.monotonic() - started >= 0.3
        assert len(await sink.wait_for(1, timeout=TIMEOUT)) == 1
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((sink.host, sink.port), timeout=1).close()


async def test_sink_can_go_down_and_come_back_on_the_same_port(smtp_sink):
    down = message("before", ["a@example.org"])
    await aiosmtplib.send(down, hostname=smtp_sink.host, port=smtp_sink.port)
    port = smtp_sink.port
    await smtp_sink.stop()  # "relay down"
    with pytest.raises(aiosmtplib.SMTPConnectError):
        await aiosmtplib.send(down, hostname=smtp_sink.host, port=port, timeout=2)
    await smtp_sink.start()
    assert smtp_sink.port == port
    await aiosmtplib.send(message("after", ["a@example.org"]), hostname="127.0.0.1", port=port)
    assert [m.parsed()["Subject"] for m in smtp_sink.messages] == ["before", "after"]


def test_sink_rejects_a_reply_that_is_not_smtp():
    with pytest.raises(ValueError, match=r"gone@example\.org"):
        SmtpSink(fail_rcpt={"gone@example.org": "no such user"})


# -- PostgreSQL


async def test_postgres_database_goes_down_and_comes_back(postgres: PostgresServer, postgres_url):
    import asyncpg

    assert postgres_url.startswith(f"postgresql+asyncpg://postgres@127.0.0.1:{postgres.port}/")
    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, timeout=TIMEOUT)
    await connection.execute("CREATE TABLE t (x int); INSERT INTO t VALUES (42)")
    await connection.close()

    postgres.stop()
    try:
        with pytest.raises(OSError):
            await asyncpg.connect(dsn, timeout=TIMEOUT)
    finally:
        postgres.start()

    connection = await asyncpg.connect(dsn, timeout=TIMEOUT)
    assert await connection.fetchval("SELECT x FROM t") == 42  # same cluster, same port
    await connection.close()


async def test_postgres_url_is_a_fresh_database(postgres_url):
    import asyncpg

    dsn = postgres_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(dsn, timeout=TIMEOUT)
    tables = await connection.fetchval(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    )
    await connection.close()
    assert tables == 0


# -- the skip-or-fail rule


def test_require_skips_locally_and_fails_in_ci(monkeypatch):
    require(True, "dovecot", "apt-get install dovecot-imapd")  # present: nothing happens
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="dovecot not installed: apt-get install"):
        require(False, "dovecot", "apt-get install dovecot-imapd")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="dovecot not installed"):
        require(False, "dovecot", "apt-get install dovecot-imapd")
