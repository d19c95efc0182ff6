"""The processing loop: take `received` messages through understand() to their status.

Messages are handled in small batches, oldest first. Each batch is first understood outside any
transaction (on SQLite a write transaction holds the one write lock, and intake must not wait
while big messages are parsed), then saved in one transaction. A crash leaves every message
either untouched (`received`, done again on restart) or finished. Several workers may run on
PostgreSQL: rows are claimed with FOR UPDATE SKIP LOCKED, and a row another worker finished
meanwhile is left alone.

With an `engine`, each processed message then runs its workflows in that same transaction: the
records it files and the mail it queues commit together with its status (reflector/engine/).

    report = await process_pending(db, policy, now=clock.now(), engine=engine)
    report.counts   # {"processed": 3, "ignored": 1}
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from reflector.batching import batches_by_size
from reflector.engine.apply import Engine
from reflector.store.db import Database
from reflector.store.models import Message, RawMessage
from reflector.understand import Outcome, Policy, understand
from reflector.values import MessageStatus

log = logging.getLogger(__name__)

BATCH = 50  # messages per transaction
BATCH_BYTES = 32 * 1024 * 1024  # ... unless they are big: raw bytes held in memory at once
_RECEIVED = MessageStatus.RECEIVED.value


@dataclass
class ProcessReport:
    counts: Counter[str] = field(default_factory=Counter)
    message_pks: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def process_pending(
    db: Database,
    policy: Policy,
    now: datetime,
    *,
    engine: Engine | None = None,
    limit: int | None = None,
    batch: int = BATCH,
) -> ProcessReport:
    """Process every `received` message (up to `limit`), oldest first; returns what happened."""
    report = ProcessReport()
    after = 0  # rows up to here were looked at in this call (finished, or taken by another worker)
    while limit is None or report.total < limit:
        room = 4 * batch if limit is None else min(4 * batch, limit - report.total)
        async with db.read() as session:
            pending = (
                await session.execute(
                    select(col(Message.id), col(RawMessage.size))
                    .join(RawMessage, col(RawMessage.id) == col(Message.raw_id))
                    .where(col(Message.status) == _RECEIVED, col(Message.id) > after)
                    .order_by(col(Message.id))
                    .limit(room)
                )
            ).all()
        if not pending:
            break
        sizes = {pk: size for pk, size in pending if pk is not None}  # ids are never NULL
        for group in batches_by_size(list(sizes), sizes, batch, BATCH_BYTES):
            for pk, status in await _process_batch(db, policy, group, now, engine):
                report.counts[status] += 1
                report.message_pks.append(pk)
        after = max(sizes)
    return report


async def _process_batch(
    db: Database, policy: Policy, pks: list[int], now: datetime, engine: Engine | None
) -> list[tuple[int, str]]:
    async with db.read() as session:
        raws = (
            await session.execute(
                select(col(Message.id), col(RawMessage.data))
                .join(RawMessage, col(RawMessage.id) == col(Message.raw_id))
                .where(col(Message.id).in_(pks), col(Message.status) == _RECEIVED)
            )
        ).all()
    outcomes: dict[int, Outcome] = {}
    for pk, data in raws:
        assert pk is not None  # a primary key
        outcomes[pk] = understand(data, policy)
        await asyncio.sleep(0)  # pure CPU work: let intake and IDLE run in between
    del raws

    done: list[tuple[int, str]] = []
    async with db.write() as session:
        claimed = (
            await session.scalars(
                select(Message)
                .where(col(Message.id).in_(list(outcomes)), col(Message.status) == _RECEIVED)
                .order_by(col(Message.id))
                .with_for_update(skip_locked=True)
            )
        ).all()
        earlier = await _handled_message_ids(session, claimed)
        for message in claimed:
            assert message.id is not None
            outcome = _unless_duplicate(message, outcomes[message.id], earlier)
            _apply(message, outcome, now)
            log.info(
                "message #%d <%s>: %s — %s",
                message.id,
                message.message_id,
                outcome.status,
                outcome.reason,
            )
            if engine is not None and outcome.status is MessageStatus.PROCESSED:
                await engine.act(session, message, outcome, now)
            done.append((message.id, message.status))
    return done


async def _handled_message_ids(
    session: AsyncSession, messages: Sequence[Message]
) -> dict[str, int]:
    """Message-ID -> the first row already handled with it (for duplicate deliveries)."""
    wanted = sorted({m.message_id for m in messages if m.message_id})
    if not wanted:
        return {}
    rows = await session.execute(
        select(col(Message.message_id), func.min(col(Message.id)))
        .where(col(Message.message_id).in_(wanted), col(Message.status) != _RECEIVED)
        .group_by(col(Message.message_id))
    )
    return {mid: pk for mid, pk in rows if mid is not None and pk is not None}


def _unless_duplicate(message: Message, outcome: Outcome, earlier: dict[str, int]) -> Outcome:
    """A second delivery of a message already handled (e.g. To us and Cc the list) is filed.

    `earlier` is updated, so that two copies within one batch are recognised too.
    """
    mid = message.message_id
    if outcome.status not in (MessageStatus.PROCESSED, MessageStatus.HELD) or not mid:
        return outcome
    first = earlier.get(mid)
    if first is None or first >= (message.id or 0):
        earlier.setdefault(mid, message.id or 0)
        return outcome
    return Outcome(
        MessageStatus.IGNORED,
        f"another copy of message #{first} (same Message-ID), already handled",
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
