"""The engine's shell: read the records a plan needs, then carry the plan out.

    engine = Engine.from_settings(settings)          # loads workflows/ and templates/
    await engine.act(session, message, outcome, now) # inside the message's write transaction

Everything a message causes — its status, the records it files and every mail it sends (as
outbox rows) — is written in the one transaction that marks it processed, so a crash leaves
either all of it or none of it. Mail is only *queued* here; the outbox sender delivers it later.

A plan that cannot be carried out (a template that fails, a subject that would inject headers,
a workflow condition that breaks) changes nothing: the effects are rolled back to a savepoint
and the message is quarantined with the reason, for the secretariat to see.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.config import Meeting, Settings
from reflector.engine.effects import (
    Effect,
    FileFact,
    RunCommand,
    SaveDocument,
    SaveLiaison,
    SavePerson,
    SaveRegistration,
    SendMail,
    SetStatus,
)
from reflector.engine.facts import (
    DocumentFact,
    Inbound,
    Records,
    RegistrationFact,
    inbound_from,
    resolve_meeting,
)
from reflector.engine.numbering import per_meeting, per_year
from reflector.engine.plan import Plan, WorkflowError, plan
from reflector.engine.workflow import WorkflowSet, load_workflows_or_raise
from reflector.errors import ReflectorError
from reflector.mail.compose import Envelope, Party, compose, message_id_for
from reflector.mail.parse import ParsedMessage
from reflector.outbox import OutgoingMail, enqueue, replies_since
from reflector.render import Renderer, shipped_dir
from reflector.store.models import (
    Document,
    DocumentFile,
    Liaison,
    Message,
    Person,
    RawMessage,
    Registration,
)
from reflector.understand import Outcome
from reflector.values import Kind

log = logging.getLogger(__name__)

RATE_WINDOW = timedelta(hours=1)
_NUMBERING_LOCK = 0x7265666C  # "refl": one PostgreSQL advisory lock for all numbering


@dataclass(frozen=True)
class Engine:
    settings: Settings
    workflows: WorkflowSet
    renderer: Renderer

    @classmethod
    def from_settings(cls, settings: Settings) -> Engine:
        """Load and check the site's workflows and templates; ConfigError lists any problem."""
        renderer = Renderer(settings.templates_dir)
        return cls(
            settings, load_workflows_or_raise(workflows_dir(settings), renderer.names()), renderer
        )

    async def act(
        self,
        session: AsyncSession,
        message: Message,
        outcome: Outcome,
        now: datetime,
        *,
        key_suffix: str = "",
        reply_suffix: str = "",
    ) -> Plan | None:
        """Run the workflows for one processed message, inside the caller's transaction.

        The suffixes are for re-runs after a correction (see reflector/corrections.py).
        """
        if outcome.parsed is None or outcome.verdict is None or outcome.screening is None:
            return None
        assert message.id is not None
        inbound = inbound_from(
            outcome.parsed,
            outcome.verdict,
            outcome.screening,
            pk=message.id,
            received_at=message.received_at,
        )
        inbound = dataclasses.replace(inbound, key_suffix=key_suffix, reply_suffix=reply_suffix)
        if inbound.kind in (Kind.CONTRIBUTION, Kind.LIAISON):
            await _lock_numbering(session)
        try:
            records = await load_records(session, self.settings, inbound, now)
            result = plan(self.workflows, inbound, records, self.settings, now)
        except WorkflowError as error:
            _set_status(message, "quarantined", f"workflow error: {error}")
            return None
        try:
            async with session.begin_nested():
                await self._carry_out(session, message, inbound, outcome.parsed, result, now)
        except (ReflectorError, ValueError) as error:
            # e.g. RenderError, or a rendered header with a line break (header injection)
            message.actions = {**result.trace(), "error": str(error)}
            _set_status(message, "quarantined", f"could not act on it: {error}")
            return result
        message.actions = result.trace()
        return result

    async def _carry_out(
        self,
        session: AsyncSession,
        message: Message,
        inbound: Inbound,
        parsed: ParsedMessage,
        result: Plan,
        now: datetime,
    ) -> None:
        mails: list[OutgoingMail] = []
        done: dict[str, Any] = {}  # what RunCommand effects did, for the mail that reports it
        for effect in result.effects:
            if isinstance(effect, SendMail):
                if done:
                    effect = dataclasses.replace(effect, context={**effect.context, **done})
                mails.append(await self._mail(session, message, inbound, effect, now))
            elif isinstance(effect, RunCommand):
                done["command"] = await self._command(session, inbound, effect, now)
            else:
                await _save(session, effect, message, parsed, now)
        if mails:
            fresh = await enqueue(session, mails, now)
            for mail, new in zip(mails, fresh, strict=True):
                if not new:
                    log.info("message #%d: %s was queued before", message.id, mail.idem_key)

    async def _command(
        self, session: AsyncSession, inbound: Inbound, effect: RunCommand, now: datetime
    ) -> dict[str, Any]:
        """A secretariat command received by mail; errors are reported, not raised."""
        from reflector.corrections import CorrectionError, correct_in, target_of
        from reflector.understand import policy_from_settings

        by = inbound.from_email or "mail"
        try:
            pk = await target_of(session, effect.command.ref, inbound.in_reply_to)
            async with session.begin_nested():
                result = await correct_in(
                    session,
                    self,
                    policy_from_settings(self.settings),
                    effect.command,
                    pk,
                    by=by,
                    now=now,
                )
        except (CorrectionError, ReflectorError, ValueError) as error:
            return {"ok": False, "summary": f"not done: {error}"}
        return {"ok": True, "summary": result.summary()}

    async def _mail(
        self,
        session: AsyncSession,
        message: Message,
        inbound: Inbound,
        effect: SendMail,
        now: datetime,
    ) -> OutgoingMail:
        settings = self.settings
        rendered = self.renderer.render(effect.template, effect.context)
        message_id = message_id_for(effect.key, settings.outbox.message_id_domain)
        original = None
        if effect.attach_original:
            raw = await session.get(RawMessage, message.raw_id)
            original = raw.data if raw is not None else None
        envelope = Envelope(
            sender=Party(f"{settings.group.name} secretariat", settings.addresses.secretariat),
            to=effect.to,
            date=now,
            message_id=message_id,
            reply_to=effect.reply_to,
            in_reply_to=inbound.message_id if effect.in_reply else None,
            references=inbound.references if effect.in_reply else (),
            auto_submitted="auto-replied" if effect.in_reply else "auto-generated",
            loop_marker=settings.addresses.secretariat,
            forwarded=original,
        )
        return OutgoingMail(
            idem_key=effect.key,
            purpose=effect.purpose,
            message_id=message_id,
            envelope_from=settings.addresses.secretariat,
            envelope_to=tuple(p.email for p in effect.to),
            data=compose(envelope, rendered),
            subject=rendered.subject,
            rate_key=effect.rate_key,
            cause_pk=message.id,
        )


