"""What the chairs' warnings, the daily digest and the meeting report say: the data, read from
the database and arranged for the templates.

    context = await meeting_overview(db, settings, meeting, now)      # chairs, report
    context = await digest_overview(db, settings, since, until)       # secretariat

Only reading happens here; the arranging (`summarise_*`) is pure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from reflector.config import Meeting, Settings
from reflector.store.db import Database
from reflector.store.models import Message, Outbox
from reflector.store.records import (
    DocumentEntry,
    LiaisonEntry,
    RegistrationEntry,
    fetch_documents,
    fetch_liaisons,
    fetch_registrations,
)

WAITING = ("held", "quarantined")
FAILURES_SHOWN_FOR = timedelta(days=7)  # a failed mail stays in the digest this long
UPCOMING = timedelta(days=30)  # deadlines shown in the digest


def summarise_registrations(entries: Sequence[RegistrationEntry]) -> dict[str, Any]:
    people: list[dict[str, Any]] = [
        {
            "name": e.person.name or e.person.email,
            "email": e.person.email,
            "organisation": e.person.organisation or "(organisation not given)",
            "mode": e.registration.mode or "mode not given",
            "late": e.registration.late,
        }
        for e in entries
        if e.registration.status == "registered"
    ]
    by_org: dict[str, list[dict[str, Any]]] = {}
    for person in sorted(people, key=lambda p: (p["organisation"].casefold(), p["name"])):
        by_org.setdefault(person["organisation"], []).append(person)
    modes = Counter(p["mode"] for p in people)
    return {
        "people": people,
        "by_organisation": by_org,
        "in_person": modes.get("in-person", 0),
        "remote": modes.get("remote", 0),
        "mode_unknown": modes.get("mode not given", 0),
        "cancelled": sum(1 for e in entries if e.registration.status == "cancelled"),
        "late": sum(1 for p in people if p["late"]),
    }


def summarise_documents(entries: Sequence[DocumentEntry]) -> dict[str, Any]:
    docs = [
        {
            "number": e.number,
            "title": e.document.title or "(no title)",
            "source": e.document.source or "source not given",
            "late": e.document.late,
            "received_at": e.document.received_at,
            "files": [f.filename for f in e.files],
        }
        for e in entries
    ]
    return {"list": docs, "late": [d for d in docs if d["late"]], "count": len(docs)}


def summarise_liaisons(entries: Sequence[LiaisonEntry], today: Any) -> dict[str, Any]:
    items = [
        {
            "number": e.liaison.number,
            "source": " ".join(x for x in (e.liaison.source_body, e.liaison.group_name) if x)
            or "(body not recognised)",
            "title": e.liaison.title or "(no title)",
            "for": e.liaison.for_ or "not stated",
            "deadline": e.liaison.deadline,
            "status": e.liaison.status,
            "overdue": bool(
                e.liaison.status == "open" and e.liaison.deadline and e.liaison.deadline < today
            ),
        }
        for e in entries
    ]
    awaiting = [i for i in items if i["status"] == "open" and i["for"] in ("action", "comment")]
    return {
        "list": items,
        "awaiting_reply": awaiting,
        "overdue": [i for i in awaiting if i["overdue"]],
    }


async def waiting_messages(db: Database) -> list[dict[str, Any]]:
    """Held and quarantined messages: what the secretariat still has to decide."""
    async with db.read() as session:
        rows = await session.scalars(
            select(Message).where(col(Message.status).in_(WAITING)).order_by(col(Message.id))
        )
        return [
            {
                "id": m.id,
                "status": m.status,
                "subject": m.subject or "(no subject)",
                "from": m.from_addr or "?",
                "reason": m.reason,
                "kind": m.kind,
            }
            for m in rows.all()
        ]


async def meeting_overview(
    db: Database, settings: Settings, meeting: Meeting, now: datetime
) -> dict[str, Any]:
    """Registrations, inputs, liaison statements awaiting a reply, and what is waiting."""
    today = now.astimezone(meeting.zone).date()
    registrations = await fetch_registrations(db, meeting=meeting.id)
    documents = await fetch_documents(db, meeting=meeting.id)
    liaisons = await fetch_liaisons(db)  # every liaison: an open one matters whenever it came
    return {
        "registrations": summarise_registrations(registrations),
        "documents": summarise_documents(documents),
        "liaisons": summarise_liaisons(liaisons, today),
        "waiting": await waiting_messages(db),
    }


async def digest_overview(
    db: Database, settings: Settings, since: datetime, until: datetime
) -> dict[str, Any]:
    """Everything the secretariat should see once a day (see templates/digest)."""
    async with db.read() as session:
        received = (
            await session.scalars(
                select(Message)
                .where(col(Message.received_at) > since, col(Message.received_at) <= until)
                .order_by(col(Message.id))
            )
        ).all()
        failures = (
            await session.scalars(
                select(Outbox)
                .where(
                    col(Outbox.status).in_(("failed", "expired")),
                    col(Outbox.created_at) > until - FAILURES_SHOWN_FOR,
                )
                .order_by(col(Outbox.id))
            )
        ).all()
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for m in received:
        if m.status in WAITING or m.status == "received":
            continue  # listed under "waiting for you" (or not processed yet)
        by_kind.setdefault(m.kind or m.status, []).append(
            {
                "id": m.id,
                "subject": m.subject or "(no subject)",
                "from": m.from_addr or "?",
                "status": m.status,
                "reasons": list(m.reasons[:2]),
                "workflow": (m.actions or {}).get("workflow"),
                "effects": list((m.actions or {}).get("effects", []))[:4],
            }
        )
    waiting = await waiting_messages(db)
    failed = [
        {
            "key": o.idem_key,
            "subject": o.subject,
            "status": o.status,
            "to": ", ".join(o.envelope_to),
            "replies": {
                r: f"{v.get('code')} {v.get('text', '')}".strip()
                for r, v in (o.last_replies or {}).items()
                if v.get("state") != "sent"
            },
        }
        for o in failures
    ]
    return {
        "since": since,
        "until": until,
        "received": by_kind,
        "received_count": sum(len(v) for v in by_kind.values()),
        "waiting": waiting,
        "failures": failed,
        "upcoming": upcoming_deadlines(settings.meetings, until),
        "empty": not by_kind and not waiting and not failed,
    }


def upcoming_deadlines(meetings: Sequence[Meeting], now: datetime) -> list[dict[str, Any]]:
    """Deadlines and meeting starts in the next 30 days, soonest first (pure)."""
    found = []
    for meeting in meetings:
        moments = [*meeting.deadlines(), ("meeting starts", meeting.start)]
        for name, moment in moments:
            if now < moment <= now + UPCOMING:
                label = name if name == "meeting starts" else f"{name} deadline"
                found.append(
                    {
                        "meeting": meeting.title,
                        "what": label,
                        "at": moment,
                        "zone": meeting.timezone,
                    }
                )
    return sorted(found, key=lambda d: d["at"])
