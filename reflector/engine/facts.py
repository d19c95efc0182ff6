"""What a plan is computed from: the message (`Inbound`), the records it touches (`Records`),
and the names conditions and templates see (`facts`) — all pure values.

    inbound = inbound_from(parsed, verdict, screening, pk=7, received_at=t)
    facts = build_facts(inbound, records, settings, meeting, now, vars={})
    facts["meeting"]["title"], facts["after_deadline"], facts["sender"]["roles"]

Lateness is judged by when the message *arrived*, not when it was processed: a registration
that came in at 23:58 and was processed after a restart at 00:10 is on time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reflector.classify import Verdict
from reflector.config import Meeting, Settings
from reflector.engine.effects import FileFact
from reflector.mail.fields import mailable
from reflector.mail.parse import ParsedMessage
from reflector.mail.screen import Screening
from reflector.values import Kind

TEXT_EXCERPT = 6000  # characters of the body kept for finding references (document numbers)


@dataclass(frozen=True)
class Inbound:
    """One processed message, as much of it as workflows need."""

    pk: int
    message_id: str | None
    kind: Kind
    confidence: float
    reasons: tuple[str, ...]
    fields: Mapping[str, Any]
    subject: str
    from_email: str | None
    from_name: str
    reply_email: str | None  # Reply-To if given, else From (RFC 5322 s.3.6.2); None if invalid
    reply_name: str
    date: datetime | None
    received_at: datetime
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str  # an excerpt of the body
    files: tuple[FileFact, ...]
    no_reply: bool  # screening: never answer automatically
    list_id: str | None
    authenticated: bool = False  # our MTA proves the From address (Screening.sender_proven)
    # After a correction (reflector/corrections.py): appended to every outbox key when the
    # kind changed, or to the answer's key only when the same kind was corrected.
    key_suffix: str = ""
    reply_suffix: str = ""

    @property
    def key_id(self) -> str:
        """What outbox keys are made of: the Message-ID, or our row number when it has none."""
        return (self.message_id or f"message-{self.pk}") + self.key_suffix

    @property
    def reply_key_id(self) -> str:
        return self.key_id + self.reply_suffix


def inbound_from(
    parsed: ParsedMessage,
    verdict: Verdict,
    screening: Screening,
    *,
    pk: int,
    received_at: datetime,
) -> Inbound:
    sender = parsed.from_
    answer = parsed.reply_to[0] if parsed.reply_to else sender
    return Inbound(
        pk=pk,
        message_id=parsed.message_id,
        kind=verdict.kind,
        confidence=verdict.confidence,
        reasons=verdict.reasons,
        fields=dict(verdict.fields),
        subject=parsed.subject,
        from_email=sender.email.casefold() if sender else None,
        from_name=sender.name if sender else "",
        reply_email=mailable(answer.email) if answer else None,
        reply_name=answer.name if answer else "",
        date=parsed.date,
        received_at=received_at,
        in_reply_to=parsed.in_reply_to,
        references=parsed.references,
        text=parsed.text[:TEXT_EXCERPT],
        files=tuple(
            FileFact(a.filename, a.content_type, a.size, a.sha256)
            for a in parsed.attachments
            if not a.inline
        ),
        no_reply=screening.no_reply,
        list_id=screening.list_id,
        authenticated=screening.sender_proven,
    )


@dataclass(frozen=True)
class RegistrationFact:
    email: str
    mode: str | None
    status: str  # "registered" | "cancelled"


@dataclass(frozen=True)
class DocumentFact:
    number: str
    seq: int
    revision: int
    title: str | None
    source: str | None
    from_addr: str | None
    sha256s: tuple[str, ...]
    message_pk: int | None = None  # the message that filed it


@dataclass(frozen=True)
class Records:
    """The rows a plan needs, read by the shell in the plan's transaction."""

    registrations: Mapping[str, RegistrationFact] = field(default_factory=dict)  # by email
    documents: tuple[DocumentFact, ...] = ()  # in the numbering scope of the meeting
    last_liaison_seq: int = 0  # in the liaison numbering scope
    replies_last_hour: int = 0  # automatic replies already queued to the reply address
    sender_registered: bool = False  # for any meeting


def open_meetings(meetings: tuple[Meeting, ...], now: datetime) -> list[Meeting]:
    return [m for m in meetings if m.end > now]


