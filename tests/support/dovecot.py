"""A private Dovecot IMAP server for tests: own temp dir, own config, free ports, no systemd.

    with Dovecot(tls=True) as server:            # root: mail is stored as `nobody`
        server.add_user("alice", "pw")
        ... aioimaplib.IMAP4(server.host, server.port) ...           # plain IMAP
        ... aioimaplib.IMAP4(server.host, server.tls_port,           # implicit TLS (imaps)
                             ssl_context=ssl.create_default_context(cafile=server.cafile)) ...
        server.search("alice", "SEEN")          # -> [1, 3]: checked by doveadm, not by our code

Everything lives under one temp dir: config, passwd-files, base_dir (sockets, pid), state_dir,
log, certificate, and the users' homes (maildir). `close()` stops the server and removes it.

Inspecting server state without going through reflector's IMAP code: `doveadm(...)` runs
`doveadm -c <our config> ...`, which talks to this instance's own sockets (auth-userdb in
base_dir), so mail commands work while the server runs: `mailbox status`, `search`, `fetch`,
`flags add`, `save` (deliver without IMAP), `mailbox create`, `mailbox update`.

Forcing a UIDVALIDITY change (what a restored or rebuilt mailbox does, RFC 3501 s2.3.1.1):
`bump_uidvalidity(user)` runs `doveadm mailbox update -u USER --uid-validity N MAILBOX` with
N = current + 1. It works on the running server; the messages keep their UIDs, and only
UIDVALIDITY changes. Dovecot ends any session that has that mailbox selected: it logs
"dovecot.index reset, view is now inconsistent" and disconnects ("IMAP session state is
inconsistent, please relogin"), much like a real server after a rebuild, so the client sees a
lost connection and then a new UIDVALIDITY on its next SELECT.
"""

from __future__ import annotations

import atexit
import grp
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from reflector.dev import free_port

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


