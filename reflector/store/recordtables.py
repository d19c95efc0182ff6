"""Terminal tables and totals lines for `reflector list registrations|documents|liaisons`.

The rows come from `reflector.store.records` (`list_registrations` ...); each `format_*` prints
them as a fixed-width table (times in the meeting's zone, with its abbreviation) followed by a
totals line a secretary reads at a glance:

>>> print(registration_totals([
...     {"meeting": "6", "status": "registered", "mode": "in-person", "late": False},
...     {"meeting": "6", "status": "registered", "mode": "remote", "late": True},
...     {"meeting": "6", "status": "cancelled", "mode": "remote", "late": False},
... ])[0])
2 registered: 1 in person, 1 remote; 1 cancelled; 1 late
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from reflector.store.queries import format_header, format_line
from reflector.store.records import LIAISON_STATUSES

Row = dict[str, Any]


def human_size(size: int) -> str:
    """A byte count the way a person reads it.

    >>> human_size(512), human_size(12_345), human_size(3_400_000)
    ('512 B', '12.3 kB', '3.4 MB')
    """
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def describe_files(files: Sequence[Row]) -> str:
    """`a.docx (12.3 kB), b.pdf (1.0 MB)`: the files of a row, for tables and CSV."""
    return ", ".join(f"{f['filename']} ({human_size(f['size'])})" for f in files)


def flat_row(row: Row) -> Row:
    """The row with its files as one text cell (for CSV)."""
    return dict(row, files=describe_files(row["files"])) if "files" in row else row


def _short_time(iso: str, zone: str) -> str:
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def _table(rows: Sequence[Row], widths: dict[str, int], totals: list[str]) -> str:
    lines = [format_header(widths)]
    for row in rows:
        cells = dict(row)
        for key in ("received_at", "registered_at"):
            if key in row:
                cells[key] = _short_time(row[key], row["timezone"])
        if "files" in row:
            cells["files"] = describe_files(row["files"])
        if "message" in row:
            cells["message"] = f"#{row['message']}" if row["message"] else ""
        cells["late"] = "late" if row.get("late") else ""
        lines.append(format_line(cells, widths))
    return "\n".join([*lines, *totals])


def _counted(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def _by_meeting(rows: Sequence[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row["meeting"], []).append(row)
    return groups


def registration_totals(rows: Sequence[Row]) -> list[str]:
    """One line per meeting: `3 registered: 2 in person, 1 remote; 1 cancelled; 1 late`."""
    lines = []
    groups = _by_meeting(rows)
    for meeting, group in groups.items():
        registered = [r for r in group if r["status"] == "registered"]
        modes = [
            _counted(n, label, label)
            for label, mode in (
                ("in person", "in-person"),
                ("remote", "remote"),
                ("without mode", None),
            )
            if (n := sum(1 for r in registered if r["mode"] == mode))
        ]
        parts = [f"{len(registered)} registered" + (": " + ", ".join(modes) if modes else "")]
        if cancelled := len(group) - len(registered):
            parts.append(f"{cancelled} cancelled")
        if late := sum(1 for r in registered if r["late"]):
            parts.append(f"{late} late")
        prefix = f"meeting {meeting}: " if len(groups) > 1 else ""
        lines.append(prefix + "; ".join(parts))
    return lines


def document_totals(rows: Sequence[Row]) -> list[str]:
    """`5 documents (1 revision); 1 late; 7 files, 1.2 MB`."""
    revisions = sum(1 for r in rows if r["revision"])
    files = [f for r in rows for f in r["files"]]
    parts = [
        _counted(len(rows), "document")
        + (f" ({_counted(revisions, 'revision')})" * bool(revisions))
    ]
    if late := sum(1 for r in rows if r["late"]):
        parts.append(f"{late} late")
    parts.append(_counted(len(files), "file") + f", {human_size(sum(f['size'] for f in files))}")
    return ["; ".join(parts)]


def liaison_totals(rows: Sequence[Row]) -> list[str]:
    """`4 liaison statements: 3 open, 1 answered; 2 for action`."""
    counts = [
        f"{n} {status}"
        for status in LIAISON_STATUSES
        if (n := sum(r["status"] == status for r in rows))
    ]
    parts = [
        _counted(len(rows), "liaison statement") + (": " + ", ".join(counts) if counts else "")
    ]
    if action := sum(1 for r in rows if r["for"] == "action" and r["status"] == "open"):
        parts.append(f"{action} open for action")
    return ["; ".join(parts)]


def format_registrations(rows: Sequence[Row]) -> str:
    """A table of registrations with one totals line per meeting."""
    widths = {"meeting": 7, "name": 22, "email": 28, "organisation": 18, "mode": 9}
    widths |= {"status": 10, "late": 4, "registered_at": 21, "message": 7}
    return _table(rows, widths, registration_totals(rows))


def format_documents(rows: Sequence[Row]) -> str:
    """A table of documents (files with sizes) and a totals line."""
    widths = {"number": 20, "meeting": 7, "title": 36, "source": 18, "received_at": 21}
    widths |= {"late": 4, "files": 40}
    return _table(rows, widths, document_totals(rows))


def format_liaisons(rows: Sequence[Row]) -> str:
    """A table of liaison statements and a totals line."""
    widths = {"number": 16, "from": 20, "title": 36, "for": 11, "deadline": 10}
    widths |= {"status": 8, "received_at": 21}
    return _table(rows, widths, liaison_totals(rows))
