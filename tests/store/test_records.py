"""The group's records as `reflector list` shows them, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import hashlib
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reflector.cli import app
from reflector.config import Settings
from reflector.demo import PASSWORD_ENV, config_text
from reflector.dev import free_port
from reflector.store.db import Database
from reflector.store.models import (
    Document,
    DocumentFile,
    Liaison,
    Message,
    Person,
    RawMessage,
    Registration,
)
from reflector.store.records import (
    DOCUMENT_COLUMNS,
    LIAISON_COLUMNS,
    REGISTRATION_COLUMNS,
    fetch_documents,
    liaison_period,
    list_documents,
    list_liaisons,
    list_registrations,
    read_file_data,
)
from reflector.store.recordtables import (
    flat_row,
    format_documents,
    format_liaisons,
    format_registrations,
)

from factories import make_settings

T0 = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)  # 10:00 in Zurich (CET)


def settings_with_two_meetings(tmp_path: Path) -> Settings:
    """Meeting 5 (Seoul, autumn 2026) before the factories' meeting 6 (online, January 2027)."""
    settings = make_settings(tmp_path)
    six = settings.meetings[0]
    five = dataclasses.replace(
        six,
        id="5",
        title="5th meeting of JCA-QKDN",
        place="Seoul, Republic of Korea",
        timezone="Asia/Seoul",
        start=datetime(2026, 10, 14, 0, 30, tzinfo=UTC),
        end=datetime(2026, 10, 14, 9, 0, tzinfo=UTC),
    )
    return dataclasses.replace(settings, meetings=(five, six))


def file_row(data: bytes, filename: str, **owner: int | None) -> DocumentFile:
    return DocumentFile(
        filename=filename,
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        **owner,
    )


async def seed(db: Database) -> None:
    """Three people, two meetings' records, two documents (one revised) and two liaisons."""
    async with db.write() as session:
        raw = RawMessage(sha256="0" * 64, size=1, data=b"x", stored_at=T0)
        session.add(raw)
        await session.flush()
        message = Message(raw_id=raw.id, message_id="reg1@qtech.example", source="import")
        message.received_at = T0
        session.add(message)
        maria = Person(email="maria.rossi@qtech.example", name="Maria Rossi", created_at=T0)
        kenji = Person(email="k.sato@nict-q.example", name="Kenji Sato", created_at=T0)
        aiko = Person(email="a.mori@nict-q.example", name="Aiko Mori", created_at=T0)
        for person in (maria, kenji, aiko):
            person.organisation = "NICT" if "nict" in person.email else "QTech Labs"
            person.updated_at = T0
        session.add_all([maria, kenji, aiko])
        await session.flush()

        def registration(person: Person, meeting: str, mode: str | None, **kw: object) -> None:
            row = Registration(meeting=meeting, person_id=person.id, mode=mode, **kw)
            row.created_at = row.updated_at = T0
            session.add(row)

        registration(maria, "6", "remote", message_pk=message.id)
        registration(kenji, "6", "in-person", late=True)
        registration(aiko, "6", "remote", status="cancelled")
        registration(maria, "5", "in-person")

        first = Document(
            meeting="6",
            number="JCA-QKDN-6-I-001",
            seq=1,
            title="Key management <script>alert(1)</script>",
            source="Orange Quantum",
            received_at=T0,
        )
        revised = Document(
            meeting="6", number="JCA-QKDN-6-I-001", seq=1, revision=1, title="Key management",
            source="Orange Quantum", late=True, received_at=T0.replace(day=10),
        )  # fmt: skip
        other = Document(meeting="5", number="JCA-QKDN-5-I-001", seq=1, received_at=T0)
        session.add_all([first, revised, other])
        early = Liaison(
            number="JCA-QKDN-LS-001", seq=1, source_body="ITU-T SG17", group_name="Q15",
            title="QKD security", for_="action", deadline=date(2026, 10, 1),
            received_at=datetime(2026, 9, 1, tzinfo=UTC),
        )  # fmt: skip
        late = Liaison(
            number="JCA-QKDN-LS-002", seq=2, source_body="ETSI ISG-QKD", title="Reply",
            for_="information", status="answered", received_at=T0,
        )  # fmt: skip
        session.add_all([early, late])
        await session.flush()
        session.add_all(
            [
                file_row(b"%PDF first", "key-management.pdf", document_id=first.id),
                file_row(b"%PDF revised" * 100, "key-management.pdf", document_id=revised.id),
                file_row(b"liaison", "LS-001.docx", liaison_id=early.id),
            ]
        )


