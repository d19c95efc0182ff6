"""The `reflector` command as a user runs it: a real subprocess, real files, real servers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import mailbox
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reflector.demo import PASSWORD_ENV, config_text
from reflector.dev import free_port, start_pymap

from corpus import corpus_dir
from factories import make_message
from support.dovecot import Dovecot
from support.imapclient import append_messages, flags_by_uid

REFLECTOR = [sys.executable, "-m", "reflector"]


def reflector(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300):  # type: ignore[no-untyped-def]
    return subprocess.run(
        [*REFLECTOR, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, PASSWORD_ENV: "secret", **(env or {})},
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory with a config.toml (IMAP on an unused port: these commands do not connect)."""
    (tmp_path / "config.toml").write_text(
        config_text(imap_port=free_port(), smtp_port=free_port(), lmtp_port=free_port())
    )
    return tmp_path


def test_import_of_the_whole_realworld_corpus_accounts_for_every_file(site: Path) -> None:
    realworld = corpus_dir("realworld")
    sources = sorted(p for p in realworld.iterdir() if p.is_dir())
    files = sum(1 for d in sources for p in d.rglob("*") if p.is_file())
    assert files == 510

    first = reflector("import", *map(str, sources), "--json", cwd=site)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    summary = json.loads(first.stdout)
    assert summary["files"] == files
    assert summary["received"] + summary["duplicates"] == summary["messages"]
    assert summary["messages"] > files  # the mbox files hold several messages each
    handled = sum(summary[s] for s in ("processed", "quarantined", "ignored", "held"))
    assert handled == summary["received"]

    again = reflector("import", *map(str, sources), "--json", cwd=site)
    assert again.returncode == 0, again.stderr
    second = json.loads(again.stdout)
    assert second["received"] == 0
    assert second["duplicates"] == summary["messages"]


def test_import_reads_eml_mbox_and_maildir(site: Path, tmp_path: Path) -> None:
    single = tmp_path / "one.eml"
    single.write_bytes(make_message("Registration", message_id="<e1@x.example>"))
    box = mailbox.mbox(tmp_path / "two.mbox")
    for n in (2, 3):
        box.add(make_message(f"Input {n}", message_id=f"<e{n}@x.example>"))
    box.close()
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(make_message("Maildir one", message_id="<e4@x.example>"))
    maildir.close()

    result = reflector(
        "import",
        str(single),
        str(tmp_path / "two.mbox"),
        str(tmp_path / "Maildir"),
        "--json",
        cwd=site,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["files"], summary["messages"], summary["received"]) == (3, 4, 4)

    listed = reflector("list", "messages", "--json", cwd=site)
    assert sorted(row["message_id"] for row in json.loads(listed.stdout)) == [
        "e1@x.example",
        "e2@x.example",
        "e3@x.example",
        "e4@x.example",
    ]


def test_list_show_and_status_filter(site: Path, tmp_path: Path) -> None:
    (tmp_path / "good.eml").write_bytes(make_message(message_id="<good@x.example>"))
    (tmp_path / "junk.eml").write_bytes(b"\x00\x01 not mail")
    assert (
        reflector(
            "import", str(tmp_path / "good.eml"), str(tmp_path / "junk.eml"), cwd=site
        ).returncode
        == 0
    )

    quarantined = reflector("list", "messages", "--status", "quarantined", "--csv", cwd=site)
    lines = quarantined.stdout.strip().splitlines()
    assert lines[0].startswith("id,received_at,status,kind")
    assert len(lines) == 2 and "cannot be read as an e-mail" in lines[1]

    table = reflector("list", "messages", cwd=site).stdout
    assert "Registration for meeting 6" in table and "quarantined" in table

    shown = reflector("show", "<good@x.example>", cwd=site)
    assert shown.returncode == 0
    assert "status:      processed" in shown.stdout
    assert "kind:        registration" in shown.stdout
    raw = reflector("show", "good@x.example", "--raw", cwd=site)
    assert "Message-ID: <good@x.example>" in raw.stdout

    missing = reflector("show", "<nope@x.example>", cwd=site)
    assert missing.returncode == 3 and "no message" in missing.stderr
    bad_status = reflector("list", "messages", "--status", "lost", cwd=site)
    assert bad_status.returncode == 2 and "expected one of" in bad_status.stderr


def test_classify_prints_one_json_object_per_file_without_a_database(
    site: Path, tmp_path: Path
) -> None:
    (tmp_path / "reg.eml").write_bytes(make_message())
    (tmp_path / "ooo.eml").write_bytes(
        make_message("Out of office", "Away.", headers={"Auto-Submitted": "auto-replied"})
    )
    result = reflector(
        "classify", str(tmp_path / "reg.eml"), str(tmp_path / "ooo.eml"), "--json", cwd=site
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [set(r) >= {"file", "kind", "confidence", "reasons", "fields"} for r in rows] == [
        True,
        True,
    ]
    assert [r["kind"] for r in rows] == ["registration", "auto-reply"]
    assert not (site / "reflector.db").exists()


def test_check_names_file_key_and_expectation(site: Path) -> None:
    ok = reflector("check", cwd=site)
    assert ok.returncode == 0 and "OK" in ok.stdout
    config = site / "config.toml"
    config.write_text(
        config.read_text().replace('timezone = "Europe/Zurich"', 'timezone = "Europe/Geneva"', 1)
    )
    bad = reflector("check", cwd=site)
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        'config.toml: [group].timezone = "Europe/Geneva": expected an IANA time zone such as '
        "Europe/Zurich"
    ]