def resolve_meeting(
    named: str | None, meetings: tuple[Meeting, ...], now: datetime
) -> tuple[Meeting | None, str]:
    """The meeting a message is about, and how we know; None when we must ask.

    A meeting the message names wins; else the only meeting still to come; else nothing:
    with several open meetings and no mention we ask the sender rather than guess.
    """
    if named:
        for meeting in meetings:
            if meeting.id == named:
                return meeting, f"the message names meeting {named}"
        return None, f"the message names meeting {named!r}, which we do not know"
    upcoming = open_meetings(meetings, now)
    if len(upcoming) == 1:
        return upcoming[0], f"{upcoming[0].title} is the only meeting to come"
    if not upcoming:
        return None, "no meeting is planned"
    names = ", ".join(m.id for m in upcoming)
    return None, f"the message does not say which meeting, and {len(upcoming)} are open ({names})"


def meeting_facts(meeting: Meeting) -> dict[str, Any]:
    return {
        "id": meeting.id,
        "title": meeting.title,
        "place": meeting.place,
        "timezone": meeting.timezone,
        "start": meeting.start,
        "end": meeting.end,
        "in_person": meeting.in_person,
        "remote": meeting.remote,
        "registration_deadline": meeting.registration_deadline,
        "input_deadline": meeting.input_deadline,
    }


def site_facts(settings: Settings) -> dict[str, Any]:
    """`group` and `addresses`, as every template sees them (also the scheduled mail's)."""
    return {
        "group": {
            "name": settings.group.name,
            "title": settings.group.title,
            "timezone": settings.group.timezone,
        },
        "addresses": {
            "secretariat": settings.addresses.secretariat,
            "reflector": settings.addresses.reflector,
        },
    }


def _deadline(kind: Kind, meeting: Meeting | None) -> datetime | None:
    if meeting is None:
        return None
    if kind is Kind.REGISTRATION:
        return meeting.registration_deadline
    if kind is Kind.CONTRIBUTION:
        return meeting.input_deadline
    return None


def sender_roles(email: str | None, settings: Settings, records: Records) -> list[str]:
    if not email:
        return []
    roles = settings.roles
    found = [
        name
        for name, people in (
            ("secretariat", roles.secretariat),
            ("chair", roles.chair),
            ("vice_chair", roles.vice_chair),
        )
        if any(p.email.casefold() == email for p in people)
    ]
    if records.sender_registered:
        found.append("registered")
    return found


def _kind_fields(inbound: Inbound) -> dict[str, Any]:
    """The classifier's fields under the kind's name, plus conveniences for conditions."""
    fields = dict(inbound.fields)
    if inbound.kind is Kind.REGISTRATION:
        people = list(fields.get("people") or [])
        modes = {p.get("mode") for p in people if p.get("mode")}
        fields.setdefault("action", "register")
        fields["people"] = people
        fields["mode"] = modes.pop() if len(modes) == 1 else None
    elif inbound.kind is Kind.LIAISON:
        fields.setdefault("for", None)
        fields.setdefault("deadline", None)
    return {inbound.kind.value: fields} if inbound.kind in _WITH_FIELDS else {}


_WITH_FIELDS = (Kind.REGISTRATION, Kind.CONTRIBUTION, Kind.LIAISON)


def build_facts(
    inbound: Inbound,
    records: Records,
    settings: Settings,
    meeting: Meeting | None,
    meeting_reason: str,
    now: datetime,
    variables: Mapping[str, Any],
) -> dict[str, Any]:
    """The names a workflow's conditions and templates may use (see docs/workflows.md)."""
    deadline = _deadline(inbound.kind, meeting)
    upcoming = open_meetings(settings.meetings, now)
    return {
        "now": now,
        "kind": inbound.kind.value,
        "confidence": inbound.confidence,
        "reasons": list(inbound.reasons),
        **site_facts(settings),
        "message": {
            "id": inbound.message_id,
            "subject": inbound.subject,
            "from": inbound.from_email,
            "name": inbound.from_name,
            "date": inbound.date,
            "received_at": inbound.received_at,
            "files": [f.__dict__ for f in inbound.files],
            "list_id": inbound.list_id,
        },
        "sender": {
            "email": inbound.reply_email,
            "name": inbound.reply_name or inbound.from_name,
            "roles": sender_roles(inbound.from_email, settings, records),
            "no_reply": inbound.no_reply,
            "authenticated": inbound.authenticated,
        },
        "meeting": meeting_facts(meeting) if meeting else None,
        "meeting_reason": meeting_reason,
        "meetings_open": [meeting_facts(m) for m in upcoming],
        "deadline": deadline,
        "after_deadline": bool(deadline and inbound.received_at > deadline),
        **_kind_fields(inbound),
    }