def dovecot_binary() -> str | None:
    """Path of the `dovecot` binary (it lives in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


class DovecotError(RuntimeError):
    """The private Dovecot did not start or a doveadm command failed; carries the log tail."""


class Dovecot:
    """A Dovecot 2.3 IMAP server on 127.0.0.1 with passwd-file users and maildir storage.

    One user exists from the start (`user`/`password`, default bot/secret); `add_user` adds
    more at any time (one passwd-file per user). With `tls=True`, a self-signed certificate
    for 127.0.0.1/localhost is made with the `openssl` CLI and an implicit-TLS listener is
    opened on `tls_port` (the plain port stays open too); `cafile` verifies it.
    """

    def __init__(
        self,
        *,
        tls: bool = False,
        user: str = "bot",
        password: str = "secret",
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        self.tls = tls
        self.host = host
        self.port = port or 0
        self.tls_port: int | None = None
        self.cafile: Path | None = None
        self.root: Path | None = None
        self._first_user = (user, password)
        self._process: subprocess.Popen[bytes] | None = None

    # -- paths

    def _dir(self) -> Path:
        if self.root is None:
            raise DovecotError("Dovecot: not started")
        return self.root

    @property
    def config_path(self) -> Path:
        """The private dovecot.conf; pass it as `-c` to dovecot, doveadm and doveconf."""
        return self._dir() / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        return self._dir() / "dovecot.log"

    def maildir_path(self, user: str, mailbox: str = "INBOX") -> Path:
        """The maildir of `user`'s `mailbox` (Maildir++ layout: "Filed" is Maildir/.Filed)."""
        maildir = self._dir() / "home" / user / "Maildir"
        return maildir if mailbox == "INBOX" else maildir / ("." + mailbox.replace("/", "."))

    # -- lifecycle

    @staticmethod
    def available() -> bool:
        """True when dovecot and doveadm are installed."""
        return dovecot_binary() is not None and shutil.which("doveadm") is not None

    def start(self, timeout: float = 10.0) -> Dovecot:
        """Write the config, start `dovecot -F` and wait (up to `timeout` s) for its IMAP greeting.

        Dovecot runs in the foreground as our child process, so we own its pid and reap it.
        """
        binary = dovecot_binary()
        if binary is None:
            raise DovecotError("dovecot not installed: apt-get install dovecot-imapd")
        started = time.monotonic()
        self.root = Path(tempfile.mkdtemp(prefix="reflector-dovecot-"))
        try:
            # The auth process (user "dovecot") reads the passwd-files, mail processes (the
            # mail user) open the homes: both must be able to walk into the temp dir.
            self.root.chmod(0o755)
            home = self.root / "home"
            home.mkdir()
            uid, gid = self._mail_ids()
            os.chown(home, uid, gid)
            (self.root / "users").mkdir()
            (self.root / "users").chmod(0o755)
            self.add_user(*self._first_user)
            self.port = self.port or free_port(self.host)
            if self.tls:
                self.tls_port = free_port(self.host)
                self._make_certificate()
            self.config_path.write_text(self._config(uid, gid))
            with open(self._dir() / "dovecot.stderr", "wb") as stderr:
                self._process = subprocess.Popen(
                    [binary, "-F", "-c", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=stderr,
                    stderr=stderr,
                )
            atexit.register(self.close)
            self._wait_listening(started + timeout)
        except BaseException:
            self.close()
            raise
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM to the master, as `doveadm stop` sends); keep the files."""
        process, self._process = self._process, None
        if process is None:
            return
        # SIGTERM is what `doveadm stop` sends to the pid in base_dir/master.pid; sending it to
        # our child ourselves saves doveadm's polling (1 s instead of 3 s) and reaps the master.
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def close(self) -> None:
        """Stop the server and remove its temp dir (mail, config, log)."""
        atexit.unregister(self.close)
        self.stop()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the Dovecot log and of its stderr (startup errors go there)."""
        text = ""
        for name in ("dovecot.stderr", "dovecot.log"):
            path = self._dir() / name
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- users and server-side inspection

    def add_user(self, name: str, password: str) -> None:
        """Add an IMAP user; logins and doveadm see it at once."""
        if not _NAME.match(name) or ":" in password or "\n" in password:
            raise ValueError(f"Dovecot.add_user: {name!r}: expected a plain user name and password")
        # One passwd-file per user: Dovecot re-reads a changed passwd-file at most once a
        # second, but opens a file it has not seen yet at once.
        path = self._dir() / "users" / name
        if path.exists():
            raise ValueError(f"Dovecot.add_user: {name!r}: user exists already")
        path.write_text(f"{name}:{{PLAIN}}{password}\n")
        path.chmod(0o644)

    def doveadm(self, *args: str, input: bytes | None = None) -> str:
        """Run `doveadm -c <config> ARGS...` against this instance and return its stdout.

        server.doveadm("mailbox", "status", "-u", "bot", "messages uidvalidity", "INBOX")
        # 'INBOX messages=3 uidvalidity=1795694423\\n'
        """
        result = subprocess.run(
            ["doveadm", "-c", str(self.config_path), *args],
            input=input,
            capture_output=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            raise DovecotError(
                f"doveadm {' '.join(args)}: exit {result.returncode}: "
                f"{result.stderr.decode(errors='replace').strip()}"
            )
        return result.stdout.decode(errors="replace")

    def uidvalidity(self, user: str, mailbox: str = "INBOX") -> int:
        """The mailbox's UIDVALIDITY, read by doveadm."""
        out = self.doveadm("mailbox", "status", "-u", user, "uidvalidity", mailbox)
        return int(out.rsplit("uidvalidity=", 1)[1].split()[0])

    def set_uidvalidity(self, user: str, value: int, mailbox: str = "INBOX") -> None:
        """Force the mailbox's UIDVALIDITY to `value` (see the module docstring for effects)."""
        self.doveadm("mailbox", "update", "-u", user, "--uid-validity", str(value), mailbox)

    def bump_uidvalidity(self, user: str, mailbox: str = "INBOX") -> int:
        """Change the mailbox's UIDVALIDITY to a new, larger value and return it."""
        value = self.uidvalidity(user, mailbox) + 1
        self.set_uidvalidity(user, value, mailbox)
        return value

    def search(self, user: str, *query: str, mailbox: str = "INBOX") -> list[int]:
        """UIDs in `mailbox` matching a doveadm search query (default ALL), e.g. ("SEEN",)."""
        out = self.doveadm("search", "-u", user, "mailbox", mailbox, *(query or ("ALL",)))
        return sorted(int(line.split()[1]) for line in out.splitlines() if line.strip())

    def flags(self, user: str, mailbox: str = "INBOX") -> dict[int, frozenset[str]]:
        """Every message's flags by UID, e.g. {1: frozenset({"\\\\Seen"})}."""
        out = self.doveadm("-f", "tab", "fetch", "-u", user, "uid flags", "mailbox", mailbox, "ALL")
        flags: dict[int, frozenset[str]] = {}
        for line in out.splitlines()[1:]:  # first line is the header "uid\tflags"
            uid, _, names = line.partition("\t")
            flags[int(uid)] = frozenset(names.split())
        return flags

    def save(self, user: str, raw: bytes, mailbox: str = "INBOX") -> None:
        """Deliver `raw` into `mailbox` directly (doveadm save), bypassing IMAP."""
        self.doveadm("save", "-u", user, "-m", mailbox, input=raw)

    # -- internals

    @staticmethod
    def _mail_ids() -> tuple[int, int]:
        """The uid/gid that owns the mail: `nobody` when we are root, else ourselves."""
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            return nobody.pw_uid, nobody.pw_gid
        return os.getuid(), os.getgid()

    def _make_certificate(self) -> None:
        cert, key = self._dir() / "cert.pem", self._dir() / "key.pem"
        # An EC key takes milliseconds; the extensions make it a CA (it is its own trust
        # anchor) that Python's VERIFY_X509_STRICT (default since 3.13) accepts.
        subprocess.run(
            [
                "openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", str(key), "-out", str(cert), "-days", "2",
                "-subj", "/CN=localhost",
                "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
        self.cafile = cert

    def _config(self, uid: int, gid: int) -> str:
        root = self._dir()
        lines = [
            "protocols = imap",
            f"listen = {self.host}",
            f"base_dir = {root}/run",
            f"state_dir = {root}/state",  # not /var/lib/dovecot
            f"instance_name = reflector-test-{root.name}",  # shows in ps as the process prefix
            f"log_path = {root}/dovecot.log",
            "disable_plaintext_auth = no",
            "auth_mechanisms = plain login",
            "first_valid_uid = 1",
            "mail_fsync = never",
            # IDLE notices new mail by inotify; the interval is the fallback if inotify fails.
            "mailbox_idle_check_interval = 1 secs",
            "passdb {",
            "  driver = passwd-file",
            f"  args = scheme=PLAIN username_format=%u {root}/users/%u",
            "}",
            "userdb {",
            "  driver = static",
            f"  args = uid={uid} gid={gid} home={root}/home/%u",
            "}",
            "mail_location = maildir:~/Maildir",
            "namespace inbox {",
            "  inbox = yes",
            "}",
            "service imap-login {",
            *(["  chroot ="] if os.geteuid() != 0 else []),  # only root can chroot
            "  inet_listener imap {",
            f"    address = {self.host}",
            f"    port = {self.port}",
            "  }",
            "  inet_listener imaps {",
            f"    address = {self.host}",
            f"    port = {self.tls_port or 0}",
            "  }",
            "}",
            # anvil chroots to an empty dir by default; with a private base_dir that fails.
            "service anvil {",
            "  chroot =",
            "}",
        ]
        if self.tls:
            lines += ["ssl = yes", f"ssl_cert = <{root}/cert.pem", f"ssl_key = <{root}/key.pem"]
        else:
            lines += ["ssl = no"]
        if os.geteuid() != 0:
            # Not root: every service runs as us.
            me = pwd.getpwuid(os.getuid()).pw_name
            lines += [
                f"default_internal_user = {me}",
                f"default_login_user = {me}",
                f"default_internal_group = {grp.getgrgid(os.getgid()).gr_name}",
                "service auth-worker {",
                f"  user = {me}",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def _wait_listening(self, deadline: float) -> None:
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with {self._process.returncode} at start; "
                    f"last log lines:\n{self.log_tail()}"
                )
            try:
                # The greeting, not just a connect: it proves Dovecot (not some other
                # process on the port) is up and imap-login can be spawned.
                with socket.create_connection((self.host, self.port), timeout=0.5) as probe:
                    if probe.recv(64).startswith(b"* OK"):
                        return
                raise OSError("no IMAP greeting")
            except OSError:
                if time.monotonic() > deadline:
                    raise DovecotError(
                        f"dovecot did not listen on {self.host}:{self.port} in time; "
                        f"last log lines:\n{self.log_tail()}"
                    ) from None
                time.sleep(0.02)
