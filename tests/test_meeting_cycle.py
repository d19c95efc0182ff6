"""A whole meeting cycle on a fake clock over the real service (IMAP in from pymap, mail out to
an SMTP sink): announcement, registrations and inputs, reminders at each offset, chair
warnings, a digest every day, the report; and a restart with the clock moved on three days."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select
from sqlmodel import col

from reflector.app import Service
from reflector.clock import FixedClock
from reflector.config import Settings
from reflector.dev import SmtpSink
from reflector.store.db import Database
from reflector.store.models import MeetingRow, Outbox, Person, Registration

from factories import make_message, make_settings
from support.imapclient import append_messages

ZURICH = ZoneInfo("Europe/Zurich")
CHAIR, VICE = "amara.okafor@uni-lagos.example", "lin.wei@caict.example"
STAFF = "sabine.meier@sdo-coord.example"
REFLECTOR = "qkdn-jca@lists.sdo-coord.example"


def zurich(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZURICH).astimezone(UTC)


class Cycle:
    def __init__(
        self, settings: Settings, db: Database, sink: SmtpSink, imap: tuple, clock: FixedClock
    ):
        self.settings, self.db, self.sink, self.imap, self.clock = settings, db, sink, imap, clock
        self.service = Service(settings, db, clock=clock)
        self.sent: list[tuple[datetime, EmailMessage]] = []
        self.seen = 0

    def restart(self) -> None:
        """A new process: nothing in memory survives, the database does."""
        self.service = Service(self.settings, self.db, clock=self.clock)

    async def at(self, moment: datetime, *raws: bytes) -> list[EmailMessage]:
        self.clock.at = moment
        if raws:
            await append_messages(*self.imap, raws)
        report = await self.service.run_once()
        assert report.sent.error is None
        new = [m.parsed() for m in self.sink.messages[self.seen :]]
        self.seen = len(self.sink.messages)
        self.sent += [(moment, m) for m in new]
        return new

    async def every(self, start: datetime, end: datetime, step: timedelta) -> None:
        moment = start
        while moment <= end:
            await self.at(moment)
            moment += step

    async def keys(self) -> list[str]:
        async with self.db.read() as session:
            return list((await session.scalars(select(Outbox.idem_key))).all())  # type: ignore[arg-type]

    def mails(self, start: str) -> list[tuple[datetime, EmailMessage]]:
        return [(t, m) for t, m in self.sent if str(m["Subject"]).startswith(start)]


def text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).replace("\r\n", "\n")


def to(mail: EmailMessage) -> list[str]:
    return [a.addr_spec for a in mail["To"].addresses]


@pytest.fixture
async def cycle(
    tmp_path: Path, pymap_server: tuple[str, int, str, str], smtp_sink: SmtpSink
) -> AsyncIterator[Cycle]:
    host, port, user, password = pymap_server
    settings = make_settings(
        tmp_path,
        imap={"enabled": True, "host": host, "port": port, "username": user, "password": password},
        smtp_port=smtp_sink.port,
    )
    db = Database(settings.database.url)
    await db.migrate()
    yield Cycle(settings, db, smtp_sink, pymap_server, FixedClock(zurich("2026-11-01T09:00")))
    await db.close()


@pytest.mark.slow
async def test_a_whole_meeting_cycle(cycle: Cycle) -> None:
    # Nothing is due yet on 1 November except the digest.
    first = await cycle.at(zurich("2026-11-01T09:00"))
    assert [str(m["Subject"]) for m in first] == ["[JCA-QKDN] Daily digest 2026-11-01: nothing new"]

    # 21 November: the announcement goes out, 60 days before the meeting, with an .ics.
    (announcement,) = [
        m for m in await cycle.at(zurich("2026-11-21T09:05")) if "Announcement" in m["Subject"]
    ]
    assert to(announcement) == [REFLECTOR, "liaison-contacts@etsi-q.example"]
    body = text(announcement)
    assert "Starts: Wednesday 20 January 2027, 14:00 CET (Europe/Zurich)" in body
    assert "Input document deadline:  Friday 08 January 2027, 23:59 CET" in body
    assert "by e-mail to qkdn-secretariat@sdo-coord.example" in body
    (ics_part,) = [
        p for p in announcement.iter_attachments() if p.get_content_type() == "text/calendar"
    ]
    calendar = icalendar.Calendar.from_ical(ics_part.get_content())
    event = calendar.walk("VEVENT")[0]
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert event.decoded("dtstart") == datetime(2027, 1, 20, 14, 0, tzinfo=ZURICH)
    assert str(event["UID"]) == "meeting-6@sdo-coord.example" and event["SEQUENCE"] == 0
    assert calendar.walk("VTIMEZONE")

    # Registrations, an input and a liaison statement asking for action by 5 January.
    await cycle.at(
        zurich("2026-12-10T10:00"),
        make_message("Registration for meeting 6", "Please register me (remote participation)."),
        make_message(
            "Registration for meeting 6",
            "I will attend in person.",
            sender="Kenji Sato <k.sato@nict-q.example>",
        ),
        make_message(
            "Input document for meeting 6: key relay",
            "Please find attached our contribution.",
            sender="Pierre Dubois <pierre.dubois@orange-q.example>",
            attachment=("relay.docx", b"PK\x03\x04 relay", "application/octet-stream"),
        ),
        make_message(
            "Liaison statement from ETSI ISG-QKD",
            "For: action\nDeadline: 2027-01-05\n\nPlease comment.",
            sender="ETSI ISG-QKD <isg-qkd@etsi.example>",
        ),
    )
    # Every six hours up to the input deadline; then a late input arrives.
    await cycle.every(zurich("2026-12-10T16:00"), zurich("2027-01-09T10:00"), timedelta(hours=6))
    late = await cycle.at(
        zurich("2027-01-09T11:00"),
        make_message(
            "Input document for meeting 6: late thoughts",
            "Sorry this is late; attached.",
            sender="Ana Silva <ana.silva@lisbon-q.example>",
            attachment=("late.pdf", b"%PDF-1.4 late", "application/pdf"),
        ),
    )
    assert any(str(m["Subject"]).startswith("[JCA-QKDN] Late input JCA-QKDN-6-I-002") for m in late)
    await cycle.every(zurich("2027-01-09T16:00"), zurich("2027-01-21T10:00"), timedelta(hours=6))

    keys = await cycle.keys()
    assert Counter(keys).most_common(1)[0][1] == 1  # every key once
    reminders = sorted(k for k in keys if k.startswith("reminder:"))
    assert reminders == sorted(
        f"reminder:6:{d}:{n}:reflector" for d in ("input", "registration") for n in (14, 7, 3, 1)
    )
    (seven_days,) = cycle.mails(
        "[JCA-QKDN] Reminder: input document deadline for 6th meeting of JCA-QKDN in 7 days"
    )
    assert seven_days[0] == zurich("2027-01-02T04:00")  # first tick after Fri 1 Jan 23:59 CET
    assert to(seven_days[1]) == [REFLECTOR]

    warnings = sorted(k for k in keys if k.startswith("warning:") or k.startswith("eve:"))
    assert warnings == [
        "eve:6",
        "warning:6:input:1",
        "warning:6:input:7",
        "warning:6:registration:1",
        "warning:6:registration:7",
    ]
    (eve,) = cycle.mails("[JCA-QKDN] Tomorrow: 6th meeting of JCA-QKDN")
    assert to(eve[1]) == [CHAIR, VICE]
    eve_text = text(eve[1])
    assert "REGISTERED: 2 (1 in person, 1 remote)" in eve_text
    assert eve_text.startswith("Dear Dr. Amara Okafor and Lin Wei,"), eve_text
    assert "  JCA-QKDN-6-I-002  late thoughts (source not given)  LATE\n" in eve_text, eve_text
    assert (
        '  JCA-QKDN-LS-001 from ETSI ISG-QKD: "Liaison statement from ETSI ISG-QKD" '
        "(for action), reply by 5 January 2027  OVERDUE\n"
    ) in eve_text

    overdue = [k for k in keys if k.startswith("overdue:")]
    assert overdue[0] == "overdue:2027-01-06" and len(overdue) >= 10  # daily while open

    digests = sorted(k for k in keys if k.startswith("digest:"))
    ticking = [datetime(2026, 12, 10) + timedelta(days=n) for n in range(43)]  # to 21 January
    assert digests == ["digest:2026-11-01", "digest:2026-11-21"] + [
        f"digest:{d.date().isoformat()}" for d in ticking
    ]  # one a day while ticking; no ticks from 21 Nov to 10 Dec: one digest covers that gap
    (report,) = cycle.mails("[JCA-QKDN] Report skeleton")
    assert to(report[1]) == [CHAIR, VICE]
    assert "2 registered participants: 1 in person, 1 remote." in text(report[1])
    assert "| JCA-QKDN-LS-001 |" in text(report[1])


async def test_a_restart_three_days_later_sends_each_due_mail_once(cycle: Cycle) -> None:
    await cycle.at(zurich("2026-12-27T09:00"))  # 14-day input reminder and digest are out
    before = set(await cycle.keys())
    assert "reminder:6:input:14:reflector" in before

    cycle.restart()  # down for three days, through the 30 Dec registration reminder
    await cycle.at(zurich("2026-12-30T09:00") + timedelta(days=3))
    await cycle.at(zurich("2026-12-30T09:00") + timedelta(days=3, minutes=1))  # a second tick
    cycle.restart()
    await cycle.at(zurich("2026-12-30T09:00") + timedelta(days=3, minutes=2))  # and again

    keys = await cycle.keys()
    new = sorted(set(keys) - before)
    assert len(keys) == len(set(keys))
    assert new == [
        "digest:2027-01-02",  # one digest covering the three days
        "reminder:6:input:7:reflector",
        "reminder:6:registration:14:reflector",
        "warning:6:input:7",
    ]
    digest = [m for t, m in cycle.sent if "Daily digest 2027-01-02" in str(m["Subject"])]
    assert len(digest) == 1
    assert "Covering Sunday 27 December 2026" in text(digest[0])


async def test_participant_reminders_and_an_announcement_update(cycle: Cycle) -> None:
    schedule = dataclasses.replace(cycle.settings.schedule, reminder_audience="participants")
    cycle.settings = dataclasses.replace(cycle.settings, schedule=schedule)
    cycle.restart()
    # Maria registers for meeting 6; Kenji came to an earlier meeting (5) only.
    await cycle.at(zurich("2026-12-01T10:00"), make_message())
    async with cycle.db.write() as session:
        now = cycle.clock.at
        kenji = Person(
            email="k.sato@nict-q.example", name="Kenji Sato", created_at=now, updated_at=now
        )
        session.add(kenji)
        await session.flush()
        assert kenji.id is not None
        session.add(
            Registration(
                meeting="5", person_id=kenji.id, mode="remote", created_at=now, updated_at=now
            )
        )

    # 14 days before the registration deadline (13 Jan); the input one (8 Jan) is nearer.
    sent = await cycle.at(zurich("2026-12-30T23:59"))
    reminders = {str(m["Subject"]): to(m) for m in sent if "Reminder" in m["Subject"]}
    assert reminders == {
        "[JCA-QKDN] Reminder: registration deadline for 6th meeting of JCA-QKDN in 14 days "
        "(13 January 2027)": ["k.sato@nict-q.example"],  # Maria is registered: not reminded
        "[JCA-QKDN] Reminder: input document deadline for 6th meeting of JCA-QKDN in 14 days "
        "(8 January 2027)": ["maria.rossi@qtech.example"],  # inputs: the registered people
    }
    personal = [m for m in sent if to(m) == ["k.sato@nict-q.example"]]
    assert text(personal[0]).startswith("Dear Kenji Sato,")

    # Changing the announced meeting sends an UPDATED announcement for the same calendar entry.
    async with cycle.db.write() as session:
        row = await session.scalar(select(MeetingRow).where(col(MeetingRow.meeting_id) == "6"))
        assert row is not None
        row.place, row.sequence, row.source = "Geneva and online", row.sequence + 1, "command"
    update = [
        m for m in await cycle.at(zurich("2026-12-31T10:00")) if "Announcement" in m["Subject"]
    ]
    assert [str(m["Subject"]) for m in update] == [
        "[JCA-QKDN] UPDATED: Announcement: 6th meeting of JCA-QKDN, 20 January 2027, "
        "Geneva and online"
    ]
    (ics,) = [p for p in update[0].iter_attachments() if p.get_content_type() == "text/calendar"]
    event = icalendar.Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]
    assert (str(event["UID"]), event["SEQUENCE"], str(event["LOCATION"])) == (
        "meeting-6@sdo-coord.example",
        1,
        "Geneva and online",
    )
