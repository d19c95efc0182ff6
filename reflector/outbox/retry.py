"""What a delivery attempt means for a row: per-recipient states, backoff, expiry (pure).

Each recipient's last reply is kept in `last_replies` as
`{"code": 451, "text": "4.3.0 try again", "state": "retry", "at": "2026-12-01T09:00:00+00:00"}`
with `state` one of `sent` (2xx), `failed` (5xx) or `retry` (4xx, or no reply at all: `code`
is null). `sent` and `failed` are final: such a recipient is never tried again.

    settled = settle(row.envelope_to, row.last_replies, replies, created_at=row.created_at,
                     attempts=row.attempts, now=now, settings=settings.outbox, rng=rng)
    settled.status, settled.next_attempt_at     # OutboxStatus.QUEUED, now + 30..60 s
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from reflector.backoff import Backoff
from reflector.config import OutboxSettings
from reflector.mail.send import Reply
from reflector.outbox.mails import OutboxStatus

_FINAL_STATES = ("sent", "failed")  # per-recipient states that are never retried


def retry_delay(attempts: int, first: float, cap: float, rng: random.Random) -> float:
    """Seconds before the next try after `attempts` tries: uniform(c/2, c), c = first·2^(n-1).

    >>> rng = random.Random(1)
    >>> [30 <= retry_delay(1, 60, 3600, rng) <= 60, 1800 <= retry_delay(9, 60, 3600, rng) <= 3600]
    [True, True]
    """
    backoff = Backoff(base=first, cap=cap, rng=rng)
    backoff.attempt = min(max(attempts, 1) - 1, 62)
    return backoff.next_delay()


def pending_recipients(envelope_to: Sequence[str], last_replies: Mapping[str, Any]) -> list[str]:
    """The recipients still owed a delivery: not yet accepted (2xx) or refused (5xx).

    >>> pending_recipients(["a@x", "b@x", "c@x"], {"a@x": {"state": "sent"},
    ...                                            "b@x": {"state": "retry"}})
    ['b@x', 'c@x']
    """
    return [r for r in envelope_to if last_replies.get(r, {}).get("state") not in _FINAL_STATES]


@dataclass(frozen=True)
class Settled:
    """The new state of a row after one delivery attempt."""

    status: OutboxStatus
    last_replies: dict[str, Any]  # a new dict: JSON columns are reassigned, never mutated
    next_attempt_at: datetime
    sent_at: datetime | None
    pending: tuple[str, ...]  # recipients still owed a delivery


def settle(
    envelope_to: Sequence[str],
    last_replies: Mapping[str, Any],
    replies: Mapping[str, Reply],
    *,
    created_at: datetime,
    attempts: int,
    now: datetime,
    settings: OutboxSettings,
    rng: random.Random,
) -> Settled:
    """Merge this attempt's `replies` into `last_replies` and decide the row's status."""
    merged = dict(last_replies)
    for rcpt, reply in replies.items():
        state = "sent" if reply.ok else "failed" if reply.permanent else "retry"
        merged[rcpt] = {
            "code": reply.code,
            "text": reply.text,
            "state": state,
            "at": now.isoformat(),
        }
    pending = tuple(pending_recipients(envelope_to, merged))
    if not pending:
        delivered = any(merged.get(r, {}).get("state") == "sent" for r in envelope_to)
        status = OutboxStatus.SENT if delivered else OutboxStatus.FAILED
        return Settled(status, merged, now, now if delivered else None, ())
    if now - created_at >= timedelta(hours=settings.give_up_hours):
        return Settled(OutboxStatus.EXPIRED, merged, now, None, pending)
    delay = retry_delay(attempts, settings.retry_first_seconds, settings.retry_max_seconds, rng)
    return Settled(OutboxStatus.QUEUED, merged, now + timedelta(seconds=delay), None, pending)