async def test_registrations_show_person_mode_and_local_time(db: Database, tmp_path: Path) -> None:
    await seed(db)
    rows = await list_registrations(db, make_settings(tmp_path), meeting="6")

    assert [(r["name"], r["mode"], r["status"]) for r in rows] == [
        ("Maria Rossi", "remote", "registered"),
        ("Kenji Sato", "in-person", "registered"),
        ("Aiko Mori", "remote", "cancelled"),
    ]
    maria = rows[0]
    assert maria["email"] == "maria.rossi@qtech.example"
    assert maria["organisation"] == "QTech Labs"
    assert maria["registered_at"] == "2027-01-05T10:00:00+01:00"  # Zurich, not UTC
    assert maria["message_id"] == "reg1@qtech.example" and maria["message"] is not None
    assert rows[1]["late"] is True and rows[1]["message_id"] is None


async def test_registration_filters_and_the_meetings_own_zone(db: Database, tmp_path: Path) -> None:
    await seed(db)
    settings = settings_with_two_meetings(tmp_path)

    everyone = await list_registrations(db, settings)
    assert [r["meeting"] for r in everyone] == ["5", "6", "6", "6"]
    assert everyone[0]["registered_at"] == "2027-01-05T18:00:00+09:00"  # meeting 5 is in Seoul
    cancelled = await list_registrations(db, settings, status="cancelled")
    assert [r["name"] for r in cancelled] == ["Aiko Mori"]


async def test_registration_table_ends_with_totals(db: Database, tmp_path: Path) -> None:
    await seed(db)
    settings = settings_with_two_meetings(tmp_path)

    table = format_registrations(await list_registrations(db, settings, meeting="6"))
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["MEETING", "NAME", "EMAIL"]
    assert "2027-01-05 10:00 CET" in lines[1] and "#" in lines[1]
    assert lines[-1] == "2 registered: 1 in person, 1 remote; 1 cancelled; 1 late"

    both = format_registrations(await list_registrations(db, settings)).splitlines()
    assert both[-2:] == [
        "meeting 5: 1 registered: 1 in person",
        "meeting 6: 2 registered: 1 in person, 1 remote; 1 cancelled; 1 late",
    ]


async def test_documents_with_revisions_and_files(db: Database, tmp_path: Path) -> None:
    await seed(db)
    rows = await list_documents(db, make_settings(tmp_path), meeting="6")

    assert [(r["number"], r["revision"], r["late"]) for r in rows] == [
        ("JCA-QKDN-6-I-001", 0, False),
        ("JCA-QKDN-6-I-001R1", 1, True),
    ]
    assert rows[0]["files"] == [
        {
            "filename": "key-management.pdf",
            "size": 10,
            "sha256": hashlib.sha256(b"%PDF first").hexdigest(),
        }
    ]
    assert rows[1]["received_at"] == "2027-01-10T10:00:00+01:00"
    assert flat_row(rows[1])["files"] == "key-management.pdf (1.2 kB)"

    table = format_documents(rows).splitlines()
    assert table[0].split()[:2] == ["NUMBER", "MEETING"]
    assert "JCA-QKDN-6-I-001R1" in table[2] and "late" in table[2]
    assert table[-1] == "2 documents (1 revision); 1 late; 2 files, 1.2 kB"


async def test_file_bytes_are_read_one_file_at_a_time(db: Database) -> None:
    await seed(db)
    [first, _] = await fetch_documents(db, meeting="6")
    assert await read_file_data(db, first.files[0].id) == b"%PDF first"
    with pytest.raises(KeyError):
        await read_file_data(db, 999_999)


async def test_liaisons_of_a_meeting_are_those_since_the_previous_one(
    db: Database, tmp_path: Path
) -> None:
    await seed(db)
    settings = settings_with_two_meetings(tmp_path)
    assert liaison_period(settings, "5") == (None, settings.meetings[0].end)
    assert liaison_period(settings, "6") == (settings.meetings[0].end, settings.meetings[1].end)

    for_five = await list_liaisons(db, settings, meeting="5")
    for_six = await list_liaisons(db, settings, meeting="6")
    assert [r["number"] for r in for_five] == ["JCA-QKDN-LS-001"]
    assert [r["number"] for r in for_six] == ["JCA-QKDN-LS-002"]
    row = for_five[0]
    assert row["from"] == "ITU-T SG17 Q15"
    assert (row["for"], row["deadline"], row["status"]) == ("action", "2026-10-01", "open")
    assert row["received_at"] == "2026-09-01T09:00:00+09:00"
    assert row["files"][0]["filename"] == "LS-001.docx"

    open_ones = await list_liaisons(db, settings, status="open")
    assert [r["number"] for r in open_ones] == ["JCA-QKDN-LS-001"]
    everything = await list_liaisons(db, settings)
    assert everything[1]["received_at"] == "2027-01-05T10:00:00+01:00"  # the group's zone
    assert format_liaisons(everything).splitlines()[-1] == (
        "2 liaison statements: 1 open, 1 answered; 1 open for action"
    )


