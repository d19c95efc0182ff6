"""What is queued: `OutgoingMail`, `enqueue()` in the caller's transaction, and rate counts.

The idempotency key is the contract (arq's job id): a second `enqueue()` of a key that is
already in the outbox, whatever its status, inserts nothing and returns False. Keys say *what*
and *why*, e.g. `ack:<message-id>`, `reminder:<deadline-id>:<offset>:<person-id>`.

    async with db.write() as session:                 # the workflow's own transaction
        await write_records(session, ...)
        [new] = await enqueue(session, [OutgoingMail(
            idem_key="ack:<m1@qtech.example>", purpose="reply",
            message_id="r1.abc@sdo-coord.example", envelope_from="",
            envelope_to=("maria.rossi@qtech.example",), data=rendered_bytes,
            rate_key="maria.rossi@qtech.example", cause_pk=message.id)], now)
        # new is False if that key was queued before: nothing changed
    async with db.read() as session:                  # the per-recipient rate limit
        recent = await replies_since(session, "maria.rossi@qtech.example", now - timedelta(hours=1))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reflector.store.models import Outbox

log = logging.getLogger(__name__)

TABLE: Table = Outbox.__table__  # type: ignore[attr-defined]  # set by SQLModel


class OutboxStatus(StrEnum):
    """Where an outgoing mail is."""

    QUEUED = "queued"  # waiting for its next_attempt_at
    SENDING = "sending"  # claimed by a sender until next_attempt_at (the lease)
    SENT = "sent"  # every recipient answered, at least one accepted it
    FAILED = "failed"  # every recipient refused it for good
    EXPIRED = "expired"  # given up after give_up_hours with recipients still owed


@dataclass(frozen=True)
class OutgoingMail:
    """One mail to queue. `data` is the whole message; `message_id` is its Message-ID header."""

    idem_key: str  # e.g. "ack:<message-id>": the same key again is not queued again
    purpose: str  # reply | notify | list | reminder | digest (at most 16 characters)
    message_id: str
    envelope_from: str  # "" for the null reverse-path (RFC 3834 auto-replies)
    envelope_to: tuple[str, ...]
    data: bytes
    subject: str = ""
    rate_key: str | None = None  # the address an automatic reply counts against
    cause_pk: int | None = None  # the message that caused it (messages.id)


async def enqueue(
    session: AsyncSession, mails: Sequence[OutgoingMail], now: datetime
) -> list[bool]:
    """Queue `mails` in the caller's transaction; True per mail that is new, False if its key
    was already queued (then nothing changes). The same key twice in `mails`: the first wins.

    Raises ValueError for a mail without recipients, key or bytes (a bug in the caller).
    """
    for mail in mails:
        _check(mail)
    rows: dict[str, dict[str, Any]] = {}
    for mail in mails:
        rows.setdefault(mail.idem_key, _row(mail, now))
    if not rows:
        return []
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    result = await session.execute(
        insert(TABLE)
        .on_conflict_do_nothing(index_elements=["idem_key"])
        .returning(TABLE.c.idem_key),
        list(rows.values()),
    )
    created = set(result.scalars())
    fresh: list[bool] = []
    for mail in mails:
        is_new = mail.idem_key in created
        created.discard(mail.idem_key)
        if not is_new:
            log.info("outbox %s: already queued; not queued again", mail.idem_key)
        fresh.append(is_new)
    return fresh


def _check(mail: OutgoingMail) -> None:
    problem = None
    if not mail.idem_key:
        problem = "empty idem_key"
    elif not mail.envelope_to or not all(mail.envelope_to):
        problem = "no recipients"
    elif not mail.data:
        problem = "no message bytes"
    elif len(mail.purpose) > 16:
        problem = f"purpose {mail.purpose!r} longer than 16 characters"
    if problem:
        raise ValueError(f"outbox: mail {mail.idem_key!r}: {problem}")


def _row(mail: OutgoingMail, now: datetime) -> dict[str, Any]:
    return {
        "idem_key": mail.idem_key,
        "purpose": mail.purpose,
        "rate_key": mail.rate_key,
        "subject": mail.subject,
        "status": OutboxStatus.QUEUED.value,
        "message_id": mail.message_id,
        "envelope_from": mail.envelope_from,
        "envelope_to": list(dict.fromkeys(mail.envelope_to)),
        "data": mail.data,
        "attempts": 0,
        "next_attempt_at": now,
        "last_replies": {},
        "cause_pk": mail.cause_pk,
        "created_at": now,
        "sent_at": None,
    }


async def replies_since(session: AsyncSession, rate_key: str, since: datetime) -> int:
    """How many mails counted against `rate_key` were queued at or after `since` (any status)."""
    count = await session.scalar(
        select(func.count())
        .select_from(TABLE)
        .where(TABLE.c.rate_key == rate_key, TABLE.c.created_at >= since)
    )
    return int(count or 0)
