"""Classification throughput: parse + screen + classify against a bare parse by the email package.

    .venv/bin/python bench/classify.py                 # both corpora, 5 repetitions
    .venv/bin/python bench/classify.py --reps 9 --corpus labelled

For each corpus, each repetition times over the same messages, in this order:
    A  email.message_from_bytes(raw, policy=email.policy.default)       (the baseline)
    P  reflector.mail.parse.parse(raw)
    S  parse + screen
    C  parse + screen + classify                                         (what intake does)
then again in reverse order (C, S, P, A), so that neither end of the run is favoured. The ratio
for a row is A's time / the row's time within the same repetition (1 = as fast as the bare
parse, 0.5 = twice as long); the table gives its median and spread over the repetitions.
Messages are read into memory first; nothing is written. Exits 0 whatever the speed; 1 only
when a corpus is missing or a stage raises.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from reflector.classify import classify
from reflector.config import load_settings
from reflector.errors import ParseError
from reflector.evaluate import site_policy
from reflector.mail.parse import parse
from reflector.mail.screen import screen

REPO = Path(__file__).resolve().parents[1]
CORPORA = {
    "realworld": REPO.parent / "shared" / "corpus" / "realworld",
    "labelled": REPO.parent / "shared" / "corpus" / "labelled",
}
# Files that are not one message each (mbox files, the corpus' own notes).
NOT_MESSAGES = (".md", ".tsv", ".csv", ".mbox", ".rlug")


def messages(root: Path) -> list[bytes]:
    files = sorted(p for p in root.rglob("*") if p.is_file())
    return [
        p.read_bytes()
        for p in files
        if not p.name.endswith(NOT_MESSAGES) and ".mbox." not in p.name
    ]


def stages(raws: Sequence[bytes]) -> dict[str, Callable[[], int]]:
    policy = site_policy(load_settings(REPO / "config.toml", require_secrets=False))

    def bare() -> int:
        for raw in raws:
            email.message_from_bytes(raw, policy=email.policy.default)
        return len(raws)

    def ours(depth: int) -> Callable[[], int]:
        def run() -> int:
            done = 0
            for raw in raws:
                try:
                    message = parse(raw, max_bytes=policy.max_message_bytes)
                except ParseError:
                    continue
                done += 1
                if depth >= 1:
                    screening = screen(message, policy.screen)
                    if depth >= 2:
                        classify(message, screening, policy.site)
            return done

        return run

    return {"A": bare, "P": ours(0), "S": ours(1), "C": ours(2)}


NAMES = {
    "A": "A bare `email.message_from_bytes`",
    "P": "P `parse`",
    "S": "S `parse` + `screen`",
    "C": "C `parse` + `screen` + `classify`",
}


def measure(runs: dict[str, Callable[[], int]], reps: int) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {k: [] for k in runs}
    for run in runs.values():  # warm up: imports, compiled patterns, the model file
        run()
    for _ in range(reps):
        once: dict[str, list[float]] = {k: [] for k in runs}
        for key in [*runs, *reversed(runs)]:
            started = time.perf_counter()
            runs[key]()
            once[key].append(time.perf_counter() - started)
        for key, times in once.items():
            seconds[key].append(statistics.mean(times))
    return seconds


def report(name: str, n: int, size: int, seconds: dict[str, list[float]]) -> None:
    print(f"\n**{name}**: {n} messages, {size / 2**20:.1f} MiB\n")
    print("| run | msg/s min | msg/s median | msg/s max | ratio to A: median (min–max) |")
    print("|---|---:|---:|---:|---|")
    a = seconds["A"]
    for key, times in seconds.items():
        rates = sorted(n / t for t in times)
        ratios = [ai / ti for ai, ti in zip(a, times, strict=True)]
        ratio = (
            "1"
            if key == "A"
            else f"**{statistics.median(ratios):.2f}** ({min(ratios):.2f}–{max(ratios):.2f})"
        )
        print(
            f"| {NAMES[key]} | {rates[0]:.0f} | {statistics.median(rates):.0f} | "
            f"{rates[-1]:.0f} | {ratio} |"
        )
    per_message = statistics.median(c - s for c, s in zip(seconds["C"], seconds["S"], strict=True))
    print(f"\n`classify` alone: {per_message / n * 1e6:.0f} µs per message (median of C − S).")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Classification throughput against a bare parse.")
    parser.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--corpus", choices=[*CORPORA, "both"], default="both")
    args = parser.parse_args(argv)
    chosen = list(CORPORA) if args.corpus == "both" else [args.corpus]
    loaded = {}
    for name in chosen:
        if not CORPORA[name].is_dir():
            print(f"bench/classify.py: {CORPORA[name]} not found", file=sys.stderr)
            return 1
        loaded[name] = messages(CORPORA[name])
    if len(loaded) > 1:
        loaded["both"] = [raw for raws in list(loaded.values()) for raw in raws]
    started = time.perf_counter()
    for name, raws in loaded.items():
        report(name, len(raws), sum(map(len, raws)), measure(stages(raws), args.reps))
    print(
        f"\n{args.reps} repetitions of A,P,S,C,C,S,P,A; Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}; {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
