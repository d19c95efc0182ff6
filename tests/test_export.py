"""`reflector export`: the register a secretariat publishes, with hostile titles and file names."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reflector.cli import app
from reflector.demo import PASSWORD_ENV, config_text
from reflector.dev import free_port
from reflector.export import ExportError, export_register, safe_name
from reflector.store.db import Database
from reflector.store.models import Document, DocumentFile, Liaison

from factories import make_settings

HOSTILE = 'Key management <script>alert("x")</script> & "quotes"'
RECEIVED = datetime(2027, 1, 5, 23, 30, tzinfo=UTC)  # already 6 January in Zurich


def stored_file(data: bytes, filename: str, **owner: int | None) -> DocumentFile:
    return DocumentFile(
        filename=filename,
        content_type="application/octet-stream",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        **owner,
    )


async def seed(db: Database, files: list[tuple[str, bytes]] | None = None) -> None:
    """Meeting 6: a document with a hostile title and its revision; one liaison statement."""
    async with db.write() as session:
        first = Document(
            meeting="6", number="JCA-QKDN-6-I-001", seq=1, title=HOSTILE,
            source="=HYPERLINK(\"http://evil.example\")", received_at=RECEIVED,
        )  # fmt: skip
        revised = Document(
            meeting="6", number="JCA-QKDN-6-I-001", seq=1, revision=1, title="Key management",
            source="Orange Quantum", late=True, received_at=RECEIVED.replace(day=10),
        )  # fmt: skip
        other_meeting = Document(
            meeting="5", number="JCA-QKDN-5-I-001", seq=1, received_at=RECEIVED
        )
        liaison = Liaison(
            number="JCA-QKDN-LS-001", seq=1, source_body="ITU-T SG17", group_name="Q15",
            title="QKD security <b>now</b>", for_="action", received_at=RECEIVED,
        )  # fmt: skip
        session.add_all([first, revised, other_meeting, liaison])
        await session.flush()
        for name, data in files or [("key-management.pdf", b"%PDF first")]:
            session.add(stored_file(data, name, document_id=first.id))
        session.add(stored_file(b"%PDF revised", "key-management.pdf", document_id=revised.id))
        session.add(stored_file(b"LS text", "LS-001.docx", liaison_id=liaison.id))


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"))))


async def test_export_writes_page_csv_and_files(db: Database, tmp_path: Path) -> None:
    await seed(db)
    out = tmp_path / "site"
    report = await export_register(db, make_settings(tmp_path), "6", out)

    rows = read_csv(out / "documents.csv")
    assert [(r["number"], r["revision"], r["late"]) for r in rows] == [
        ("JCA-QKDN-6-I-001", "0", "no"),
        ("JCA-QKDN-6-I-001R1", "1", "yes"),
    ]
    assert rows[0]["title"] == HOSTILE
    assert rows[0]["source"].startswith("'=HYPERLINK")  # not run as a spreadsheet formula
    assert rows[0]["received"] == "2027-01-06"  # the date in the meeting's zone
    sha = hashlib.sha256(b"%PDF first").hexdigest()
    assert rows[0]["files"] == f"key-management.pdf sha256:{sha}"

    files = out / "files"
    assert (files / "JCA-QKDN-6-I-001" / "key-management.pdf").read_bytes() == b"%PDF first"
    assert (files / "JCA-QKDN-6-I-001R1" / "key-management.pdf").read_bytes() == b"%PDF revised"
    assert (files / "JCA-QKDN-LS-001" / "LS-001.docx").read_bytes() == b"LS text"
    assert not (files / "JCA-QKDN-5-I-001").exists()

    page = (out / "index.html").read_text("utf-8")
    assert "<script>" not in page and "<b>now</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in page
    assert "Joint Coordination Activity on Quantum Key Distribution Networks" in page
    assert "6th meeting of JCA-QKDN" in page and "20 January 2027, 14:00–17:00 CET" in page
    assert 'href="files/JCA-QKDN-6-I-001R1/key-management.pdf"' in page
    assert 'href="files/JCA-QKDN-LS-001/LS-001.docx"' in page
    assert "<script" not in page.lower().replace("&lt;script", "")  # no JavaScript of our own

    assert report.lines()[:2] == [
        f"wrote {out / 'index.html'} (2 documents, 1 liaison statement)",
        f"wrote {out / 'documents.csv'}",
    ]
    assert f"wrote {files / 'JCA-QKDN-6-I-001' / 'key-management.pdf'} (10 B)" in report.lines()


async def test_file_names_cannot_leave_the_directory(sqlite_db: Database, tmp_path: Path) -> None:
    hostile = [
        ("../../etc/passwd", b"one"),
        ("..\\..\\evil.bat", b"two"),
        (".htaccess", b"three"),
        ("..", b"four"),
        ("passwd", b"five"),  # the same name as the first, once made safe
    ]
    await seed(sqlite_db, files=hostile)
    out = tmp_path / "deep" / "site"
    report = await export_register(sqlite_db, make_settings(tmp_path), "6", out)

    folder = out / "files" / "JCA-QKDN-6-I-001"
    assert (folder / "passwd").read_bytes() == b"one"
    assert (folder / "passwd-2").read_bytes() == b"five"
    written = [path.resolve() for path, _ in report.files]
    assert all(path.is_relative_to(out.resolve()) for path in written)
    # Everything new under tmp_path is inside the export directory.
    assert [f for f in files_under(tmp_path) if not f.startswith("reflector.db")] == [
        "deep/site/documents.csv",
        "deep/site/files/JCA-QKDN-6-I-001/evil.bat",
        "deep/site/files/JCA-QKDN-6-I-001/file",
        "deep/site/files/JCA-QKDN-6-I-001/htaccess",
        "deep/site/files/JCA-QKDN-6-I-001/passwd",
        "deep/site/files/JCA-QKDN-6-I-001/passwd-2",
        "deep/site/files/JCA-QKDN-6-I-001R1/key-management.pdf",
        "deep/site/files/JCA-QKDN-LS-001/LS-001.docx",
        "deep/site/index.html",
    ]


async def test_a_symlink_in_the_directory_cannot_lead_outside(
    sqlite_db: Database, tmp_path: Path
) -> None:
    await seed(sqlite_db)
    outside, out = tmp_path / "outside", tmp_path / "site"
    make_symlink(out / "files" / "JCA-QKDN-6-I-001", outside)
    with pytest.raises(ExportError, match="outside"):
        await export_register(sqlite_db, make_settings(tmp_path), "6", out)
    assert files_under(outside) == []


def make_symlink(link: Path, target: Path) -> None:
    target.mkdir()
    link.parent.mkdir(parents=True)
    link.symlink_to(target, target_is_directory=True)


def test_safe_name_keeps_ordinary_names() -> None:
    assert safe_name("JCA-QKDN contribution (v2).docx") == "JCA-QKDN contribution (v2).docx"
    assert safe_name("报告.pdf") == "报告.pdf"
    assert safe_name("a\x00b\nc.pdf") == "a_b_c.pdf"
    assert safe_name("C:report.pdf") == "C_report.pdf"
    assert safe_name("/", "fallback") == "fallback"


async def test_running_it_again_overwrites(sqlite_db: Database, tmp_path: Path) -> None:
    await seed(sqlite_db)
    out = tmp_path / "site"
    settings = make_settings(tmp_path)
    await export_register(sqlite_db, settings, "6", out)
    first = {name: (out / name).read_bytes() for name in files_under(out)}
    (out / "files" / "JCA-QKDN-6-I-001" / "key-management.pdf").write_bytes(b"tampered")
    (out / "index.html").write_text("old")

    await export_register(sqlite_db, settings, "6", out)
    again = {name: (out / name).read_bytes() for name in files_under(out)}
    assert again == first  # same bytes, no temporary files left behind


async def test_an_unknown_meeting_is_refused(sqlite_db: Database, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="'7': expected one of 6"):
        await export_register(sqlite_db, make_settings(tmp_path), "7", tmp_path / "site")
    assert not (tmp_path / "site").exists()


async def test_an_empty_meeting_still_gets_a_page(sqlite_db: Database, tmp_path: Path) -> None:
    await export_register(sqlite_db, make_settings(tmp_path), "6", tmp_path / "site")
    assert "No input documents yet." in (tmp_path / "site" / "index.html").read_text()
    assert read_csv(tmp_path / "site" / "documents.csv") == []


# -- through the command line


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The demo's config.toml (meeting 6) with a SQLite database holding the seeded records."""
    (tmp_path / "config.toml").write_text(
        config_text(imap_port=free_port(), smtp_port=free_port(), lmtp_port=free_port())
    )

    async def create() -> None:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'reflector.db'}")
        await database.migrate()
        await seed(database)
        await database.close()

    asyncio.run(create())
    return tmp_path


def test_export_command_prints_what_it_wrote(site: Path) -> None:
    config = str(site / "config.toml")
    runner = CliRunner(env={PASSWORD_ENV: "secret"})

    done = runner.invoke(app, ["export", "--meeting", "6", "-c", config, str(site / "out")])
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0].endswith("index.html (2 documents, 1 liaison statement)")
    assert "key-management.pdf (10 B)" in done.stdout
    assert len(read_csv(site / "out" / "documents.csv")) == 2

    unknown = runner.invoke(app, ["export", "--meeting", "7", "-c", config, str(site / "x")])
    assert unknown.exit_code == 2
    assert "--meeting '7': expected one of the meetings in" in unknown.stderr
    assert "config.toml: 6" in unknown.stderr
    assert not (site / "x").exists()

    missing = runner.invoke(app, ["export", "-c", config, str(site / "x")])
    assert missing.exit_code == 2 and "--meeting" in missing.stderr
