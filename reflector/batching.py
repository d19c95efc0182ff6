"""Splitting work into bounded batches (pure; a leaf module).

Used wherever a list of messages is handled a slice at a time: IMAP FETCH and STORE (short
responses, aioimaplib #118), database IN (...) lists, and transactions that hold raw messages in
memory.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items.

    >>> [list(c) for c in chunked([1, 2, 3, 4, 5], 2)]
    [[1, 2], [3, 4], [5]]
    """
    for start in range(0, len(items), size):
        yield items[start : start + size]


def batches_by_size(
    keys: Sequence[K], sizes: Mapping[K, int], max_count: int, max_bytes: int
) -> Iterator[list[K]]:
    """Consecutive groups of at most `max_count` keys and `max_bytes` bytes (by `sizes`).

    A single key bigger than `max_bytes` gets a group of its own.

    >>> list(batches_by_size([1, 2, 3], {1: 10, 2: 10, 3: 10}, max_count=10, max_bytes=20))
    [[1, 2], [3]]
    """
    batch: list[K] = []
    total = 0
    for key in keys:
        size = sizes.get(key, 0)
        if batch and (len(batch) >= max_count or total + size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(key)
        total += size
    if batch:
        yield batch
