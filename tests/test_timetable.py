"""When scheduled mail falls due: fixed clocks, DST changes, downtime, clocks set back (pure)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from reflector.config import Meeting
from reflector.timetable import Firing, due_firings

from factories import SCHEDULE

ZURICH, SEOUL, NEW_YORK = "Europe/Zurich", "Asia/Seoul", "America/New_York"


def meeting(zone: str, start: datetime, **changes: object) -> Meeting:
    values: dict[str, object] = dict(
        id="8",
        title="JCA-QKDN meeting 8",
        place="Geneva",
        timezone=zone,
        start=start,
        end=start + timedelta(hours=8),
        in_person=True,
        remote=True,
        registration_deadline=start - timedelta(days=7),
        input_deadline=start - timedelta(days=12),
    )
    values.update(changes)
    return Meeting(**values)  # type: ignore[arg-type]


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def simulate(
    meetings: list[Meeting], start: datetime, end: datetime, step: timedelta, *, gap=None
) -> dict[str, datetime]:
    """Tick from start to end like the service; return each key with the tick that sent it.

    `gap` = (down_from, down_until): no ticks in between (the process was stopped).
    """
    sent: dict[str, datetime] = {}
    now = start
    while now <= end:
        if gap is None or not (gap[0] <= now < gap[1]):
            for firing in due_firings(meetings, SCHEDULE, ZURICH, now):
                sent.setdefault(firing.key, now)
        now += step
    return sent


def test_reminders_keep_the_local_time_across_a_dst_change() -> None:
    # Input deadline Friday 2 April 2027 23:59 in Zurich (summer time); DST began 28 March.
    deadline = datetime(2027, 4, 2, 21, 59, tzinfo=UTC)
    m = meeting(ZURICH, datetime(2027, 4, 14, 7, 30, tzinfo=UTC), input_deadline=deadline)

    sent = simulate([m], datetime(2027, 3, 10, tzinfo=UTC), deadline, timedelta(minutes=1))

    reminders = {k: local(v, ZURICH) for k, v in sent.items() if k.startswith("reminder:8:input")}
    assert reminders == {
        "reminder:8:input:14:reflector": "2027-03-19 23:59 CET",
        "reminder:8:input:7:reflector": "2027-03-26 23:59 CET",
        "reminder:8:input:3:reflector": "2027-03-30 23:59 CEST",
        "reminder:8:input:1:reflector": "2027-04-01 23:59 CEST",
    }


def test_the_daily_digest_is_at_eight_local_on_both_sides_of_a_dst_change() -> None:
    sent = simulate(
        [],
        datetime(2027, 10, 29, tzinfo=UTC),
        datetime(2027, 11, 2, tzinfo=UTC),
        timedelta(minutes=1),
    )
    digests = {k: local(v, ZURICH) for k, v in sent.items() if k.startswith("digest:")}
    assert digests == {
        "digest:2027-10-28": "2027-10-29 02:00 CEST",  # yesterday's, at start-up
        "digest:2027-10-29": "2027-10-29 08:00 CEST",
        "digest:2027-10-30": "2027-10-30 08:00 CEST",
        "digest:2027-10-31": "2027-10-31 08:00 CET",
        "digest:2027-11-01": "2027-11-01 08:00 CET",
    }


@pytest.mark.parametrize(
    ("zone", "start", "eve"),
    [
        (SEOUL, datetime(2026, 10, 14, 0, 30, tzinfo=UTC), "2026-10-13 09:00 KST"),
        (NEW_YORK, datetime(2026, 11, 2, 14, 0, tzinfo=UTC), "2026-11-01 09:00 EST"),  # DST ends
        (ZURICH, datetime(2027, 3, 29, 7, 30, tzinfo=UTC), "2027-03-28 09:00 CEST"),  # DST begins
    ],
)
def test_the_chairs_eve_mail_is_at_nine_local_the_day_before(zone, start, eve) -> None:
    m = meeting(zone, start)
    sent = simulate([m], start - timedelta(days=3), start, timedelta(minutes=1))
    assert local(sent["eve:8"], zone) == eve


def test_after_downtime_only_the_latest_useful_reminder_is_sent() -> None:
    deadline = datetime(2027, 1, 8, 22, 59, tzinfo=UTC)
    m = meeting(ZURICH, datetime(2027, 1, 20, 13, tzinfo=UTC), input_deadline=deadline)
    down = (
        deadline - timedelta(days=8),
        deadline - timedelta(days=2),
    )  # 14 and 7 sent? no: 7, 3 missed

    sent = simulate([m], deadline - timedelta(days=15), deadline, timedelta(minutes=10), gap=down)

    input_reminders = sorted(k for k in sent if k.startswith("reminder:8:input"))
    assert input_reminders == [
        "reminder:8:input:14:reflector",
        "reminder:8:input:1:reflector",
        "reminder:8:input:3:reflector",  # sent at restart: 3 days left supersedes 7
    ]
    assert sent["reminder:8:input:3:reflector"] == down[1]


def test_a_reminder_whose_deadline_passed_is_not_sent() -> None:
    deadline = datetime(2027, 1, 8, 22, 59, tzinfo=UTC)
    m = meeting(ZURICH, datetime(2027, 1, 20, 13, tzinfo=UTC), input_deadline=deadline)
    keys = {f.key for f in due_firings([m], SCHEDULE, ZURICH, deadline + timedelta(minutes=1))}
    assert not any(
        k.startswith("reminder:8:input") or k.startswith("warning:8:input") for k in keys
    )


def test_a_missed_digest_is_sent_once_covering_the_gap() -> None:
    start = datetime(2027, 1, 4, 6, 0, tzinfo=UTC)
    down = (datetime(2027, 1, 4, 12, tzinfo=UTC), datetime(2027, 1, 7, 12, tzinfo=UTC))
    sent = simulate([], start, datetime(2027, 1, 8, 12, tzinfo=UTC), timedelta(minutes=5), gap=down)
    assert sorted(k for k in sent if k.startswith("digest:")) == [
        "digest:2027-01-03",
        "digest:2027-01-04",
        "digest:2027-01-07",  # after three days down: one digest (the shell covers the gap)
        "digest:2027-01-08",
    ]


def test_a_clock_set_back_sends_nothing_twice() -> None:
    m = meeting(ZURICH, datetime(2027, 1, 20, 13, tzinfo=UTC))
    sent: dict[str, int] = {}
    ticks = [datetime(2027, 1, 12, 10, tzinfo=UTC) + timedelta(minutes=n) for n in range(240)]
    ticks += [t - timedelta(hours=1) for t in ticks]  # NTP steps the clock back an hour
    for now in ticks:
        for firing in due_firings([m], SCHEDULE, ZURICH, now):
            if firing.key not in sent:  # the outbox key: queued once
                sent[firing.key] = 1
    assert sent and all(n == 1 for n in sent.values())


def test_an_edited_meeting_is_announced_again_with_a_higher_sequence() -> None:
    m = meeting(
        ZURICH,
        datetime(2027, 6, 16, 7, 30, tzinfo=UTC),
        announce_at=datetime(2027, 4, 1, tzinfo=UTC),
    )
    now = datetime(2027, 4, 10, tzinfo=UTC)
    first = [f for f in due_firings([m], SCHEDULE, ZURICH, now) if f.what == "announcement"]
    edited = dataclasses.replace(m, place="Online", sequence=1)
    second = [f for f in due_firings([edited], SCHEDULE, ZURICH, now) if f.what == "announcement"]
    assert [f.key for f in first + second] == ["announce:8:0", "announce:8:1"]
    late = due_firings([m], SCHEDULE, ZURICH, m.start + timedelta(minutes=1))
    assert not [f for f in late if f.what == "announcement"]  # not after the meeting started


def test_the_report_falls_due_when_the_meeting_ends_and_stays_useful_two_weeks() -> None:
    m = meeting(ZURICH, datetime(2027, 1, 20, 13, tzinfo=UTC))

    def report(now: datetime) -> list[Firing]:
        return [f for f in due_firings([m], SCHEDULE, ZURICH, now) if f.what == "report"]

    assert report(m.end - timedelta(minutes=1)) == []
    assert [f.key for f in report(m.end)] == ["report:8"]
    assert report(m.end + timedelta(days=15)) == []
