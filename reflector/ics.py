"""A meeting as an iCalendar file (RFC 5545) for the announcement (pure).

    data = meeting_ics(meeting, group_name="JCA-QKDN", organizer=secretariat, domain=..., now=now)

`METHOD:PUBLISH` (an announcement, not an invitation that asks for replies), a UID that stays
the same for the meeting forever, and `SEQUENCE` from the meeting's row: a changed meeting sends
an update that calendars apply to the entry they already have. Times are written in the
meeting's own zone with its VTIMEZONE, which Outlook needs to show the right local time.
"""

from __future__ import annotations

from datetime import datetime

import icalendar

from reflector.config import Meeting


def meeting_uid(meeting: Meeting, domain: str) -> str:
    """The UID of a meeting's calendar entry: the same in every announcement and update."""
    return f"meeting-{meeting.id}@{domain}"


def meeting_ics(
    meeting: Meeting,
    *,
    group_name: str,
    organizer: str,
    domain: str,
    now: datetime,
    description: str = "",
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//reflector//JCA secretariat//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", meeting_uid(meeting, domain))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", meeting.start.astimezone(meeting.zone))
    event.add("dtend", meeting.end.astimezone(meeting.zone))
    event.add("summary", meeting.title)
    event.add("location", meeting.place)
    event.add("status", "CONFIRMED")
    event.add("organizer", f"mailto:{organizer}", parameters={"cn": f"{group_name} secretariat"})
    if description:
        event.add("description", description)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()
