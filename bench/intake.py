"""Benchmark of IMAP intake: reflector's `ImapSource.sync_once()` against a bare download.

What it measures, per repetition, on identical mailboxes of N realistic messages (built with
`tests/factories.py`'s `make_message`: varied subjects, senders and bodies, about 20% with a
50 KB PDF attachment):

    A  baseline   a bare aioimaplib client doing the minimum to download everything: LOGIN,
                  SELECT, UID SEARCH ALL, UID FETCH BODY.PEEK[] 100 UIDs at a time, and
                  UID STORE +FLAGS.SILENT (\\Seen) after each chunk. No database.
    B  reflector  `ImapSource(settings.imap, db).sync_once()` into a fresh, migrated SQLite
                  `Database`: the cursor moves in the same transaction as the messages, the
                  flag is set only after the commit, every message is checked for duplicates.
    C  B + `process_pending(db, policy, now)`: parse, screen and classify every message
                  (in batches of up to 50), i.e. the whole of `reflector run --once`.

Each repetition gets two fresh mailboxes with the same messages and runs A, B(+C), B, A: the
second A and B read the same mailboxes again with \\Seen cleared, so slow drift of the
machine hits both sides alike. Every run is a fresh Python process (like `reflector run
--once`); its clock starts after imports and the database migration, just before it connects,
and stops after LOGOUT (for C, after process_pending), so filling mailboxes, starting servers
and migrating are not timed. The same process reports its peak RSS growth during the run
(Linux: VmHWM, reset through /proc/self/clear_refs just before the clock starts).

Servers: a private Dovecot (default when installed; `tests/support/dovecot.py`, a fresh user
per mailbox, filled server-side with `doveadm copy` from one mailbox filled by APPEND at the
start) or pymap (`reflector.dev.start_pymap`, one in-memory server per mailbox, filled by
APPEND, served from the parent process while the measured run is in a child).

Run it from the repository root:

    .venv/bin/python bench/intake.py                      # N=2000, R=3, Dovecot if installed
    .venv/bin/python bench/intake.py --server pymap --messages 500 --reps 5
    .venv/bin/python bench/intake.py --profile            # + where B and C spend their time

Reading the result (house rule: speed is a ratio against a baseline measured in the same run,
never an absolute pass/fail): a ratio is A's time divided by the row's time in the same
repetition (so also the row's messages/s divided by A's), reported as the median over the
repetitions, with min-max. B/A close to 1 means that durability (commit before \\Seen, the
cursor in the same transaction), flags-after-commit and dedupe cost little over a bare
download; 0.5 means intake takes twice as long as the download alone. C/A shows what the whole
intake path (download, store, parse, screen, classify) costs per message against only fetching
it. The exit status is 0 whatever the speed; 1 only if a run did not take in (or process) every
message, or a child run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # factories, support.* (as the tests import them)

import aioimaplib  # noqa: E402

from reflector.config import Settings  # noqa: E402
from reflector.dev import start_pymap  # noqa: E402
from reflector.mail.imap import ImapSource  # noqa: E402
from reflector.pipeline import process_pending  # noqa: E402
from reflector.store.db import Database  # noqa: E402
from reflector.understand import policy_from_settings  # noqa: E402

from factories import REFLECTOR, SECRETARIAT, make_message, make_settings  # noqa: E402
from support.dovecot import Dovecot, dovecot_binary  # noqa: E402
from support.imapclient import append_messages, imap  # noqa: E402

PASSWORD = "secret"
FETCH_CHUNK = 100  # UIDs per FETCH/STORE in A (aioimaplib #118: keep responses short)
TIMEOUT = 120.0  # per IMAP command; generous, but a stuck run still ends


# -- the mailbox content ------------------------------------------------------------------------

SENDERS = [
    "Maria Rossi <maria.rossi@qtech.example>",
    "Dr. Kenji Sato <k.sato@nict.example>",
    "Lin Wei <lin.wei@caict.example>",
    "Amara Okafor <amara.okafor@uni-lagos.example>",
    "ETSI ISG-QKD <isg-qkd@etsi.example>",
    "Jörg Müller <joerg.mueller@telekom.example>",
    "Priya Natarajan <priya@iitm.example>",
]
SUBJECTS = [
    "Registration for meeting 6",
    "Contribution: QKD network key management interface (draft)",
    "Liaison statement from ETSI ISG-QKD on QKD security certification",
    "Re: Terms of reference of the JCA-QKDN",
    "Input document for the 6th meeting: roadmap update",
    "Question about remote participation",
    "Out of office",
    "Re: Re: Agenda of the 6th meeting",
]
PARAGRAPHS = [
    "Please register me for the 6th meeting (remote participation).",
    "Please find attached our contribution on the key management layer of QKD networks, "
    "for consideration at the next meeting of the JCA-QKDN.",
    "ETSI ISG-QKD thanks the JCA-QKDN for its liaison statement and would like to inform you "
    "about the progress of the protection profile for QKD modules.",
    "I would like to raise a question about the alignment of terminology between ITU-T SG13, "
    "SG17 and ISO/IEC JTC 1 on quantum key distribution networks.",
    "The updated roadmap lists the standards under development, their status, and the "
    "responsible group; comments are welcome before the deadline.",
    "Could the secretariat confirm that the meeting link will be sent to registered "
    "participants a week in advance?",
    "Best regards,\nthe editors",
]


def build_messages(count: int, seed: int = 6) -> list[bytes]:
    """`count` distinct messages (own Message-ID each), ~20% with a 50 KB PDF attachment."""
    rng = random.Random(seed)
    raws: list[bytes] = []
    for i in range(count):
        body = "\n\n".join(rng.choices(PARAGRAPHS, k=rng.randint(1, 6)))
        attachment = None
        if rng.random() < 0.2:
            # Incompressible bytes behind a PDF header: base64 makes ~68 KB on the wire.
            pdf = b"%PDF-1.4\n" + rng.randbytes(50 * 1024)
            attachment = (f"JCA-QKDN-C-{i:03d}.pdf", pdf, "application/pdf")
        raws.append(
            make_message(
                f"{rng.choice(SUBJECTS)} [{i}]",
                f"Dear colleagues,\n\n{body}\n",
                sender=rng.choice(SENDERS),
                to=rng.choice([SECRETARIAT, SECRETARIAT, REFLECTOR]),
                message_id=f"<bench-{seed}-{i}@qtech.example>",
                attachment=attachment,
            )
        )
    return raws


# -- the servers: a mailbox is (host, port, user) -----------------------------------------------


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str


class Server:
    """Hands out fresh mailboxes holding `raws`: Dovecot users, or one pymap server each."""

    def __init__(self, kind: str, raws: Sequence[bytes]):
        self.kind = kind
        self.raws = raws
        self.dovecot: Dovecot | None = None
        self._template: Mailbox | None = None
        self._users = 0

    async def start(self, stack: contextlib.AsyncExitStack) -> None:
        if self.kind == "dovecot":
            self.dovecot = Dovecot(tls=False).start()
            stack.callback(self.dovecot.close)
            self._template = self._new_user()
            await fill(self._template, self.raws)

    def _new_user(self) -> Mailbox:
        assert self.dovecot is not None
        self._users += 1
        user = f"bench{self._users}"
        self.dovecot.add_user(user, PASSWORD)
        return Mailbox(self.dovecot.host, self.dovecot.port, user)

    async def mailbox(self, stack: contextlib.AsyncExitStack) -> Mailbox:
        """A new INBOX holding the messages, none \\Seen; pymap's lives until `stack` closes."""
        if self.dovecot is not None and self._template is not None:
            box = self._new_user()
            # Server-side copy of the APPENDed template (hard links: well under a second).
            self.dovecot.doveadm(
                "copy", "-u", box.user, "INBOX",
                "user", self._template.user, "mailbox", "INBOX", "ALL",
            )  # fmt: skip
            return box
        host, port = await start_pymap(stack, user="bot", password=PASSWORD)
        box = Mailbox(host, port, "bot")
        await fill(box, self.raws)
        return box

    def version(self) -> str:
        if self.kind == "dovecot":
            binary = dovecot_binary() or "dovecot"
            out = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout
            return f"Dovecot {out.split()[0] if out else '?'}"
        return f"pymap {importlib.metadata.version('pymap')} (in the parent process)"


