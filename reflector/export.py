"""The published document register of one meeting: `reflector export --meeting 6 DIR`.

    DIR/index.html                   one static page: no JavaScript, inline CSS, every title
                                     escaped (titles come from e-mail and may be hostile)
    DIR/documents.csv                one row per document version, files with their sha256
    DIR/files/<number>/<filename>    the files themselves, so the page's links work

    report = await export_register(db, settings, "6", Path("site"))
    print("\\n".join(report.lines()))
    # wrote site/index.html (2 documents, 1 liaison statement)
    # wrote site/documents.csv
    # wrote site/files/JCA-QKDN-6-I-001/key-management.pdf (10 B)

Running it again overwrites every file in place (each written atomically, so a web server never
serves half a file); files of records that no longer exist are left alone. The page shows the
liaison statements of the meeting's period (`reflector.store.records.liaison_period`).

File names were sanitised by the parser; they are made safe again here, because a name is
about to become a path:

>>> safe_name("../../etc/passwd"), safe_name(".htaccess"), safe_name(".."), safe_name("a\\\\b.pdf")
('passwd', 'htaccess', 'file', 'b.pdf')
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2

from reflector.config import Meeting, Settings
from reflector.errors import ReflectorError
from reflector.store.db import Database
from reflector.store.records import (
    DocumentEntry,
    FileEntry,
    LiaisonEntry,
    fetch_documents,
    fetch_liaisons,
    liaison_period,
    read_file_data,
)
from reflector.store.recordtables import human_size

TEMPLATE = "export_register.html.j2"
CSV_COLUMNS = ("number", "revision", "title", "source", "received", "late", "files")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:]")
# Cells a spreadsheet would run as a formula (OWASP "CSV injection"): prefixed with '.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ReflectorError):
    """The register could not be written (unknown meeting, unwritable directory)."""


@dataclass
class ExportReport:
    """What `export_register` wrote."""

    directory: Path
    documents: int = 0
    liaisons: int = 0
    files: list[tuple[Path, int]] = field(default_factory=list)  # (path, size)

    def lines(self) -> list[str]:
        """One line per file written, for the command's output."""
        what = f"{self.documents} document{'s' * (self.documents != 1)}"
        what += f", {self.liaisons} liaison statement{'s' * (self.liaisons != 1)}"
        lines = [
            f"wrote {self.directory / 'index.html'} ({what})",
            f"wrote {self.directory / 'documents.csv'}",
        ]
        lines += [f"wrote {path} ({human_size(size)})" for path, size in self.files]
        return lines


def safe_name(name: str, fallback: str = "file") -> str:
    """One path component that stays where it is put: no separators, no leading dots."""
    last = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _UNSAFE.sub("_", last).strip().lstrip(".").strip()
    return cleaned[:200] or fallback


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, dot + suffix) if stem else (name, "")
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    taken.add(candidate.casefold())
    return candidate


def _write(path: Path, data: bytes, root: Path) -> None:
    """Write atomically, refusing any path that would land outside `root`."""
    if not path.resolve().is_relative_to(root.resolve()):
        raise ExportError(f"{path}: outside {root}, not written")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)  # published: mkstemp's 0600 would hide it from the web server
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Where the stored files of one record go: (file, folder under files/, file name).
Placed = list[tuple[FileEntry, str, str]]


def place_files(number: str, files: Sequence[FileEntry]) -> Placed:
    """Each file's folder (the record's number) and a safe name, unique within the folder."""
    folder = safe_name(number, "record")
    taken: set[str] = set()
    return [(f, folder, _unique(safe_name(f.filename), taken)) for f in files]


def _links(placed: Placed) -> list[dict[str, str]]:
    return [
        {"name": name, "href": f"files/{quote(folder)}/{quote(name)}", "size": human_size(f.size)}
        for f, folder, name in placed
    ]