def test_run_once_takes_in_the_mailbox_over_imap(site: Path) -> None:
    async def scenario() -> subprocess.CompletedProcess[str]:
        async with contextlib.AsyncExitStack() as stack:
            host, port = await start_pymap(stack)
            await append_messages(
                host,
                port,
                "bot",
                "secret",
                [make_message(), make_message("LS from ETSI", "For: action")],
            )
            config = site / "config.toml"
            config.write_text(
                config_text(imap_port=port, smtp_port=free_port(), lmtp_port=free_port())
            )
            proc = await asyncio.create_subprocess_exec(
                *REFLECTOR,
                "run",
                "--once",
                cwd=site,
                env={**os.environ, PASSWORD_ENV: "secret"},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            flags = await flags_by_uid(host, port, "bot", "secret")
            assert all("\\Seen" in f for f in flags.values()) and len(flags) == 2
            return subprocess.CompletedProcess([], proc.returncode or 0, out.decode(), err.decode())

    result = asyncio.run(scenario())
    assert result.returncode == 0, result.stderr
    assert "took in 2 new messages; handled 2 (2 processed)" in result.stdout


@pytest.mark.dovecot
@pytest.mark.slow
def test_sigkill_during_intake_loses_nothing_and_takes_nothing_twice(
    dovecot: Dovecot, dovecot_user: tuple[str, str], site: Path
) -> None:
    """A real `reflector run` killed with SIGKILL mid-intake, then restarted."""
    user, password = dovecot_user
    total = 1000
    raws = [
        make_message(f"Input {i}", f"Body {i}", message_id=f"<k{i}@x.example>")
        for i in range(total)
    ]
    asyncio.run(append_messages(dovecot.host, dovecot.port, user, password, raws))
    config = site / "config.toml"
    config.write_text(
        config_text(imap_port=dovecot.port, smtp_port=free_port(), lmtp_port=free_port()).replace(
            'username = "bot"', f'username = "{user}"'
        )
    )
    env = {**os.environ, PASSWORD_ENV: password}
    proc = subprocess.Popen(
        [*REFLECTOR, "run"], cwd=site, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_seen(dovecot, user)) < 100:
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    seen_at_kill = _seen(dovecot, user)
    assert 0 < len(seen_at_kill) < total, "the kill should land mid-intake"

    stored = _stored_ids(site)
    assert {f"k{uid - 1}@x.example" for uid in seen_at_kill} <= set(stored), (
        "a message was flagged \\Seen without being in the database"
    )

    again = reflector("run", "--once", cwd=site, env={PASSWORD_ENV: password})
    assert again.returncode == 0, again.stderr
    stored = _stored_ids(site)
    assert len(stored) == total and len(set(stored)) == total
    assert len(_seen(dovecot, user)) == total


def _seen(dovecot: Dovecot, user: str) -> list[int]:
    return dovecot.search(user, "SEEN")


def _stored_ids(site: Path) -> list[str]:
    listed = reflector("list", "messages", "--json", "--limit", "100000", cwd=site)
    assert listed.returncode == 0, listed.stderr
    return [row["message_id"] for row in json.loads(listed.stdout)]


def test_run_serves_imap_and_lmtp_and_stops_cleanly_on_sigterm(site: Path) -> None:
    """The long-running service: mail by IMAP (IDLE) and LMTP is processed; SIGTERM ends it."""

    async def scenario() -> tuple[int, list[dict[str, str]]]:
        async with contextlib.AsyncExitStack() as stack:
            host, port = await start_pymap(stack)
            lmtp_port = free_port()
            (site / "config.toml").write_text(
                config_text(imap_port=port, smtp_port=free_port(), lmtp_port=lmtp_port)
            )
            proc = await asyncio.create_subprocess_exec(
                *REFLECTOR,
                "run",
                cwd=site,
                env={**os.environ, PASSWORD_ENV: "secret"},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            try:
                await append_messages(
                    host, port, "bot", "secret", [make_message(message_id="<i1@x.example>")]
                )
                await _lmtp_send(
                    lmtp_port,
                    make_message("LS from IEEE", "For: information", message_id="<l1@x.example>"),
                )
                rows: list[dict[str, str]] = []
                for _ in range(100):
                    rows = await asyncio.to_thread(_rows, site)
                    if len(rows) == 2 and all(r["status"] != "received" for r in rows):
                        break
                    await asyncio.sleep(0.1)
            finally:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), 15)
            return proc.returncode or 0, rows

    code, rows = asyncio.run(scenario())
    assert code == 0
    assert sorted((r["message_id"], r["source"], r["status"]) for r in rows) == [
        ("i1@x.example", "imap", "processed"),
        ("l1@x.example", "lmtp", "processed"),
    ]


async def _lmtp_send(port: int, raw: bytes) -> None:
    import smtplib

    def send() -> None:
        for _ in range(50):  # the service may still be starting
            try:
                with smtplib.LMTP("127.0.0.1", port) as client:
                    client.sendmail("a@x.example", ["qkdn-secretariat@sdo-coord.example"], raw)
                    return
            except ConnectionRefusedError:
                time.sleep(0.1)
        raise AssertionError("the LMTP port never opened")

    await asyncio.to_thread(send)


def _rows(site: Path) -> list[dict[str, str]]:
    listed = reflector("list", "messages", "--json", cwd=site)
    return json.loads(listed.stdout) if listed.returncode == 0 else []
