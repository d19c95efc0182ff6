"""The secretariat's corrections: release a held message, reject one, or say what it really is.

    result = await correct(db, engine, policy, parse_command("reclassify 12 contribution"),
                           by="command line", now=now)
    print(result.summary())

A correction re-runs the workflows for the message, in one transaction with the correction's
row (every correction is stored: `reflector eval` can score the classifier against them). It
never sends twice what was already sent correctly: the outbox keys of a re-run are the original
ones when the kind stays (so only mail not sent before goes out, e.g. a held message's first
acknowledgement), except the answer to the sender, which gets a new key when its content was
corrected; when the kind changes, every mail of the new kind is new (`ack:<id>#contribution`).
Records filed under a wrong kind are kept (a number once given stays taken) and listed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.classify import Verdict
from reflector.classify.extract import extract
from reflector.classify.view import MailView
from reflector.commands import Command, with_overrides
from reflector.engine.effects import SendMail
from reflector.errors import ReflectorError
from reflector.store.db import Database
from reflector.store.models import (
    Correction,
    Document,
    Liaison,
    Message,
    Outbox,
    RawMessage,
    Registration,
)
from reflector.understand import Outcome, Policy, understand
from reflector.values import Kind, MessageStatus

if TYPE_CHECKING:
    from reflector.engine.apply import Engine

ACTIONABLE = frozenset({Kind.REGISTRATION, Kind.CONTRIBUTION, Kind.LIAISON})
ACTIONABLE |= {Kind.POST, Kind.COMMAND, Kind.OTHER}


class CorrectionError(ReflectorError):
    """The correction cannot be made; the text says why and what to do instead."""


@dataclass
class CorrectionResult:
    message_pk: int
    action: str
    before: str
    after: str
    mail: list[str] = field(default_factory=list)  # outbox keys of the mail the re-run queued
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"message #{self.message_pk}: {self.before} -> {self.after}"]
        lines += [f"  queued: {key}" for key in self.mail]
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


async def target_of(session: AsyncSession, ref: str | None, in_reply_to: str | None) -> int:
    """The row number a command is about: `12`, `#12`, `<message-id>`, or (no ref) the message
    whose forward or digest the command mail answers."""
    if ref is not None:
        cleaned = ref.strip().strip("<>")
        if cleaned.lstrip("#").isdigit():
            return int(cleaned.lstrip("#"))
        pk = await session.scalar(
            select(func.min(col(Message.id))).where(col(Message.message_id) == cleaned)
        )
        if pk is None:
            raise CorrectionError(f"no message with Message-ID <{cleaned}>")
        return int(pk)
    if in_reply_to:
        pk = await session.scalar(
            select(col(Outbox.cause_pk)).where(col(Outbox.message_id) == in_reply_to)
        )
        if pk is not None:
            return int(pk)
    raise CorrectionError("which message? give its number, e.g. `release 12`")


async def correct(
    db: Database,
    engine: Engine,
    policy: Policy,
    command: Command,
    *,
    by: str,
    now: datetime,
) -> CorrectionResult:
    async with db.write() as session:
        pk = await target_of(session, command.ref, None)
        return await correct_in(session, engine, policy, command, pk, by=by, now=now)


async def correct_in(
    session: AsyncSession,
    engine: Engine,
    policy: Policy,
    command: Command,
    pk: int,
    *,
    by: str,
    now: datetime,
) -> CorrectionResult:
    """Carry out `command` on message `pk` inside the caller's transaction."""
    message = await session.scalar(select(Message).where(col(Message.id) == pk).with_for_update())
    if message is None:
        raise CorrectionError(f"no message #{pk}")
    before = f"{message.status}: {message.kind or 'unread'}"
    if message.status == MessageStatus.RECEIVED:
        raise CorrectionError(f"message #{pk} is not processed yet; try again in a moment")
    corrections = await session.scalar(
        select(func.count()).select_from(Correction).where(col(Correction.message_pk) == pk)
    )
    session.add(
        Correction(
            message_pk=pk,
            action=command.action,
            from_kind=message.kind,
            to_kind=command.kind.value if command.kind else None,
            fields=dict(command.fields),
            by=by,
            reason=command.reason,
            at=now,
        )
    )
    if command.action == "reject":
        message.status = MessageStatus.IGNORED.value
        message.reason = f"rejected by {by}" + (f": {command.reason}" if command.reason else "")
        return CorrectionResult(pk, "reject", before, f"{message.status}: {message.kind}")

    raw = await session.get(RawMessage, message.raw_id)
    assert raw is not None
    outcome = understand(raw.data, policy)
    if outcome.parsed is None or outcome.verdict is None or outcome.screening is None:
        raise CorrectionError(f"message #{pk} cannot be acted on: {outcome.reason}")
    result = CorrectionResult(pk, command.action, before, "")
    if command.action == "release":
        if message.status == MessageStatus.PROCESSED:
            raise CorrectionError(f"message #{pk} is processed already: nothing to release")
        kind = Kind(message.kind) if message.kind else outcome.verdict.kind
        if kind not in ACTIONABLE:
            hint = f"reclassify it to act on it (`reclassify {pk} KIND`)"
            raise CorrectionError(f"message #{pk} reads as {kind}: {hint}")
        verdict = dataclasses.replace(outcome.verdict, kind=kind)
        suffix = ("", "")
        reason = f"released by {by}"
    else:
        assert command.kind is not None
        fields = extract(command.kind, MailView.of(outcome.parsed, policy.site))
        fields = with_overrides(command.kind, fields, command.fields)
        old = message.kind or "unread"
        verdict = Verdict(
            command.kind,
            1.0,
            (f"corrected by {by}: {old} -> {command.kind}", *message.reasons[:3]),
            fields,
            ((command.kind, 1.0),),
        )
        acted_before = bool(message.actions)
        if acted_before and old != command.kind.value:
            suffix = (f"#{command.kind}", "")
        elif acted_before:
            suffix = ("", f"#c{(corrections or 0) + 1}")
        else:
            suffix = ("", "")
        reason = f"{command.kind} (corrected by {by})"
        result.notes += await _filed_before(session, pk, old, command.kind.value)
    message.kind = verdict.kind.value
    message.confidence = verdict.confidence
    message.reasons = list(verdict.reasons)
    message.fields = dict(verdict.fields)
    message.status = MessageStatus.PROCESSED.value
    message.reason = reason
    message.processed_at = now
    corrected = Outcome(MessageStatus.PROCESSED, reason, outcome.parsed, outcome.screening, verdict)
    plan = await engine.act(
        session, message, corrected, now, key_suffix=suffix[0], reply_suffix=suffix[1]
    )
    if plan is not None:
        result.mail = [e.key for e in plan.effects if isinstance(e, SendMail)]
        result.notes += list(plan.notes)
    result.after = f"{message.status}: {message.kind}"
    return result


async def _filed_before(session: AsyncSession, pk: int, old: str, new: str) -> list[str]:
    """What the message filed under its earlier kind (kept: numbers once given stay taken)."""
    if old == new:
        return []
    found = [
        f"{d.number}{'R' + str(d.revision) if d.revision else ''}"
        for d in (await session.scalars(select(Document).where(col(Document.message_pk) == pk)))
    ]
    found += [
        ls.number
        for ls in (await session.scalars(select(Liaison).where(col(Liaison.message_pk) == pk)))
    ]
    registrations = await session.scalar(
        select(func.count()).select_from(Registration).where(col(Registration.message_pk) == pk)
    )
    if registrations:
        found.append(f"{registrations} registration(s)")
    if not found:
        return []
    return [f"filed earlier as {old}, kept: {', '.join(found)}"]
