"""Exponential backoff with jitter (pure; the caller sleeps).

Jitter spreads reconnecting clients so they do not hammer a server in step ("equal jitter" in
the AWS Architecture Blog's "Exponential Backoff And Jitter": half the ceiling is kept, so a
dead server is never retried in a tight loop).

>>> import random
>>> b = Backoff(base=1.0, cap=60.0, rng=random.Random(7))
>>> [round(b.next_delay(), 2) <= 2 ** n for n in range(4)]
[True, True, True, True]
"""

from __future__ import annotations

import random


class Backoff:
    """Delays of uniform(c/2, c) with c = min(cap, base * 2**attempt), attempt from 0."""

    def __init__(self, base: float, cap: float, rng: random.Random | None = None):
        self.base = base
        self.cap = cap
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2**self.attempt)
        self.attempt = min(self.attempt + 1, 62)  # keep 2**attempt a sane float
        return self._rng.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0
