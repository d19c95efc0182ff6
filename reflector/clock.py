"""Time, as a seam: pure code takes `now` as an argument, the shell asks a `Clock`.

All datetimes inside reflector are timezone-aware UTC; local times exist only at the edges
(config input, rendered mail).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved: for tests and the demo's accelerated time.

    >>> clock = FixedClock(datetime(2027, 1, 8, 12, 0, tzinfo=UTC))
    >>> clock.advance(days=1).isoformat()
    '2027-01-09T12:00:00+00:00'
    """

    def __init__(self, at: datetime):
        self.at = as_utc(at)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


def as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is taken to be UTC already.

    >>> as_utc(datetime(2026, 1, 1, 12, 0)).isoformat()
    '2026-01-01T12:00:00+00:00'
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
