"""A private PostgreSQL cluster for tests: temp dir, free port, trust auth, no system service.

    with PostgresServer() as pg:                       # initdb + start, ~1 s
        await pg.create_database("t1")
        engine = create_async_engine(pg.url("t1"))     # postgresql+asyncpg://postgres@127.0.0.1:P/t1
        pg.stop()                                      # "database down" (immediate shutdown)
        pg.start()                                     # back, same port, same data

As root, the cluster belongs to the `postgres` user (initdb refuses to run as root) and every
server command runs through `runuser -u postgres --`; otherwise the commands run as ourselves.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from reflector.dev import free_port

_DBNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def postgres_bindir() -> Path | None:
    """Directory holding `initdb` and `pg_ctl`: PATH first, then the newest Debian
    /usr/lib/postgresql/<version>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    versions = []
    for bindir in Path("/usr/lib/postgresql").glob("*/bin"):
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            version = bindir.parent.name
            versions.append((tuple(int(p) for p in version.split(".") if p.isdigit()), bindir))
    return max(versions)[1] if versions else None


class PostgresError(RuntimeError):
    """initdb or pg_ctl failed; the message carries their output and the server log tail."""


class PostgresServer:
    """A PostgreSQL server on 127.0.0.1 with its data, socket and log in one temp dir.

    `start()` runs initdb the first time; `stop()` shuts down immediately (like a crash) and
    keeps the data, so a later `start()` brings the same cluster back on the same port.
    `close()` stops it and removes the temp dir. The superuser is `postgres`, trusted without
    a password.
    """

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or 0
        self.root: Path | None = None
        self._bindir: Path | None = None
        self._running = False

    @staticmethod
    def available() -> bool:
        """True when initdb and pg_ctl are installed."""
        return postgres_bindir() is not None

    @property
    def running(self) -> bool:
        return self._running

    # -- URLs

    def url(self, dbname: str = "postgres") -> str:
        """SQLAlchemy URL: `postgresql+asyncpg://postgres@127.0.0.1:PORT/dbname`."""
        return f"postgresql+asyncpg://postgres@{self.host}:{self.port}/{dbname}"

    def dsn(self, dbname: str = "postgres") -> str:
        """libpq/asyncpg DSN: `postgresql://postgres@127.0.0.1:PORT/dbname`."""
        return f"postgresql://postgres@{self.host}:{self.port}/{dbname}"

    # -- lifecycle

    def start(self) -> PostgresServer:
        """Create the cluster on first use, then start the server and wait until it accepts."""
        if self._running:
            return self
        if self.root is None:
            self._init_cluster()
        root = self._root()
        options = (
            f"-p {self.port} -c listen_addresses={self.host} -k {root} "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(root / "data"), "-l", str(root / "server.log"),
                  "-o", options, "-w", "-t", "30", "start")  # fmt: skip
        self._running = True
        return self

    def stop(self) -> None:
        """Stop at once (`pg_ctl -m immediate`): connections break, the data stays."""
        if not self._running:
            return
        self._run("pg_ctl", "-D", str(self._root() / "data"), "-m", "immediate", "-w", "stop")
        self._running = False

    def close(self) -> None:
        """Stop the server (if running) and remove the cluster."""
        atexit.unregister(self.close)
        if self._running:
            try:
                self.stop()
            except PostgresError:
                self._kill_postmaster()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server log."""
        path = self._root() / "server.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    # -- databases

    async def create_database(self, name: str) -> None:
        """CREATE DATABASE `name` (a plain identifier) through asyncpg."""
        await self._admin(f'CREATE DATABASE "{self._check_name(name)}"')

    async def drop_database(self, name: str) -> None:
        """DROP DATABASE IF EXISTS `name`, closing its open connections first."""
        await self._admin(f'DROP DATABASE IF EXISTS "{self._check_name(name)}" WITH (FORCE)')

    async def _admin(self, sql: str) -> None:
        import asyncpg

        connection = await asyncpg.connect(self.dsn("postgres"), timeout=10)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    @staticmethod
    def _check_name(name: str) -> str:
        if not _DBNAME.match(name):
            raise ValueError(f"database name {name!r}: expected letters, digits and _ (max 63)")
        return name

    # -- internals

    def _root(self) -> Path:
        if self.root is None:
            raise PostgresError("PostgresServer: not started")
        return self.root

    def _init_cluster(self) -> None:
        self._bindir = postgres_bindir()
        if self._bindir is None:
            raise PostgresError("postgresql not installed: apt-get install postgresql")
        self.root = Path(tempfile.mkdtemp(prefix="reflector-postgres-"))
        atexit.register(self.close)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if not self.port:
            self.port = free_port(self.host)
        self._run("initdb", "-D", str(self.root / "data"), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale=C")  # fmt: skip

    def _kill_postmaster(self) -> None:
        """Last resort when pg_ctl cannot stop it: SIGQUIT (immediate shutdown) to the pid."""
        pidfile = self._root() / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGQUIT)
        self._running = False

    def _run(self, program: str, *args: str) -> None:
        assert self._bindir is not None and self.root is not None
        command = [str(self._bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        # cwd: the postgres user may not be allowed into ours (e.g. /root)
        result = subprocess.run(command, cwd=self.root, capture_output=True, timeout=60)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace").strip()
            raise PostgresError(
                f"{program} {' '.join(args)}: exit {result.returncode}: {output}\n"
                f"server log:\n{self.log_tail()}"
            )