async def fill(box: Mailbox, raws: Sequence[bytes]) -> None:
    await append_messages(box.host, box.port, box.user, PASSWORD, raws)


async def clear_seen(box: Mailbox) -> None:
    """Put the mailbox back as it was before a run: no message \\Seen."""
    async with imap(box.host, box.port, box.user, PASSWORD) as client:
        async with asyncio.timeout(TIMEOUT):
            assert (await client.select("INBOX")).result == "OK"
            response = await client.uid("store", "1:*", "-FLAGS.SILENT", r"(\Seen)")
        assert response.result == "OK", response


# -- peak RSS (Linux) ---------------------------------------------------------------------------


def _status_kb(name: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(name + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak_rss() -> int | None:
    """Set the peak RSS (VmHWM) to the current RSS and return it; None where unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # proc(5): "5" resets the peak resident set size (Linux >= 4.0)
    except OSError:
        return None
    return _status_kb("VmRSS")


def peak_rss() -> int | None:
    return _status_kb("VmHWM")


# -- the measured runs (each in a child process) ------------------------------------------------


async def bare_download(box: Mailbox) -> int:
    """A: LOGIN, SELECT, UID SEARCH ALL, then per 100 UIDs: FETCH BODY.PEEK[], STORE \\Seen."""
    client = aioimaplib.IMAP4(box.host, box.port, timeout=TIMEOUT)
    async with asyncio.timeout(TIMEOUT):
        await client.wait_hello_from_server()
        assert (await client.login(box.user, PASSWORD)).result == "OK"
        assert (await client.select("INBOX")).result == "OK"
        found = await client.uid_search("ALL", charset=None)
    uids = [tok for tok in found.lines[0].decode().split() if tok.isdigit()]
    fetched = 0
    for start in range(0, len(uids), FETCH_CHUNK):
        chunk = ",".join(uids[start : start + FETCH_CHUNK])
        async with asyncio.timeout(TIMEOUT):
            response = await client.uid("fetch", chunk, "(UID BODY.PEEK[])")
            assert response.result == "OK", response
            fetched += sum(isinstance(line, bytearray) for line in response.lines)
            stored = await client.uid("store", chunk, "+FLAGS.SILENT", r"(\Seen)")
            assert stored.result == "OK", stored
    async with asyncio.timeout(TIMEOUT):
        await client.logout()
    return fetched


@contextlib.asynccontextmanager
async def fresh_database(box: Mailbox) -> AsyncIterator[tuple[Settings, Database]]:
    """Settings pointing at `box` and a migrated, empty SQLite database in a temp dir."""
    tmp = Path(tempfile.mkdtemp(prefix="reflector-bench-"))
    settings = make_settings(
        tmp,
        imap={
            "enabled": True,
            "host": box.host,
            "port": box.port,
            "username": box.user,
            "password": PASSWORD,
            "timeout_seconds": TIMEOUT,
        },
    )
    db = Database(settings.database.url)
    try:
        await db.migrate()
        yield settings, db
    finally:
        await db.close()
        shutil.rmtree(tmp, ignore_errors=True)


async def measure(kind: str, box: Mailbox, process: bool) -> dict[str, Any]:
    """One timed run of A or B (then, with `process`, C's process_pending) in this process."""
    if kind == "a":
        rss = reset_peak_rss()
        started = time.perf_counter()
        count = await bare_download(box)
        seconds = time.perf_counter() - started
        return {"count": count, "seconds": seconds, "rss": _growth(rss, peak_rss())}
    async with fresh_database(box) as (settings, db):
        source = ImapSource(settings.imap, db)
        rss = reset_peak_rss()
        started = time.perf_counter()
        count = await source.sync_once()
        seconds = time.perf_counter() - started
        result: dict[str, Any] = {
            "count": count,
            "seconds": seconds,
            "rss": _growth(rss, peak_rss()),
        }
        if process:
            policy = policy_from_settings(settings)
            started = time.perf_counter()
            report = await process_pending(db, policy, datetime.now(UTC))
            result.update(
                processed=report.total,
                process_seconds=time.perf_counter() - started,
                statuses=dict(report.counts),
                rss_c=_growth(rss, peak_rss()),  # B and process_pending together
            )
        return result


def _growth(before: int | None, peak: int | None) -> int | None:
    return None if before is None or peak is None else peak - before


async def run_child(kind: str, box: Mailbox, process: bool = False) -> dict[str, Any]:
    """Run `measure` in a fresh interpreter (the parent keeps serving pymap meanwhile)."""
    argv = [sys.executable, __file__, "--child", kind, box.host, str(box.port), box.user]
    child = await asyncio.create_subprocess_exec(
        *argv, *(["--child-process"] if process else []), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise BenchError(f"{kind.upper()} run on {box}: child exited {child.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


# -- one repetition: A, B(+C), B, A -------------------------------------------------------------


class BenchError(RuntimeError):
    """A run failed or did not take in every message: its numbers would mean nothing."""


@dataclass
class Rep:
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {"a": [], "b": []})

    def seconds(self, kind: str) -> float:
        return statistics.mean(run["seconds"] for run in self.runs[kind])

    @property
    def c(self) -> dict[str, Any] | None:
        return next((run for run in self.runs["b"] if "process_seconds" in run), None)


async def one_rep(server: Server, n: int, process: bool) -> Rep:
    rep = Rep()
    async with contextlib.AsyncExitStack() as stack:
        box_a, box_b = await server.mailbox(stack), await server.mailbox(stack)

        async def run(kind: str, box: Mailbox, with_c: bool = False) -> None:
            result = await run_child(kind, box, with_c)
            if result["count"] != n or result.get("processed", n) != n:
                raise BenchError(f"{kind.upper()} run: {result}, expected {n} messages")
            rep.runs[kind].append(result)

        # process_pending sits between the two B runs, so A's and B's runs stay centred.
        await run("a", box_a)
        await run("b", box_b, process)
        await asyncio.gather(clear_seen(box_a), clear_seen(box_b))
        await run("b", box_b)
        await run("a", box_a)
    return rep


# -- profile (optional, in this process) --------------------------------------------------------


async def profile(server: Server, top: int) -> None:
    """Where B and process_pending spend their time: pyinstrument if importable, else cProfile."""
    async with contextlib.AsyncExitStack() as stack:
        box = await server.mailbox(stack)
        async with fresh_database(box) as (settings, db):
            steps = (
                ("B sync_once", lambda: ImapSource(settings.imap, db).sync_once()),
                (
                    "process_pending",
                    lambda: process_pending(db, policy_from_settings(settings), datetime.now(UTC)),
                ),
            )
            for title, step in steps:
                print(f"\n### Profile: {title}\n\n```")
                try:
                    from pyinstrument import Profiler
                except ImportError:
                    import cProfile
                    import pstats

                    profiler = cProfile.Profile()
                    profiler.enable()
                    await step()
                    profiler.disable()
                    stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
                    stats.sort_stats("cumulative").print_stats(top)
                else:
                    sampler = Profiler(async_mode="enabled")
                    sampler.start()
                    await step()
                    sampler.stop()
                    print(sampler.output_text(unicode=False, color=False))
                print("```")


# -- the report ---------------------------------------------------------------------------------


def rate_cells(n: int, seconds_per_rep: Sequence[float]) -> str:
    values = sorted(n / s for s in seconds_per_rep)
    return f"{values[0]:.0f} | {statistics.median(values):.0f} | {values[-1]:.0f}"


def ratio_cell(per_rep: Sequence[float]) -> str:
    """Median (min–max) of A's time / the row's time, and the median slowdown it means."""
    median = statistics.median(per_rep)
    return (
        f"**{median:.3f}** ({min(per_rep):.3f}–{max(per_rep):.3f}) "
        f"| {statistics.median(1 / r for r in per_rep):.1f}×"
    )


def mb_cell(values: Sequence[int | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known) / 2**20:.0f}" if known else "n/a"


def report(args: argparse.Namespace, server: Server, reps: list[Rep]) -> None:
    n = len(server.raws)
    a = [rep.seconds("a") for rep in reps]
    b = [rep.seconds("b") for rep in reps]
    rss = {k: [run["rss"] for rep in reps for run in rep.runs[k]] for k in ("a", "b")}
    rows = [
        ("A bare aioimaplib download", a, "1 | 1×", mb_cell(rss["a"])),
        (
            "B reflector `sync_once` → SQLite",
            b,
            ratio_cell([ai / bi for ai, bi in zip(a, b, strict=True)]),
            mb_cell(rss["b"]),
        ),
    ]
    cs = [rep.c for rep in reps]
    if args.process and all(cs):
        c_runs = [c for c in cs if c is not None]
        c = [run["seconds"] + run["process_seconds"] for run in c_runs]
        p = [run["process_seconds"] for run in c_runs]
        rows += [
            (
                "C = B + `process_pending`",
                c,
                ratio_cell([ai / ci for ai, ci in zip(a, c, strict=True)]),
                mb_cell([run["rss_c"] for run in c_runs]),
            ),
            (
                "(`process_pending` alone)",
                p,
                ratio_cell([ai / pi for ai, pi in zip(a, p, strict=True)]),
                "",
            ),
        ]
    raws = server.raws
    attached = sum(b"application/pdf" in raw for raw in raws)
    print(
        f"\n{n} messages ({sum(map(len, raws)) / 2**20:.1f} MiB, {attached} with a 50 KB "
        f"attachment), {len(reps)} reps of A,B,B,A{' (C once per rep)' if args.process else ''}; "
        f"server {server.version()}\n"
    )
    print("| run | msg/s min | msg/s median | msg/s max | ratio to A: median (min–max) "
          "| time vs A | peak RSS growth, MiB |")  # fmt: skip
    print("|---|---:|---:|---:|---|---:|---:|")
    for name, seconds, ratio, memory in rows:
        print(f"| {name} | {rate_cells(n, seconds)} | {ratio} | {memory} |")
    if cs and cs[0] is not None:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted(cs[0]["statuses"].items()))
        print(f"\nprocess_pending outcome: {statuses}.")
    print(
        f"\nPython {platform.python_version()}, aioimaplib "
        f"{importlib.metadata.version('aioimaplib')}, SQLAlchemy "
        f"{importlib.metadata.version('sqlalchemy')}, aiosqlite "
        f"{importlib.metadata.version('aiosqlite')}, SQLite {sqlite3.sqlite_version}; "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="IMAP intake benchmark: reflector vs a bare aioimaplib download.",
        epilog="See the module docstring for how to read the ratios.",
    )
    parser.add_argument("--messages", type=int, default=2000, metavar="N", help="default 2000")
    parser.add_argument("--reps", type=int, default=3, metavar="R", help="default 3")
    parser.add_argument(
        "--server",
        choices=["pymap", "dovecot"],
        default="dovecot" if dovecot_binary() else "pymap",
        help="default: dovecot when installed, else pymap",
    )
    parser.add_argument(
        "--no-process", dest="process", action="store_false", help="skip C (process_pending)"
    )
    parser.add_argument("--profile", action="store_true", help="also profile one B and one C")
    parser.add_argument("--top", type=int, default=30, help="cProfile rows (default 30)")
    # Internal: one measured run in this process, printed as JSON (see run_child).
    parser.add_argument("--child", nargs=4, metavar=("KIND", "HOST", "PORT", "USER"),
                        help=argparse.SUPPRESS)  # fmt: skip
    parser.add_argument("--child-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.messages < 1 or args.reps < 1:
        parser.error("--messages and --reps must be at least 1")
    if args.server == "dovecot" and dovecot_binary() is None:
        parser.error("--server dovecot: dovecot is not installed (apt-get install dovecot-imapd)")
    return args


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    server = Server(args.server, build_messages(args.messages))
    async with contextlib.AsyncExitStack() as stack:
        await server.start(stack)
        reps: list[Rep] = []
        try:
            for i in range(args.reps):
                rep_started = time.perf_counter()
                reps.append(await one_rep(server, args.messages, args.process))
                times = {
                    k: " ".join(f"{r['seconds']:.2f}" for r in v) for k, v in reps[-1].runs.items()
                }
                c = reps[-1].c
                print(
                    f"rep {i + 1}/{args.reps}: A {times['a']} s, B {times['b']} s"
                    + (f", process_pending {c['process_seconds']:.2f} s" if c else "")
                    + f" ({time.perf_counter() - rep_started:.0f} s with setup)",
                    file=sys.stderr,
                )
        except BenchError as error:
            print(f"bench/intake.py: {error}", file=sys.stderr)
            return 1
        report(args, server, reps)
        print(f"Whole benchmark: {time.perf_counter() - started:.0f} s.")
        if args.profile:
            await profile(server, args.top)
    return 0


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.child:
        kind, host, port, user = arguments.child
        box = Mailbox(host, int(port), user)
        print(json.dumps(asyncio.run(measure(kind, box, arguments.child_process))))
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