def _day(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d")


def _moment(when: datetime, zone: ZoneInfo) -> str:
    local = when.astimezone(zone)
    return f"{local.day} {local:%B %Y %H:%M %Z}"


def meeting_dates(meeting: Meeting) -> str:
    """The meeting's dates in its own zone, as a page would print them."""
    start, end = meeting.start.astimezone(meeting.zone), meeting.end.astimezone(meeting.zone)
    if start.date() == end.date():
        return f"{start.day} {start:%B %Y, %H:%M}–{end:%H:%M %Z}"
    return f"{_moment(meeting.start, meeting.zone)} – {_moment(meeting.end, meeting.zone)}"


def _spreadsheet_safe(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(_FORMULA) else text


def documents_csv(documents: Sequence[tuple[DocumentEntry, Placed]], zone: ZoneInfo) -> str:
    """documents.csv: one row per document version, its files as `name sha256:<hex>; ...`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry, placed in documents:
        d = entry.document
        files = "; ".join(f"{name} sha256:{f.sha256}" for f, _, name in placed)
        writer.writerow(
            [
                entry.number,
                d.revision,
                _spreadsheet_safe(d.title),
                _spreadsheet_safe(d.source),
                _day(d.received_at, zone),
                "yes" if d.late else "no",
                _spreadsheet_safe(files),
            ]
        )
    return out.getvalue()


def render_page(
    settings: Settings,
    meeting: Meeting,
    documents: Sequence[tuple[DocumentEntry, Placed]],
    liaisons: Sequence[tuple[LiaisonEntry, Placed]],
) -> str:
    """index.html, from the template kept in the package (not the site's mail templates)."""
    zone = meeting.zone
    received = [e.document.received_at for e, _ in documents]
    received += [e.liaison.received_at for e, _ in liaisons]
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    template = env.from_string(resources.files("reflector").joinpath(TEMPLATE).read_text("utf-8"))
    return template.render(
        group=settings.group,
        meeting=meeting,
        dates=meeting_dates(meeting),
        input_deadline=_moment(meeting.input_deadline, zone) if meeting.input_deadline else None,
        updated=_moment(max(received), zone) if received else None,
        documents=[
            {
                "number": e.number,
                "title": e.document.title or "",
                "source": e.document.source or "",
                "received": _day(e.document.received_at, zone),
                "late": e.document.late,
                "files": _links(placed),
            }
            for e, placed in documents
        ],
        liaisons=[
            {
                "number": e.liaison.number,
                "source": " ".join(p for p in (e.liaison.source_body, e.liaison.group_name) if p),
                "title": e.liaison.title or "",
                "for_": e.liaison.for_ or "",
                "deadline": e.liaison.deadline.isoformat() if e.liaison.deadline else "",
                "status": e.liaison.status,
                "received": _day(e.liaison.received_at, zone),
                "files": _links(placed),
            }
            for e, placed in liaisons
        ],
    )


async def export_register(
    db: Database, settings: Settings, meeting_id: str, directory: Path
) -> ExportReport:
    """Write the meeting's register into `directory` (created if missing); see the module doc."""
    meeting = settings.meeting(meeting_id)
    if meeting is None:
        known = ", ".join(m.id for m in settings.meetings)
        raise ExportError(f"meeting {meeting_id!r}: expected one of {known} ({settings.file})")
    after, until = liaison_period(settings, meeting_id)
    documents = [
        (e, place_files(e.number, e.files)) for e in await fetch_documents(db, meeting=meeting_id)
    ]
    liaisons = [
        (e, place_files(e.liaison.number, e.files))
        for e in await fetch_liaisons(db, after=after, until=until)
    ]
    report = ExportReport(directory, documents=len(documents), liaisons=len(liaisons))
    files_root = directory / "files"
    page = render_page(settings, meeting, documents, liaisons).encode("utf-8")
    # With a byte order mark: spreadsheet programs then read the file as UTF-8.
    table = documents_csv(documents, meeting.zone).encode("utf-8-sig")
    try:
        for _, placed in [*documents, *liaisons]:
            for f, folder, name in placed:
                path = files_root / folder / name
                data = await read_file_data(db, f.id)
                await asyncio.to_thread(_write, path, data, files_root)
                report.files.append((path, f.size))
        await asyncio.to_thread(_write, directory / "index.html", page, directory)
        await asyncio.to_thread(_write, directory / "documents.csv", table, directory)
    except OSError as error:
        raise ExportError(f"{error.filename or directory}: {error.strerror or error}") from error
    return report