async def test_nothing_stored_lists_nothing(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    assert await list_registrations(sqlite_db, settings) == []
    assert await list_documents(sqlite_db, settings) == []
    assert await list_liaisons(sqlite_db, settings, meeting="6") == []


# -- through the command line (`reflector list ...`), on both databases


@pytest.fixture
def site(tmp_path: Path, db_url: str) -> tuple[Path, str]:
    """The demo's config.toml (meeting 6 only) and a database holding `seed`'s records."""
    (tmp_path / "config.toml").write_text(
        config_text(imap_port=free_port(), smtp_port=free_port(), lmtp_port=free_port())
    )

    async def create() -> None:
        database = Database(db_url)
        await database.migrate()
        await seed(database)
        await database.close()

    asyncio.run(create())
    return tmp_path / "config.toml", db_url


def reflector(site: tuple[Path, str], *args: str):  # type: ignore[no-untyped-def]
    config, url = site
    return CliRunner(env={PASSWORD_ENV: "secret"}).invoke(
        app, ["list", *args, "--config", str(config), "--db", url]
    )


def test_list_registrations_as_table_json_and_csv(site: tuple[Path, str]) -> None:
    table = reflector(site, "registrations", "--meeting", "6")
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert len(lines) == 1 + 3 + 1  # header, three registrations, totals
    assert lines[-1] == "2 registered: 1 in person, 1 remote; 1 cancelled; 1 late"

    as_json = json.loads(reflector(site, "registrations", "--json").stdout)
    assert [row["meeting"] for row in as_json] == ["5", "6", "6", "6"]
    assert all(tuple(row) == REGISTRATION_COLUMNS for row in as_json)

    as_csv = reflector(site, "registrations", "--status", "cancelled", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(as_csv)))
    assert tuple(rows[0]) == REGISTRATION_COLUMNS
    assert [(r["name"], r["status"]) for r in rows] == [("Aiko Mori", "cancelled")]


def test_list_documents_and_liaisons(site: tuple[Path, str]) -> None:
    documents = reflector(site, "documents", "--meeting", "6", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(documents)))
    assert tuple(rows[0]) == DOCUMENT_COLUMNS
    assert [r["number"] for r in rows] == ["JCA-QKDN-6-I-001", "JCA-QKDN-6-I-001R1"]
    assert rows[1]["files"] == "key-management.pdf (1.2 kB)"
    table = reflector(site, "documents").stdout.splitlines()
    assert table[-1] == "3 documents (1 revision); 1 late; 2 files, 1.2 kB"

    liaisons = json.loads(reflector(site, "liaisons", "--status", "open", "--json").stdout)
    assert [row["number"] for row in liaisons] == ["JCA-QKDN-LS-001"]
    assert tuple(liaisons[0]) == LIAISON_COLUMNS
    assert liaisons[0]["files"][0]["filename"] == "LS-001.docx"
    table = reflector(site, "liaisons").stdout.splitlines()
    assert table[0].split()[:3] == ["NUMBER", "FROM", "TITLE"]
    assert table[-1] == "2 liaison statements: 1 open, 1 answered; 1 open for action"


def test_list_refuses_unknown_meetings_and_statuses(site: tuple[Path, str]) -> None:
    for kind in ("registrations", "documents", "liaisons"):
        unknown = reflector(site, kind, "--meeting", "7")
        assert unknown.exit_code == 2, kind
        assert unknown.stderr.startswith("--meeting '7': expected one of the meetings in ")
        assert unknown.stderr.rstrip().endswith("config.toml: 6")
    bad = reflector(site, "liaisons", "--status", "closed")
    assert bad.exit_code == 2 and "expected one of open, answered" in bad.stderr
    bad = reflector(site, "registrations", "--status", "lost")
    assert bad.exit_code == 2 and "expected one of registered, cancelled" in bad.stderr


def test_list_of_nothing_says_so(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        config_text(imap_port=free_port(), smtp_port=free_port(), lmtp_port=free_port())
    )
    site = (tmp_path / "config.toml", f"sqlite:///{tmp_path / 'empty.db'}")
    assert reflector(site, "registrations").stdout == "no registrations\n"
    assert reflector(site, "liaisons", "--meeting", "6").stdout == "no liaison statements\n"
    header = reflector(site, "documents", "--csv").stdout.strip()
    assert header == ",".join(DOCUMENT_COLUMNS)
