"""When the secretariat's scheduled mail falls due (pure: meetings, settings and `now` in,
firings out).

    due = due_firings(meetings, schedule, group_zone="Europe/Zurich", now=now)
    [f.key for f in due]   # ['reminder:6:input:7:reflector', 'digest:2027-01-02']

Each firing has a key that names *what* and *when* (`reminder:<meeting>:<deadline>:<days>:
<audience>`, `digest:<local date>`); the shell queues its mail in the outbox under that key,
so whatever happens — restarts, a clock set back, two ticks in one minute — it is sent once.

Rules that make restarts and clock changes safe:

* Only what is due *and still useful* is returned. A reminder is useful until its deadline, a
  chair warning until its deadline, the eve mail until the meeting starts, an announcement
  until the meeting starts, a report for two weeks after the meeting.
* Of several reminders (or warnings) of one deadline that fell due while we were down, only the
  latest is sent: "3 days left" makes "7 days left" pointless. Of several missed digests only the
  latest is sent, and it covers the whole gap.
* "N days before" keeps the wall-clock time in the meeting's zone, so a reminder 7 days before a
  deadline at 23:59 is at 23:59 local even across a daylight-saving change. A daily time that does
  not exist on a spring-forward day (02:30 in Zurich) falls due when the clocks have jumped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reflector.config import Meeting, ScheduleSettings

REPORT_USEFUL = timedelta(days=14)


@dataclass(frozen=True)
class Firing:
    key: str  # the outbox key (per-person mail adds the person to it)
    what: str  # announcement | reminder | warning | eve | overdue | digest | report
    at: datetime  # UTC: when it falls due
    until: datetime | None  # UTC: no longer useful after this (None: no limit)
    meeting: str | None = None
    deadline: str | None = None  # "registration" | "input"
    days: int | None = None  # days before the deadline
    audience: str | None = None  # "reflector" | "participants" (reminders)
    day: date | None = None  # the local day of a digest or an overdue warning


def local_moment(day: date, clock: str | time, zone: str) -> datetime:
    """`clock` on `day` in `zone`, as UTC; a time skipped by a DST change moves forward.

    >>> local_moment(date(2027, 3, 28), "02:30", "Europe/Zurich").isoformat()   # gap
    '2027-03-28T01:30:00+00:00'
    >>> local_moment(date(2027, 10, 31), "02:30", "Europe/Zurich").isoformat()  # twice: first
    '2027-10-31T00:30:00+00:00'
    """
    wall = clock if isinstance(clock, time) else time.fromisoformat(clock)
    # fold=0 (PEP 495): a repeated time is its first occurrence, and a skipped one is read with
    # the offset before the change, which lands it after the jump (02:30 CET = 03:30 CEST).
    moment = datetime.combine(day, wall).replace(tzinfo=ZoneInfo(zone), fold=0)
    return moment.astimezone(UTC)


def days_before(moment: datetime, days: int, zone: str) -> datetime:
    """The same wall-clock time `days` days earlier in `zone`, as UTC.

    >>> deadline = datetime(2027, 4, 2, 21, 59, tzinfo=UTC)     # 23:59 in Zurich (summer)
    >>> days_before(deadline, 7, "Europe/Zurich").isoformat()     # 23:59 in winter time
    '2027-03-26T22:59:00+00:00'
    """
    local = moment.astimezone(ZoneInfo(zone))
    return local_moment(local.date() - timedelta(days=days), local.time(), zone)


def _latest(firings: Iterable[Firing], now: datetime) -> Firing | None:
    due = [f for f in firings if f.at <= now and (f.until is None or now < f.until)]
    return max(due, key=lambda f: f.at, default=None)


def meeting_firings(meeting: Meeting, schedule: ScheduleSettings, now: datetime) -> list[Firing]:
    """What is due now for one meeting."""
    zone, mid = meeting.timezone, meeting.id
    due: list[Firing] = []
    announce = meeting.announce_at or local_moment(
        meeting.start.astimezone(ZoneInfo(zone)).date()
        - timedelta(days=schedule.announce_days_before),
        "09:00",
        zone,
    )
    found = _latest(
        [
            Firing(
                f"announce:{mid}:{meeting.sequence}", "announcement", announce, meeting.start, mid
            )
        ],
        now,
    )
    due += [found] if found else []
    for deadline, moment in meeting.deadlines():
        audience = schedule.reminder_audience
        reminders = [
            Firing(
                f"reminder:{mid}:{deadline}:{days}:{audience}",
                "reminder",
                days_before(moment, days, zone),
                moment,
                mid,
                deadline,
                days,
                audience,
            )
            for days in schedule.reminder_days
        ]
        warnings = [
            Firing(
                f"warning:{mid}:{deadline}:{days}",
                "warning",
                days_before(moment, days, zone),
                moment,
                mid,
                deadline,
                days,
            )
            for days in schedule.warning_days
        ]
        for group in (reminders, warnings):
            found = _latest(group, now)
            due += [found] if found else []
    eve_day = meeting.start.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    eve = Firing(
        f"eve:{mid}", "eve", local_moment(eve_day, schedule.eve_time, zone), meeting.start, mid
    )
    if schedule.report_to_chair:
        report = Firing(f"report:{mid}", "report", meeting.end, meeting.end + REPORT_USEFUL, mid)
    for firing in (eve, report) if schedule.report_to_chair else (eve,):
        found = _latest([firing], now)
        due += [found] if found else []
    return due


def daily_firings(schedule: ScheduleSettings, zone: str, now: datetime) -> list[Firing]:
    """Today's digest (or yesterday's, before today's time) and today's overdue check."""
    today = now.astimezone(ZoneInfo(zone)).date()
    due = []
    for day in (today, today - timedelta(days=1)):
        at = local_moment(day, schedule.digest_time, zone)
        if at <= now:
            due.append(Firing(f"digest:{day.isoformat()}", "digest", at, None, day=day))
            end_of_day = local_moment(day + timedelta(days=1), "00:00", zone)
            due.append(Firing(f"overdue:{day.isoformat()}", "overdue", at, end_of_day, day=day))
            break
    return [f for f in due if f.until is None or now < f.until]


def due_firings(
    meetings: Iterable[Meeting], schedule: ScheduleSettings, group_zone: str, now: datetime
) -> list[Firing]:
    """Everything due at `now` and still useful, earliest first (the shell skips sent keys)."""
    due = daily_firings(schedule, group_zone, now)
    for meeting in meetings:
        due += meeting_firings(meeting, schedule, now)
    return sorted(due, key=lambda f: (f.at, f.key))
