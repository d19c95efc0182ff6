"""Shared fixtures: real servers on loopback, started once per session where they are slow.

    dovecot         session   private Dovecot (plain port, and implicit TLS when openssl exists)
    dovecot_user    function  a fresh Dovecot user per test -> (user, password): empty mailboxes
    postgres        session   private PostgreSQL cluster (`PostgresServer`)
    postgres_url    function  a fresh database -> "postgresql+asyncpg://...", dropped afterwards
    pymap_server    function  in-process pymap, empty -> (host, port, user, password)
    smtp_sink       function  a started `SmtpSink` that accepts everything

Missing Dovecot or PostgreSQL skips the tests that need them, and fails them when CI=true.
Tests using `dovecot*`/`postgres*` fixtures get the `dovecot`/`postgres` marker, so
`pytest -m "not dovecot and not postgres"` runs without either.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from reflector.dev import SmtpSink, start_pymap
from reflector.store.db import Database

from support.dovecot import Dovecot
from support.postgres import PostgresServer
from support.require import require

_user_numbers = itertools.count(1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if any(name.startswith("dovecot") for name in names):
            item.add_marker(pytest.mark.dovecot)
        if any(name.startswith("postgres") for name in names):
            item.add_marker(pytest.mark.postgres)


# -- Dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the session; isolate tests with `dovecot_user`, not by restarting."""
    require(Dovecot.available(), "dovecot", "apt-get install dovecot-imapd")
    with Dovecot(tls=shutil.which("openssl") is not None) as server:
        yield server


@pytest.fixture
def dovecot_user(dovecot: Dovecot) -> tuple[str, str]:
    """A user that no other test has touched: its INBOX exists and is empty."""
    user, password = f"user{next(_user_numbers)}", "secret"
    dovecot.add_user(user, password)
    return user, password


# -- PostgreSQL


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL cluster for the session; `postgres_url` gives each test its database."""
    require(PostgresServer.available(), "postgresql", "apt-get install postgresql")
    with PostgresServer() as server:
        yield server


@pytest.fixture
async def postgres_url(postgres: PostgresServer) -> AsyncIterator[str]:
    """A new, empty database on the session's server, as a SQLAlchemy asyncpg URL."""
    require(importlib.util.find_spec("asyncpg") is not None, "asyncpg", "pip install asyncpg")
    name = f"test_{uuid.uuid4().hex[:12]}"
    await postgres.create_database(name)
    yield postgres.url(name)
    if not postgres.running:  # a test that stopped the server must not break the next ones
        postgres.start()
    await postgres.drop_database(name)


# -- in-process servers


@pytest.fixture
async def pymap_server() -> AsyncIterator[tuple[str, int, str, str]]:
    """An empty pymap IMAP server for this test only -> (host, port, user, password)."""
    require(importlib.util.find_spec("pymap") is not None, "pymap", "pip install 'reflector[demo]'")
    async with contextlib.AsyncExitStack() as stack:
        host, port = await start_pymap(stack, user="bot", password="secret")
        yield host, port, "bot", "secret"


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    """An SMTP sink on a free port that answers 250 to everything."""
    async with SmtpSink() as sink:
        yield sink


# -- the store, on both databases


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database URL: a SQLite file, then (second run of the test) a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'reflector.db'}"
        return
    request.node.add_marker(pytest.mark.postgres)
    server: PostgresServer = request.getfixturevalue("postgres")
    name = f"test_{uuid.uuid4().hex[:12]}"
    asyncio.run(server.create_database(name))
    yield server.url(name)
    if not server.running:
        server.start()
    asyncio.run(server.drop_database(name))


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A migrated, empty `Database` (SQLite and PostgreSQL)."""
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty SQLite `Database`, for tests where the engine does not matter."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'reflector.db'}")
    await database.migrate()
    yield database
    await database.close()
