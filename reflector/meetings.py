"""The calendar in the database: meetings from config.toml and from `reflector meetings`.

    await sync_config_meetings(session, settings.meetings, now)   # at start
    meetings = await load_meetings(session)                       # what everything uses

config.toml stays the easy way to declare meetings: at every start its meetings are copied into
the `meetings` table (a changed meeting gets a higher `sequence`, so its announcement is sent
again as an update). `reflector meetings add|edit` writes the table directly, so a new meeting
needs no restart; a meeting edited that way is marked `source = "command"` and config.toml no
longer overrides it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.config import Meeting, Settings
from reflector.store.db import Database
from reflector.store.models import MeetingRow

log = logging.getLogger(__name__)

# The fields that make up a meeting's content: a change to any of them is a new SEQUENCE.
CONTENT = (
    "title",
    "place",
    "timezone",
    "start",
    "end",
    "in_person",
    "remote",
    "registration_deadline",
    "input_deadline",
    "agenda",
    "announce_at",
)


def to_meeting(row: MeetingRow) -> Meeting:
    return Meeting(
        id=row.meeting_id,
        **{name: getattr(row, name) for name in CONTENT},
        sequence=row.sequence,
    )


def _content(meeting: Meeting) -> dict[str, Any]:
    return {name: getattr(meeting, name) for name in CONTENT}


async def sync_config_meetings(
    session: AsyncSession, meetings: Sequence[Meeting], now: datetime
) -> list[str]:
    """Copy config.toml's meetings into the table; returns the ids added or changed."""
    rows = {r.meeting_id: r for r in (await session.scalars(select(MeetingRow))).all()}
    changed = []
    for meeting in meetings:
        row = rows.get(meeting.id)
        if row is None:
            session.add(
                MeetingRow(
                    meeting_id=meeting.id, **_content(meeting), created_at=now, updated_at=now
                )
            )
            changed.append(meeting.id)
        elif row.source == "config" and _content(to_meeting(row)) != _content(meeting):
            _update(row, meeting, now)
            changed.append(meeting.id)
        elif row.source != "config" and _content(to_meeting(row)) != _content(meeting):
            log.warning(
                "meeting %s: config.toml differs from the version set with `reflector meetings "
                "edit`, which wins; edit it there (or delete the row) to change it",
                meeting.id,
            )
    return changed


def _update(row: MeetingRow, meeting: Meeting, now: datetime) -> None:
    for name, value in _content(meeting).items():
        setattr(row, name, value)
    row.sequence += 1
    row.updated_at = now


async def load_meetings(session: AsyncSession) -> tuple[Meeting, ...]:
    rows = await session.scalars(select(MeetingRow).order_by(col(MeetingRow.start)))
    return tuple(to_meeting(r) for r in rows.all())


async def current_settings(db: Database, settings: Settings, now: datetime) -> Settings:
    """`settings` with the meetings of the database (after copying config.toml's in)."""
    async with db.write() as session:
        await sync_config_meetings(session, settings.meetings, now)
    async with db.read() as session:
        meetings = await load_meetings(session)
    return dataclasses.replace(settings, meetings=meetings)


async def save_meeting(db: Database, meeting: Meeting, now: datetime, *, new: bool) -> Meeting:
    """Add (`new`) or replace a meeting from the command line; returns it as stored."""
    async with db.write() as session:
        row = await session.scalar(
            select(MeetingRow).where(col(MeetingRow.meeting_id) == meeting.id)
        )
        if new and row is not None:
            raise ValueError(
                f"meeting {meeting.id!r} exists already: use `reflector meetings edit`"
            )
        if not new and row is None:
            raise LookupError(f"no meeting {meeting.id!r}: use `reflector meetings add`")
        if row is None:
            row = MeetingRow(
                meeting_id=meeting.id, **_content(meeting), created_at=now, updated_at=now
            )
            session.add(row)
        else:
            _update(row, meeting, now)
        row.source = "command"
        await session.flush()
        return to_meeting(row)
