"""The database: one engine, write and read sessions, migrations.

SQLite (the default) is tuned for one writer process with concurrent readers: WAL, a busy
timeout, and `BEGIN IMMEDIATE` for write transactions (a deferred BEGIN upgraded to a write lock
gave "database is locked" under concurrent tasks despite busy_timeout). PostgreSQL is the path
for several workers on one database.

    db = Database("sqlite+aiosqlite:////var/lib/reflector/reflector.db")
    await db.migrate()
    async with db.write() as session:
        session.add(row)            # committed when the block ends without error
    await db.close()
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from reflector.errors import StoreError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_WRITE = "reflector_write"
# Arbitrary constant: serialises concurrent `migrate()` calls of several workers on PostgreSQL.
_MIGRATION_LOCK_ID = 72_245_001

# Errors that mean "the database is not usable right now", as opposed to a bug in a query.
_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, OSError, TimeoutError)


def describe_url(url: str) -> str:
    """The URL without any password, for logs and messages."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """An async engine plus the sessions reflector needs."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 10_000):
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if not self.is_sqlite:
            kwargs.update(pool_pre_ping=True, pool_size=5, max_overflow=5)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            _tune_sqlite(self.engine, busy_timeout_ms)
        # Same pool, marked so that SQLite starts its transactions with BEGIN IMMEDIATE.
        self._writer = self.engine.execution_options(**{_WRITE: True})

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends, rolled back on error."""
        async with self._session(self._writer) as session:
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work (nothing is committed)."""
        async with self._session(self.engine) as session:
            yield session

    @asynccontextmanager
    async def _session(self, bind: AsyncEngine) -> AsyncIterator[AsyncSession]:
        try:
            async with AsyncSession(bind, expire_on_commit=False) as session, session.begin():
                yield session
        except _UNAVAILABLE as error:
            raise StoreError(f"database {describe_url(self.url)} unavailable: {error}") from error

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (safe to call on every start)."""
        try:
            async with self._writer.connect() as conn:
                if not self.is_sqlite:
                    await conn.execute(text(f"SELECT pg_advisory_lock({_MIGRATION_LOCK_ID})"))
                    await conn.commit()
                try:
                    await conn.run_sync(_upgrade_to_head)
                    await conn.commit()
                finally:
                    if not self.is_sqlite:
                        await conn.execute(text(f"SELECT pg_advisory_unlock({_MIGRATION_LOCK_ID})"))
                        await conn.commit()
        except _UNAVAILABLE as error:
            raise StoreError(f"database {describe_url(self.url)} unavailable: {error}") from error

    async def close(self) -> None:
        await self.engine.dispose()


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def _tune_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    """PRAGMAs on every connection, and BEGIN IMMEDIATE for write transactions.

    This is SQLAlchemy's recipe for taking over transaction control from the sqlite3 module
    (docs: "Serializable isolation / Savepoints / Transactional DDL" for pysqlite/aiosqlite).
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=NORMAL",
            f"busy_timeout={busy_timeout_ms}",
            "foreign_keys=ON",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
