"""Read-side queries behind `reflector list` and `reflector show`, and their plain-text forms."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from reflector.store.db import Database
from reflector.store.models import Message, Outbox, RawMessage

LIST_COLUMNS = ("id", "received_at", "status", "kind", "from", "subject", "message_id", "reason")


def _row(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "received_at": message.received_at.isoformat(timespec="seconds"),
        "status": message.status,
        "kind": message.kind,
        "confidence": message.confidence,
        "from": message.from_addr,
        "subject": message.subject,
        "message_id": message.message_id,
        "source": message.source,
        "reason": message.reason,
    }


async def list_messages(
    db: Database, *, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """Newest first, optionally only one status."""
    query = select(Message).order_by(col(Message.id).desc()).limit(limit)
    if status is not None:
        query = query.where(col(Message.status) == status)
    async with db.read() as session:
        return [_row(m) for m in (await session.scalars(query)).all()]


def _clip(value: Any, width: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_header(widths: Mapping[str, int]) -> str:
    """The header line of a fixed-width table: each column name upper-cased, padded to its width.

    >>> format_header({"id": 3, "name": 6})
    'ID   NAME  '
    """
    return "  ".join(name.upper().ljust(width) for name, width in widths.items())


def format_line(cells: Mapping[str, Any], widths: Mapping[str, int]) -> str:
    """One line of a fixed-width table: each cell on one line, clipped to its column's width.

    >>> format_line({"id": 7, "name": "Lin  Wei of CAICT"}, {"id": 3, "name": 6})
    '7    Lin W…'
    """
    return "  ".join(_clip(cells.get(n), w).ljust(w) for n, w in widths.items()).rstrip()


def format_table(rows: list[dict[str, Any]]) -> str:
    """A fixed-width table for terminals (use --json or --csv for machines)."""
    widths = {"id": 5, "received_at": 19, "status": 11, "kind": 12, "from": 28, "subject": 40}
    lines = [format_header(widths)]
    for row in rows:
        lines.append(
            format_line(dict(row, received_at=row["received_at"][:19].replace("T", " ")), widths)
        )
        if row["status"] in ("quarantined", "held") and row["reason"]:
            lines.append(" " * 7 + "↳ " + _clip(row["reason"], 120))
    return "\n".join(lines)


async def find_message(db: Database, ref: str) -> tuple[Message, RawMessage] | None:
    """By Message-ID (angle brackets optional) or by row number written `#12` or `12`."""
    cleaned = ref.strip().strip("<>").strip()
    async with db.read() as session:
        query = select(Message).where(col(Message.message_id) == cleaned).order_by(col(Message.id))
        number = cleaned.lstrip("#")
        if number.isdigit():
            query = (
                select(Message)
                .where((col(Message.id) == int(number)) | (col(Message.message_id) == cleaned))
                .order_by(col(Message.id))
            )
        message = (await session.scalars(query.limit(1))).first()
        if message is None:
            return None
        raw = await session.get(RawMessage, message.raw_id)
        assert raw is not None
        return message, raw


async def mails_caused_by(db: Database, message_pk: int) -> list[Outbox]:
    """The outbox rows a message caused, in the order they were queued."""
    async with db.read() as session:
        query = select(Outbox).where(col(Outbox.cause_pk) == message_pk).order_by(col(Outbox.id))
        return list((await session.scalars(query)).all())


def describe_message(message: Message, raw: RawMessage) -> str:
    """A readable account of one message for `reflector show`."""
    lines = [
        f"Message #{message.id}  <{message.message_id or 'no Message-ID'}>",
        f"  from:        {message.from_name + ' ' if message.from_name else ''}"
        f"<{message.from_addr or '?'}>",
        f"  to:          {', '.join(message.to_addrs) or '-'}",
        f"  subject:     {message.subject or '(none)'}",
        f"  date:        {message.date.isoformat() if message.date else '-'}",
        f"  received:    {message.received_at.isoformat(timespec='seconds')} via {message.source}",
        f"  source:      {message.source_ref or '-'}",
        f"  raw:         {raw.size} bytes, sha256 {raw.sha256}",
        f"  status:      {message.status}" + (f" — {message.reason}" if message.reason else ""),
    ]
    if message.kind:
        lines.append(f"  kind:        {message.kind} (confidence {message.confidence:.2f})")
    if message.reasons:
        lines.append("  reasons:")
        lines.extend(f"    - {reason}" for reason in message.reasons)
    if message.fields:
        lines.append("  fields:")
        lines.extend(
            "    " + line
            for line in json.dumps(message.fields, indent=2, ensure_ascii=False).splitlines()
        )
    return "\n".join(lines)
