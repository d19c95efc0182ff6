"""The scheduled mail: announcements, participant reminders, chair warnings, the daily digest
and the meeting report, queued in the outbox when they fall due.

    scheduler = Scheduler(db, settings, renderer, clock)
    await scheduler.run_due()       # queue what is due now; returns the keys queued
    await scheduler.run(stop)       # APScheduler ticks run_due every minute until stop

APScheduler (3.11, in-memory job store, one job with a fixed id) is only the clock that ticks.
What is due is computed from the meetings in the database by `reflector.timetable` at every
tick, and the outbox key of each firing (`reminder:6:input:7:reflector`, `digest:2027-01-12`)
makes it happen once: after a restart the next tick queues whatever fell due while we were
down and is still useful, and nothing twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import func, select
from sqlmodel import col

from reflector.clock import Clock
from reflector.config import Meeting, Settings
from reflector.engine.facts import meeting_facts, site_facts
from reflector.ics import meeting_ics
from reflector.mail.compose import Attachment, Envelope, Party, compose, message_id_for
from reflector.meetings import load_meetings
from reflector.outbox import OutgoingMail, enqueue
from reflector.overview import digest_overview, meeting_overview
from reflector.render import Renderer
from reflector.store.db import Database
from reflector.store.models import Outbox, Person, Registration
from reflector.timetable import Firing, due_firings

log = logging.getLogger(__name__)

TICK_SECONDS = 60
DEADLINE_NAMES = {"input": "input document", "registration": "registration"}


class Scheduler:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        renderer: Renderer,
        clock: Clock,
        *,
        on_queued: Callable[[], None] | None = None,
    ):
        self.db = db
        self.settings = settings
        self.renderer = renderer
        self.clock = clock
        self.on_queued = on_queued

    # -- the loop and its _once sibling ---------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every minute (the first at once) until `stop` is set."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._tick,
            "interval",
            seconds=TICK_SECONDS,
            id="tick",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,  # a late tick still runs (the default drops it after 1 s)
        )
        scheduler.start()
        try:
            await stop.wait()
        finally:
            scheduler.shutdown(wait=False)

    async def _tick(self) -> None:
        try:
            await self.run_due()
        except Exception:  # a bug or a database error must not stop the clock
            log.exception("scheduler: this tick failed; the next one tries again")

    async def run_due(self) -> list[str]:
        """Queue every mail that is due now and not queued before; return their keys."""
        now = self.clock.now()
        settings = await self._current(now)
        firings = due_firings(settings.meetings, settings.schedule, settings.group.timezone, now)
        done = await self._queued_before([f.key for f in firings])
        queued: list[str] = []
        for firing in firings:
            if firing.key in done:
                continue
            mails = await self.mails_for(firing, settings, now)
            if not mails:
                continue
            async with self.db.write() as session:
                fresh = await enqueue(session, mails, now)
            queued += [m.idem_key for m, new in zip(mails, fresh, strict=True) if new]
            log.info(
                "scheduler: %s due at %s: %d mail(s) queued", firing.key, firing.at, len(mails)
            )
        if queued and self.on_queued is not None:
            self.on_queued()
        return queued

    async def _current(self, now: datetime) -> Settings:
        async with self.db.read() as session:
            meetings = await load_meetings(session)
        if meetings:
            self.settings = dataclasses.replace(self.settings, meetings=meetings)
        return self.settings

    async def _queued_before(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` are in the outbox already (per-person keys count by their prefix)."""
        exact = [k for k in keys if not k.endswith(":participants")]
        found: set[str] = set()
        async with self.db.read() as session:
            if exact:
                rows = await session.scalars(
                    select(col(Outbox.idem_key)).where(col(Outbox.idem_key).in_(exact))
                )
                found |= set(rows.all())
            for key in keys:
                if key.endswith(":participants"):
                    prefix = key.rsplit(":", 1)[0] + ":"
                    n = await session.scalar(
                        select(func.count())
                        .select_from(Outbox)
                        .where(col(Outbox.idem_key).startswith(prefix, autoescape=True))
                    )
                    if n:
                        found.add(key)
        return found

    # -- what each firing sends -----------------------------------------------------------------

    async def mails_for(
        self, firing: Firing, settings: Settings, now: datetime
    ) -> list[OutgoingMail]:
        meeting = settings.meeting(firing.meeting) if firing.meeting else None
        context = self._base(settings, now)
        if firing.what == "announcement" and meeting is not None:
            return await self._announcement(firing, meeting, settings, context, now)
        if firing.what == "reminder" and meeting is not None:
            return await self._reminders(firing, meeting, settings, context, now)
        if firing.what in ("warning", "eve") and meeting is not None:
            occasion = "eve" if firing.what == "eve" else "deadline"
            return await self._chairs(firing, meeting, settings, context, now, occasion)
        if firing.what == "overdue":
            meeting = _meeting_in_focus(settings.meetings, now)
            return await self._chairs(firing, meeting, settings, context, now, "overdue")
        if firing.what == "digest":
            return await self._digest(firing, settings, context, now)
        if firing.what == "report" and meeting is not None:
            overview = await meeting_overview(self.db, settings, meeting, now)
            context |= {"meeting": meeting_facts(meeting), "overview": overview}
            return self._mail(firing.key, "report", "report", _chairs(settings), context, now)
        return []

    def _base(self, settings: Settings, now: datetime) -> dict[str, Any]:
        return {**site_facts(settings), "now": now, "recipient": {"name": "", "email": ""}}

    async def _announcement(
        self,
        firing: Firing,
        meeting: Meeting,
        settings: Settings,
        context: dict[str, Any],
        now: datetime,
    ) -> list[OutgoingMail]:
        async with self.db.read() as session:
            earlier = await session.scalar(
                select(func.count())
                .select_from(Outbox)
                .where(col(Outbox.idem_key).startswith(f"announce:{meeting.id}:", autoescape=True))
            )
        context |= {
            "meeting": meeting_facts(meeting) | {"agenda": meeting.agenda},
            "update": bool(earlier),
        }
        rendered = self.renderer.render("announcement", context)
        ics = meeting_ics(
            meeting,
            group_name=settings.group.name,
            organizer=settings.addresses.secretariat,
            domain=settings.outbox.message_id_domain,
            now=now,
            description=rendered.text,
        )
        to = (
            Party(settings.group.name, settings.addresses.reflector),
            *(Party("", a) for a in settings.schedule.announce_to),
        )
        attachment = Attachment("meeting.ics", "text/calendar; method=PUBLISH", ics)
        return self._mail(
            firing.key, "announcement", "announcement", to, context, now, (attachment,)
        )

    async def _reminders(
        self,
        firing: Firing,
        meeting: Meeting,
        settings: Settings,
        context: dict[str, Any],
        now: datetime,
    ) -> list[OutgoingMail]:
        assert firing.deadline is not None and firing.days is not None
        deadline_at = dict(meeting.deadlines())[firing.deadline]
        context |= {
            "meeting": meeting_facts(meeting),
            "deadline": firing.deadline,
            "deadline_name": DEADLINE_NAMES[firing.deadline],
            "deadline_at": deadline_at,
            "days": firing.days,
        }
        if firing.audience == "reflector":
            to = (Party(settings.group.name, settings.addresses.reflector),)
            return self._mail(firing.key, "reminder", "reminder", to, context, now)
        prefix = firing.key.rsplit(":", 1)[0]
        mails = []
        for pid, party in await self._participants(meeting, firing.deadline):
            personal = context | {"recipient": {"name": party.name, "email": party.email}}
            mails += self._mail(f"{prefix}:{pid}", "reminder", "reminder", (party,), personal, now)
        return mails

    async def _participants(self, meeting: Meeting, deadline: str) -> list[tuple[int, Party]]:
        """Input reminders: who registered for the meeting. Registration reminders: people of
        earlier meetings not registered for this one (a registered person is not reminded)."""
        async with self.db.read() as session:
            rows = (
                await session.execute(
                    select(
                        col(Person.id),
                        col(Person.name),
                        col(Person.email),
                        col(Registration.meeting),
                        col(Registration.status),
                    ).join(Registration, col(Registration.person_id) == col(Person.id))
                )
            ).all()
        here = {pid for pid, _n, _e, m, s in rows if m == meeting.id and s == "registered"}
        people = {pid: Party(name, email) for pid, name, email, _m, _s in rows if pid is not None}
        wanted = here if deadline == "input" else set(people) - here
        return sorted((pid, people[pid]) for pid in wanted if pid is not None)

    async def _chairs(
        self,
        firing: Firing,
        meeting: Meeting | None,
        settings: Settings,
        context: dict[str, Any],
        now: datetime,
        occasion: str,
    ) -> list[OutgoingMail]:
        to = _chairs(settings)
        if meeting is None or not to:
            return []
        overview = await meeting_overview(self.db, settings, meeting, now)
        if occasion == "overdue" and not overview["liaisons"]["overdue"]:
            return []  # nothing overdue today: no mail (checked again at the next tick)
        deadlines = dict(meeting.deadlines())
        context |= {
            "meeting": meeting_facts(meeting),
            "overview": overview,
            "occasion": occasion,
            "deadline": firing.deadline,
            "deadline_name": DEADLINE_NAMES.get(firing.deadline or "", ""),
            "deadline_at": deadlines.get(firing.deadline or ""),
            "days": firing.days,
            "recipient": {"name": " and ".join(p.name for p in to), "email": to[0].email},
        }
        return self._mail(firing.key, "warning", "chair_warning", to, context, now)

    async def digest_context(
        self, settings: Settings, now: datetime
    ) -> tuple[dict[str, Any], bool]:
        """The digest as it would be sent at `now` (also `reflector digest --preview`)."""
        async with self.db.read() as session:
            last = await session.scalar(
                select(func.max(col(Outbox.created_at))).where(col(Outbox.purpose) == "digest")
            )
        since = last or now - timedelta(days=1)
        overview = await digest_overview(self.db, settings, since, now)
        context = self._base(settings, now) | {
            "digest": overview,
            "day": now.astimezone(settings.group_zone).date().isoformat(),
        }
        return context, bool(overview["empty"])

    async def _digest(
        self, firing: Firing, settings: Settings, context: dict[str, Any], now: datetime
    ) -> list[OutgoingMail]:
        context, empty = await self.digest_context(settings, now)
        if firing.day is not None:
            context["day"] = firing.day.isoformat()
        if empty and settings.schedule.digest_skip_empty:
            return []
        to = tuple(Party(p.name, p.email) for p in settings.roles.secretariat)
        return self._mail(firing.key, "digest", "digest", to, context, now)

    def _mail(
        self,
        key: str,
        purpose: str,
        template: str,
        to: Sequence[Party],
        context: dict[str, Any],
        now: datetime,
        attachments: tuple[Attachment, ...] = (),
    ) -> list[OutgoingMail]:
        settings = self.settings
        rendered = self.renderer.render(template, context)
        message_id = message_id_for(key, settings.outbox.message_id_domain)
        envelope = Envelope(
            sender=Party(f"{settings.group.name} secretariat", settings.addresses.secretariat),
            to=tuple(to),
            date=now,
            message_id=message_id,
            loop_marker=settings.addresses.secretariat,
            attachments=attachments,
        )
        return [
            OutgoingMail(
                idem_key=key,
                purpose=purpose,
                message_id=message_id,
                envelope_from=settings.addresses.secretariat,
                envelope_to=tuple(p.email for p in to),
                data=compose(envelope, rendered),
                subject=rendered.subject,
            )
        ]


def _chairs(settings: Settings) -> tuple[Party, ...]:
    roles = settings.roles
    return tuple(Party(p.name, p.email) for p in (*roles.chair, *roles.vice_chair))


def _meeting_in_focus(meetings: Sequence[Meeting], now: datetime) -> Meeting | None:
    """The next meeting, else the latest one."""
    upcoming = [m for m in meetings if m.end > now]
    if upcoming:
        return min(upcoming, key=lambda m: m.start)
    return max(meetings, key=lambda m: m.start, default=None)
