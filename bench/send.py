"""Benchmark of sending: reflector's outbox against bare aiosmtplib, to the same SMTP sink.

What it measures, per repetition, with the same N mails (built with `tests/factories.py`'s
`make_message`: varied subjects and bodies, 1-3 recipients each):

    A  baseline   one bare aiosmtplib client: connect, `sendmail()` per mail, QUIT.
                  No database, no bookkeeping.
    B  reflector  `OutboxSender(...).drain_once()` on a fresh SQLite database that already holds
                  the N mails as `queued` rows: claim due rows (leases), send each over the one
                  kept connection, record every recipient's reply, settle the rows.
    (enqueue)     the `enqueue()` that filled B's database: one transaction, N rows. Shown for
                  information; a workflow pays it inside its own transaction.

The sink is an aiosmtpd server in its own process that accepts everything and counts messages,
recipients and Message-IDs, so the server does not share a core (or an event loop) with the
measured client. Each repetition runs A, B, B, A, each in a fresh Python process (as `reflector
run --once` would be); the clock starts after imports, message building and the database
migration, just before connecting, and stops after QUIT. The same process reports its peak RSS
growth (Linux: VmHWM, reset through /proc/self/clear_refs just before the clock starts).

Run it from the repository root:

    .venv/bin/python bench/send.py                        # N=2000, R=3
    .venv/bin/python bench/send.py --mails 500 --reps 5
    .venv/bin/python bench/send.py --profile              # + where B spends its time

Reading the result (house rule: speed is a ratio against a baseline measured in the same run,
never an absolute pass/fail): the ratio is A's time divided by B's in the same repetition (so
also B's mails/s divided by A's), as the median over repetitions with min-max. B/A = 1 means
the durable outbox costs nothing over a bare client; 0.8 means it takes 25% longer. The exit
status is 0 whatever the speed; 1 only if the sink did not receive every mail exactly once, a
run did not report every mail `sent`, or a child run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import pickle
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # factories (as the tests import it)

import aiosmtplib  # noqa: E402
from aiosmtpd.smtp import SMTP, Envelope, Session  # noqa: E402

from reflector.clock import SystemClock  # noqa: E402
from reflector.config import OutboxSettings, SmtpSettings  # noqa: E402
from reflector.outbox import OutboxSender, OutgoingMail, enqueue  # noqa: E402
from reflector.store.db import Database  # noqa: E402
from reflector.store.inbox import message_id_of  # noqa: E402

from factories import SECRETARIAT, make_message  # noqa: E402

HOST = "127.0.0.1"
TIMEOUT = 60  # seconds per SMTP command: generous, but a stuck run still ends
# The defaults of config.toml's [smtp] and [outbox], pointed at the sink.
OUTBOX_SETTINGS = OutboxSettings(
    rcpt_per_transaction=100,
    retry_first_seconds=60,
    retry_max_seconds=3600,
    give_up_hours=120,
    replies_per_hour=10,
    message_id_domain="sdo-coord.example",
)


def smtp_settings(port: int) -> SmtpSettings:
    return SmtpSettings(HOST, port, "none", None, None, timeout_seconds=TIMEOUT)


# -- the mails ----------------------------------------------------------------------------------

SUBJECTS = [
    "Your registration for the 6th meeting",
    "Contribution JCA-QKDN-6-I-{n:03d} received",
    "Reminder: input deadline for the 6th meeting in 3 days",
    "Liaison statement JCA-QKDN-LS-{n:03d} registered",
    "[JCA-QKDN] Draft agenda of the 6th meeting",
]
PARAGRAPHS = [
    "Thank you for your message. It has been registered under the number given in the subject.",
    "The meeting will be held online; the link is sent to registered participants a week in "
    "advance.",
    "Please send input documents to the secretariat before the deadline; late documents are "
    "marked as such on the document list.",
    "This is an automatic reply. The secretariat reads every message and will come back to you "
    "if anything is unclear.",
    "Best regards,\nthe JCA-QKDN secretariat",
]


@dataclass(frozen=True)
class Mail:
    recipients: tuple[str, ...]
    data: bytes
    message_id: str


def build_mails(count: int, seed: int = 6) -> list[Mail]:
    """`count` distinct mails (own Message-ID each) with 1-3 recipients and 1-5 paragraphs."""
    rng = random.Random(seed)
    mails = []
    for i in range(count):
        recipients = tuple(f"p{i}-{j}@members.example" for j in range(rng.randint(1, 3)))
        message_id = f"bench.{i}@sdo-coord.example"
        data = make_message(
            subject=rng.choice(SUBJECTS).format(n=i % 1000),
            body="\n\n".join(rng.choices(PARAGRAPHS, k=rng.randint(1, 5))),
            sender=f"JCA-QKDN secretariat <{SECRETARIAT}>",
            to=", ".join(recipients),
            message_id=f"<{message_id}>",
        )
        mails.append(Mail(recipients, data, message_id))
    return mails


# -- the sink (its own process) -----------------------------------------------------------------


class _CountingHandler:
    """Accepts every message; counts messages, recipients and Message-IDs."""

    def __init__(self) -> None:
        self.messages = 0
        self.recipients = 0
        self.ids: Counter[str | None] = Counter()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages += 1
        self.recipients += len(envelope.rcpt_tos)
        self.ids[message_id_of(envelope.original_content or b"")] += 1
        return "250 2.0.0 OK"

    def stats(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "recipients": self.recipients,
            "distinct": len(self.ids),
            "max_copies": max(self.ids.values(), default=0),
        }


async def serve_sink() -> None:
    """The sink process: print the port, then answer "stats"/"reset" lines on stdin until EOF."""
    loop = asyncio.get_running_loop()
    handler = _CountingHandler()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.localhost", enable_SMTPUTF8=True), HOST, 0
    )
    print(server.sockets[0].getsockname()[1], flush=True)
    while line := await asyncio.to_thread(sys.stdin.readline):
        if line.strip() == "reset":
            handler.__init__()  # type: ignore[misc]
        print(json.dumps(handler.stats()), flush=True)
    server.close()


class SinkProcess:
    """Talks to the sink process over its stdin/stdout."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.port = 0

    async def start(self) -> SinkProcess:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--sink",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        self.port = int(await self.proc.stdout.readline())
        return self

    async def command(self, word: str) -> dict[str, Any]:
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(word.encode() + b"\n")
        await self.proc.stdin.drain()
        result: dict[str, Any] = json.loads(await self.proc.stdout.readline())
        return result

    async def stop(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            self.proc.stdin.close()
            await self.proc.wait()


# -- peak RSS (Linux) ---------------------------------------------------------------------------


def _status_bytes(name: str) -> int | None:
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
    return _status_bytes("VmRSS")


def _growth(before: int | None) -> int | None:
    peak = _status_bytes("VmHWM")
    return None if before is None or peak is None else peak - before


# -- the measured runs (each in a child process) ------------------------------------------------


async def bare_send(port: int, mails: Sequence[Mail]) -> int:
    """A: one aiosmtplib client, `sendmail()` per mail, QUIT. Returns the mails accepted."""
    client = aiosmtplib.SMTP(hostname=HOST, port=port, timeout=TIMEOUT, start_tls=False)
    await client.connect()
    sent = 0
    for mail in mails:
        refused, _ = await client.sendmail(SECRETARIAT, mail.recipients, mail.data)
        sent += not refused
    await client.quit()
    return sent


def load_mails(path: Path) -> list[Mail]:
    with path.open("rb") as f:
        mails: list[Mail] = pickle.load(f)
    return mails


async def measure(
    kind: str,
    port: int,
    mails: Sequence[Mail],
    around: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> dict[str, Any]:
    """One timed run of A or B in this process, as a JSON-able dict; `around` wraps B's drain."""
    if kind == "a":
        rss = reset_peak_rss()
        started = time.perf_counter()
        sent = await bare_send(port, mails)
        return {"sent": sent, "seconds": time.perf_counter() - started, "rss": _growth(rss)}
    tmp = Path(tempfile.mkdtemp(prefix="reflector-bench-"))
    try:
        db = Database(f"sqlite+aiosqlite:///{tmp / 'reflector.db'}")
        await db.migrate()
        now = datetime.now(UTC)
        queued = [
            OutgoingMail(f"bench:{m.message_id}", "notify", m.message_id, SECRETARIAT,
                         m.recipients, m.data)
            for m in mails
        ]  # fmt: skip
        started = time.perf_counter()
        async with db.write() as session:
            await enqueue(session, queued, now)
        enqueue_seconds = time.perf_counter() - started
        sender = OutboxSender(db, smtp_settings(port), OUTBOX_SETTINGS, SystemClock())
        rss = reset_peak_rss()
        started = time.perf_counter()
        with around():
            report = await sender.drain_once()
            await sender.sender.close()
        seconds = time.perf_counter() - started
        await db.close()
        return {
            "sent": report.sent,
            "seconds": seconds,
            "rss": _growth(rss),
            "enqueue_seconds": enqueue_seconds,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def run_child(kind: str, port: int, mails_file: Path) -> dict[str, Any]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--child", kind, str(port), str(mails_file),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise BenchError(f"{kind.upper()} run: child exited {child.returncode}")
    result: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
    return result


class BenchError(RuntimeError):
    """A run failed or the sink did not get every mail exactly once: its numbers mean nothing."""


async def one_rep(sink: SinkProcess, n: int, mails_file: Path) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    for kind in ("a", "b", "b", "a"):
        await sink.command("reset")
        result = await run_child(kind, sink.port, mails_file)
        stats = await sink.command("stats")
        if result["sent"] != n or stats["distinct"] != n or stats["max_copies"] != 1:
            raise BenchError(f"{kind.upper()} run: {result}, sink saw {stats}; expected {n} once")
        runs[kind].append(result | {"sink": stats})
    return runs


# -- profile (optional, in this process) --------------------------------------------------------


async def profile(sink: SinkProcess, mails: Sequence[Mail], top: int) -> None:
    """Where B spends its time: pyinstrument if importable, else cProfile (main thread only)."""
    print("\n### Profile: B drain_once\n\n```")
    try:
        from pyinstrument import Profiler
    except ImportError:
        import cProfile
        import pstats

        profiler = cProfile.Profile()

        @contextlib.contextmanager
        def cprofiled() -> Iterator[None]:
            profiler.enable()
            yield
            profiler.disable()

        await measure("b", sink.port, mails, cprofiled)
        stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
        stats.sort_stats("cumulative").print_stats(top)
    else:
        sampler = Profiler(async_mode="enabled")

        @contextlib.contextmanager
        def sampled() -> Iterator[None]:
            sampler.start()
            yield
            sampler.stop()

        await measure("b", sink.port, mails, sampled)
        print(sampler.output_text(unicode=False, color=False))
    print("```")


# -- the report ---------------------------------------------------------------------------------


def rate_cells(n: int, seconds: Sequence[float]) -> str:
    values = sorted(n / s for s in seconds)
    return f"{values[0]:.0f} | {statistics.median(values):.0f} | {values[-1]:.0f}"


def ratio_cell(per_rep: Sequence[float]) -> str:
    median = statistics.median(per_rep)
    return (
        f"**{median:.3f}** ({min(per_rep):.3f}–{max(per_rep):.3f}) "
        f"| {statistics.median(1 / r for r in per_rep):.2f}×"
    )


def mb_cell(values: Sequence[int | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{statistics.median(known) / 2**20:.1f}" if known else "n/a"


def report(n: int, mails: Sequence[Mail], reps: Sequence[dict[str, list[dict[str, Any]]]]) -> None:
    def mean(rep: dict[str, list[dict[str, Any]]], kind: str, key: str = "seconds") -> float:
        return statistics.mean(run[key] for run in rep[kind])

    a = [mean(rep, "a") for rep in reps]
    b = [mean(rep, "b") for rep in reps]
    e = [mean(rep, "b", "enqueue_seconds") for rep in reps]
    rss = {k: [run["rss"] for rep in reps for run in rep[k]] for k in ("a", "b")}
    recipients = sum(len(m.recipients) for m in mails)
    size = sum(len(m.data) for m in mails)
    print(
        f"\n{n} mails ({recipients} recipients, {size / 2**20:.1f} MiB), "
        f"{len(reps)} reps of A,B,B,A; sink: aiosmtpd "
        f"{importlib.metadata.version('aiosmtpd')} in its own process\n"
    )
    print("| run | mails/s min | mails/s median | mails/s max | ratio to A: median (min–max) "
          "| time vs A | peak RSS growth, MiB |")  # fmt: skip
    print("|---|---:|---:|---:|---|---:|---:|")
    print(f"| A bare aiosmtplib `sendmail` | {rate_cells(n, a)} | 1 | 1× | {mb_cell(rss['a'])} |")
    ratios = [ai / bi for ai, bi in zip(a, b, strict=True)]
    print(
        f"| B outbox `drain_once` (SQLite) | {rate_cells(n, b)} | {ratio_cell(ratios)} "
        f"| {mb_cell(rss['b'])} |"
    )
    print(f"| (`enqueue`, one transaction) | {rate_cells(n, e)} | | | |")
    print(
        f"\nPython {platform.python_version()}, aiosmtplib "
        f"{importlib.metadata.version('aiosmtplib')}, SQLAlchemy "
        f"{importlib.metadata.version('sqlalchemy')}, aiosqlite "
        f"{importlib.metadata.version('aiosqlite')}, SQLite {sqlite3.sqlite_version}; "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Sending benchmark: reflector's outbox vs bare aiosmtplib.",
        epilog="See the module docstring for how to read the ratio.",
    )
    parser.add_argument("--mails", type=int, default=2000, metavar="N", help="default 2000")
    parser.add_argument("--reps", type=int, default=3, metavar="R", help="default 3")
    parser.add_argument("--profile", action="store_true", help="also profile one B")
    parser.add_argument("--top", type=int, default=30, help="cProfile rows (default 30)")
    # Internal: the sink process, and one measured run printed as JSON (see run_child).
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "PORT", "MAILS_FILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.mails < 1 or args.reps < 1:
        parser.error("--mails and --reps must be at least 1")
    return args


async def main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    mails = build_mails(args.mails)
    tmp = Path(tempfile.mkdtemp(prefix="reflector-bench-"))
    mails_file = tmp / "mails.pickle"
    with mails_file.open("wb") as f:
        pickle.dump(mails, f)
    sink = await SinkProcess().start()
    try:
        reps = []
        for i in range(args.reps):
            reps.append(await one_rep(sink, args.mails, mails_file))
            times = {k: " ".join(f"{r['seconds']:.2f}" for r in v) for k, v in reps[-1].items()}
            print(f"rep {i + 1}/{args.reps}: A {times['a']} s, B {times['b']} s", file=sys.stderr)
        report(args.mails, mails, reps)
        print(f"Whole benchmark: {time.perf_counter() - started:.0f} s.")
        if args.profile:
            with contextlib.suppress(BenchError):
                await profile(sink, mails, args.top)
    except BenchError as error:
        print(f"bench/send.py: {error}", file=sys.stderr)
        return 1
    finally:
        await sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.sink:
        asyncio.run(serve_sink())
        sys.exit(0)
    if arguments.child:
        kind, port, path = arguments.child
        print(json.dumps(asyncio.run(measure(kind, int(port), load_mails(Path(path))))))
        sys.exit(0)
    sys.exit(asyncio.run(main(arguments)))
