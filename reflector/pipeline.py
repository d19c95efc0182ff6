"""The processing loop: take `received` messages through understand() to their status.

Each message is decided and saved in its own transaction, so a crash leaves every message
either untouched (`received`, done again on restart) or finished. Several workers may run on
PostgreSQL: rows are claimed with FOR UPDATE SKIP LOCKED.

    report = await process_pending(db, policy, now=clock.now())
    report.counts   # {"processed": 3, "ignored": 1}
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.store.db import Database
from reflector.store.models import Message, RawMessage
from reflector.understand import Outcome, Policy, understand
from reflector.values import MessageStatus

log = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    counts: Counter[str] = field(default_factory=Counter)
    message_pks: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def process_pending(
    db: Database, policy: Policy, now: datetime, *, limit: int | None = None, batch: int = 200
) -> ProcessReport:
    """Process every `received` message (up to `limit`), oldest first; returns what happened."""
    report = ProcessReport()
    while limit is None or report.total < limit:
        async with db.read() as session:
            pks = (
                await session.scalars(
                    select(col(Message.id))
                    .where(col(Message.status) == MessageStatus.RECEIVED.value)
                    .order_by(col(Message.id))
                    .limit(batch)
                )
            ).all()
        if not pks:
            break
        progressed = False
        for pk in pks:
            assert pk is not None  # primary key
            if limit is not None and report.total >= limit:
                break
            status = await _process_one(db, policy, pk, now)
            if status is not None:
                progressed = True
                report.counts[status] += 1
                report.message_pks.append(pk)
        if not progressed:
            break  # every row was taken by another worker
    return report


async def _process_one(db: Database, policy: Policy, pk: int, now: datetime) -> str | None:
    # Understand first, outside any write transaction: on SQLite a write transaction holds the
    # one write lock, and intake must not wait while a big message is parsed.
    async with db.read() as session:
        raw = await session.scalar(
            select(col(RawMessage.data))
            .join(Message, col(Message.raw_id) == col(RawMessage.id))
            .where(col(Message.id) == pk, col(Message.status) == MessageStatus.RECEIVED.value)
        )
    if raw is None:
        return None  # already taken by another worker
    outcome = understand(raw, policy)

    async with db.write() as session:
        message = await session.scalar(
            select(Message)
            .where(col(Message.id) == pk, col(Message.status) == MessageStatus.RECEIVED.value)
            .with_for_update(skip_locked=True)
        )
        if message is None:
            return None  # another worker finished it meanwhile
        outcome = await _unless_duplicate(session, message, outcome)
        _apply(message, outcome, now)
    log.info("message #%d <%s>: %s — %s", pk, message.message_id, outcome.status, outcome.reason)
    return outcome.status.value


async def _unless_duplicate(session: AsyncSession, message: Message, outcome: Outcome) -> Outcome:
    """A second delivery of a message already handled (e.g. To us and Cc the list) is filed."""
    if outcome.status not in (MessageStatus.PROCESSED, MessageStatus.HELD):
        return outcome
    if not message.message_id:
        return outcome
    earlier = await session.scalar(
        select(col(Message.id))
        .where(
            col(Message.message_id) == message.message_id,
            col(Message.id) < message.id,
            col(Message.status) != MessageStatus.RECEIVED.value,
        )
        .limit(1)
    )
    if earlier is None:
        return outcome
    return Outcome(
        MessageStatus.IGNORED,
        f"another copy of message #{earlier} (same Message-ID), already handled",
        outcome.parsed,
        outcome.screening,
        outcome.verdict,
    )


def _apply(message: Message, outcome: Outcome, now: datetime) -> None:
    message.status = outcome.status.value
    message.reason = outcome.reason[:2000]
    message.processed_at = now
    parsed = outcome.parsed
    if parsed is not None:
        message.subject = parsed.subject[:2000]
        message.date = parsed.date
        if parsed.from_ is not None:
            message.from_addr = parsed.from_.email[:998]
            message.from_name = parsed.from_.name[:998]
        message.to_addrs = [a.email for a in (*parsed.to, *parsed.cc)][:200]
    verdict = outcome.verdict
    if verdict is not None:
        message.kind = verdict.kind.value
        message.confidence = verdict.confidence
        repairs = [f"repaired: {d}" for d in parsed.defects] if parsed else []
        message.reasons = [*verdict.reasons, *repairs[:20]]
        message.fields = dict(verdict.fields)