def workflows_dir(settings: Settings) -> Path:
    """The site's workflows folder, or the shipped one when the site has none."""
    if settings.workflows_dir.is_dir():
        return settings.workflows_dir
    return shipped_dir("workflows")


def _set_status(message: Message, status: str, reason: str) -> None:
    message.status = status
    message.reason = reason[:2000]
    log.info("message #%s <%s>: %s — %s", message.id, message.message_id, status, reason)


async def _lock_numbering(session: AsyncSession) -> None:
    """Serialise numbering between workers (SQLite's write lock already does it)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NUMBERING_LOCK})


# ---------------------------------------------------------------------------- reading


async def load_records(
    session: AsyncSession, settings: Settings, inbound: Inbound, now: datetime
) -> Records:
    """The rows a plan for `inbound` may need, and nothing else."""
    named = inbound.fields.get("meeting")
    meeting, _ = resolve_meeting(named if isinstance(named, str) else None, settings.meetings, now)
    registrations: dict[str, RegistrationFact] = {}
    documents: tuple[DocumentFact, ...] = ()
    last_liaison = 0
    if inbound.kind is Kind.REGISTRATION and meeting is not None:
        registrations = await _registrations(session, meeting, _emails(inbound))
    if inbound.kind is Kind.CONTRIBUTION and meeting is not None:
        documents = await _documents(session, settings, meeting, inbound.received_at)
    if inbound.kind is Kind.LIAISON:
        last_liaison = await _last_liaison_seq(session, settings, inbound.received_at)
    replies = 0
    if inbound.reply_email:
        replies = await replies_since(session, inbound.reply_email, now - RATE_WINDOW)
    registered = False
    if inbound.from_email:
        found = await session.scalar(
            select(func.count())
            .select_from(Registration)
            .join(Person, col(Person.id) == col(Registration.person_id))
            .where(
                col(Person.email) == inbound.from_email, col(Registration.status) == "registered"
            )
        )
        registered = bool(found)
    return Records(registrations, documents, last_liaison, replies, registered)


def _emails(inbound: Inbound) -> list[str]:
    people = [*(inbound.fields.get("people") or []), *(inbound.fields.get("replaces") or [])]
    found = {str(p["email"]).casefold() for p in people if isinstance(p, dict) and p.get("email")}
    if inbound.from_email:
        found.add(inbound.from_email)
    return sorted(found)


async def _registrations(
    session: AsyncSession, meeting: Meeting, emails: Sequence[str]
) -> dict[str, RegistrationFact]:
    rows = await session.execute(
        select(col(Person.email), col(Registration.mode), col(Registration.status))
        .join(Person, col(Person.id) == col(Registration.person_id))
        .where(col(Registration.meeting) == meeting.id, col(Person.email).in_(emails))
    )
    return {email: RegistrationFact(email, mode, status) for email, mode, status in rows}


def _year_bounds(moment: datetime) -> tuple[datetime, datetime]:
    return datetime(moment.year, 1, 1, tzinfo=UTC), datetime(moment.year + 1, 1, 1, tzinfo=UTC)


async def _documents(
    session: AsyncSession, settings: Settings, meeting: Meeting, received: datetime
) -> tuple[DocumentFact, ...]:
    pattern = settings.numbering.contribution
    query = select(Document).order_by(col(Document.id))
    if per_meeting(pattern):
        query = query.where(col(Document.meeting) == meeting.id)
    elif per_year(pattern):
        start, end = _year_bounds(received)
        query = query.where(col(Document.received_at) >= start, col(Document.received_at) < end)
    docs = (await session.scalars(query)).all()
    ids = [d.id for d in docs]
    hashes: dict[int, list[str]] = {}
    senders: dict[int, str | None] = {}
    if ids:
        for doc_id, digest in await session.execute(
            select(col(DocumentFile.document_id), col(DocumentFile.sha256)).where(
                col(DocumentFile.document_id).in_(ids)
            )
        ):
            hashes.setdefault(doc_id or 0, []).append(digest)
        pks = [d.message_pk for d in docs if d.message_pk is not None]
        for pk, sender in await session.execute(
            select(col(Message.id), col(Message.from_addr)).where(col(Message.id).in_(pks))
        ):
            senders[pk or 0] = sender
    return tuple(
        DocumentFact(
            d.number,
            d.seq,
            d.revision,
            d.title,
            d.source,
            senders.get(d.message_pk) if d.message_pk else None,
            tuple(hashes.get(d.id or 0, [])),
            d.message_pk,
        )
        for d in docs
    )


async def _last_liaison_seq(session: AsyncSession, settings: Settings, received: datetime) -> int:
    query = select(func.max(col(Liaison.seq)))
    if per_year(settings.numbering.liaison):
        start, end = _year_bounds(received)
        query = query.where(col(Liaison.received_at) >= start, col(Liaison.received_at) < end)
    return int(await session.scalar(query) or 0)


# ---------------------------------------------------------------------------- writing


async def _save(
    session: AsyncSession, effect: Effect, message: Message, parsed: ParsedMessage, now: datetime
) -> None:
    if isinstance(effect, SavePerson):
        await _person(session, effect, now)
    elif isinstance(effect, SaveRegistration):
        person = await _person(session, SavePerson(effect.email, None, None), now)
        row = await session.scalar(
            select(Registration).where(
                col(Registration.meeting) == effect.meeting,
                col(Registration.person_id) == person.id,
            )
        )
        if row is None:
            assert person.id is not None
            row = Registration(
                meeting=effect.meeting, person_id=person.id, created_at=now, updated_at=now
            )
            session.add(row)
        row.mode, row.status, row.message_pk, row.updated_at = (
            effect.mode,
            effect.status,
            message.id,
            now,
        )
        if effect.status == "registered":
            row.late = effect.late
    elif isinstance(effect, SaveDocument) and effect.existing:
        row = await session.scalar(
            select(Document).where(
                col(Document.number) == effect.number, col(Document.revision) == effect.revision
            )
        )
        if row is not None:
            row.title, row.source = effect.title, effect.source
    elif isinstance(effect, SaveDocument):
        document = Document(
            meeting=effect.meeting,
            number=effect.number,
            seq=effect.seq,
            revision=effect.revision,
            title=effect.title,
            source=effect.source,
            late=effect.late,
            message_pk=message.id,
            received_at=message.received_at,
        )
        session.add(document)
        await session.flush()
        _files(session, effect.files, parsed, document_id=document.id)
    elif isinstance(effect, SaveLiaison):
        liaison = Liaison(
            number=effect.number,
            seq=effect.seq,
            source_body=effect.source_body,
            group_name=effect.group,
            title=effect.title,
            for_=effect.for_,
            deadline=effect.deadline,
            contact=effect.contact,
            message_pk=message.id,
            received_at=message.received_at,
        )
        session.add(liaison)
        await session.flush()
        _files(session, effect.files, parsed, liaison_id=liaison.id)
    elif isinstance(effect, SetStatus):
        _set_status(message, effect.status, effect.reason)


async def _person(session: AsyncSession, effect: SavePerson, now: datetime) -> Person:
    """One row per address; name and organisation as last given."""
    person = await session.scalar(select(Person).where(col(Person.email) == effect.email))
    if person is None:
        person = Person(email=effect.email, name=effect.name or "", created_at=now, updated_at=now)
        session.add(person)
    if effect.name:
        person.name = effect.name
    if effect.organisation:
        person.organisation = effect.organisation
    person.updated_at = now
    await session.flush()
    return person


def _files(
    session: AsyncSession, files: Sequence[FileFact], parsed: ParsedMessage, **owner: Any
) -> None:
    payloads = {a.sha256: a.payload for a in parsed.attachments}
    for file in files:
        session.add(
            DocumentFile(
                filename=file.name,
                content_type=file.content_type,
                size=file.size,
                sha256=file.sha256,
                data=payloads.get(file.sha256, b""),
                **owner,
            )
        )
