"""`reflector meetings|digest|report|liaisons` through the command line, as a secretary would."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from reflector.cli import app
from reflector.demo import PASSWORD_ENV, config_text
from reflector.dev import free_port
from reflector.store.db import Database
from reflector.store.models import Liaison, MeetingRow, Person, Registration

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        config_text(imap_port=free_port(), smtp_port=free_port(), lmtp_port=free_port())
    )

    async def seed() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'reflector.db'}")
        await db.migrate()
        async with db.write() as session:
            maria = Person(
                email="maria@qtech.example",
                name="Maria Rossi",
                organisation="QTech",
                created_at=WHEN,
                updated_at=WHEN,
            )
            session.add(maria)
            await session.flush()
            assert maria.id is not None
            session.add(
                Registration(
                    meeting="6", person_id=maria.id, mode="remote", created_at=WHEN, updated_at=WHEN
                )
            )
            session.add(
                Liaison(
                    number="JCA-QKDN-LS-001",
                    seq=1,
                    source_body="ETSI",
                    group_name="ISG-QKD",
                    title="QKD LS",
                    for_="action",
                    deadline=date(2027, 1, 5),
                    received_at=WHEN,
                )
            )
        await db.close()

    asyncio.run(seed())
    return config


def reflector(config: Path, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner(env={PASSWORD_ENV: "secret"}).invoke(app, [*args, "--config", str(config)])


def rows(config: Path, model: type) -> list:
    async def read() -> list:
        db = Database(f"sqlite+aiosqlite:///{config.parent / 'reflector.db'}")
        try:
            async with db.read() as session:
                return list((await session.scalars(select(model))).all())
        finally:
            await db.close()

    return asyncio.run(read())


def test_meetings_add_list_and_edit(site: Path) -> None:
    added = reflector(
        site,
        "meetings",
        "add",
        "--id",
        "8",
        "--place",
        "Geneva",
        "--start",
        "2027-09-15T09:30",
        "--end",
        "2027-09-16T17:30",
        "--input-deadline",
        "2027-09-01",
        "--timezone",
        "Europe/Zurich",
    )
    assert added.exit_code == 0, added.output
    assert "Geneva; 2027-09-15 09:30 to 2027-09-16 17:30 Europe/Zurich" in added.stdout
    assert "input deadline 2027-09-01 23:59" in added.stdout

    listed = json.loads(reflector(site, "meetings", "list", "--json").stdout)
    assert [m["id"] for m in listed] == ["6", "8"]

    edited = reflector(site, "meetings", "edit", "8", "--place", "Online", "--no-in-person")
    assert edited.exit_code == 0, edited.output
    (row,) = [r for r in rows(site, MeetingRow) if r.meeting_id == "8"]
    assert (row.place, row.in_person, row.sequence, row.source) == ("Online", False, 1, "command")
    assert row.start == datetime(2027, 9, 15, 7, 30, tzinfo=UTC)  # 09:30 CEST


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["meetings", "edit", "9", "--place", "x"], 3, "no meeting '9'"),
        (
            [
                "meetings",
                "add",
                "--id",
                "6",
                "--place",
                "x",
                "--start",
                "2027-09-15T09:30",
                "--end",
                "2027-09-15T17:30",
            ],
            2,
            "meeting '6' exists already",
        ),
        (
            [
                "meetings",
                "add",
                "--id",
                "9",
                "--place",
                "x",
                "--start",
                "2027-09-15T09:30",
                "--end",
                "2027-09-14T17:30",
            ],
            2,
            "end = 2027-09-14T17:30:00: expected a time after the start",
        ),
        (
            ["meetings", "add", "--id", "9", "--place", "x", "--start", "soon", "--end", "later"],
            2,
            "--start = 'soon'",
        ),
        (["liaisons", "answered", "JCA-QKDN-LS-999"], 3, "no liaison statement 'JCA-QKDN-LS-999'"),
        (["report", "42"], 3, "no meeting '42'"),
    ],
    ids=[
        "edit-unknown",
        "add-existing",
        "end-before-start",
        "bad-time",
        "unknown-ls",
        "unknown-report",
    ],
)
def test_mistakes_get_a_clear_answer(site: Path, args: list[str], code: int, message: str) -> None:
    result = reflector(site, *args)
    assert result.exit_code == code, result.output
    assert message in result.output


def test_digest_preview_prints_without_sending(site: Path) -> None:
    result = reflector(site, "digest", "--preview", "--at", "2026-12-20T08:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Subject: [JCA-QKDN] Daily digest 2026-12-20: nothing new\n")
    assert "Covering Saturday 19 December 2026, 08:00 CET to Sunday 20 December" in result.stdout
    assert "COMING UP\n  Friday 08 January 2027, 23:59 CET  JCA-QKDN meeting 6: input deadline" in (
        result.stdout
    )
    assert rows(site.parent / "config.toml", MeetingRow)  # it read the calendar, sent nothing


def test_report_as_markdown_and_html(site: Path) -> None:
    md = reflector(site, "report", "6")
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("# Report of the JCA-QKDN meeting 6")
    assert "| QTech | Maria Rossi | 0 | 1 |" in md.stdout
    assert "| JCA-QKDN-LS-001 | ETSI ISG-QKD | QKD LS | action | 5 January 2027 | open" in md.stdout
    html = reflector(site, "report", "6", "--format", "html")
    assert "<td>QTech</td><td>Maria Rossi</td>" in html.stdout


def test_a_liaison_marked_answered_stops_being_overdue(site: Path) -> None:
    result = reflector(site, "liaisons", "answered", "JCA-QKDN-LS-001")
    assert result.exit_code == 0, result.output
    assert [r.status for r in rows(site, Liaison)] == ["answered"]
