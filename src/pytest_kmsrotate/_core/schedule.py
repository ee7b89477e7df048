"""Timed work as a heap: whatever falls due as the clock moves, in time order.

Advancing the clock costs in proportion to the work that falls due, not to the time skipped:
an entry is only looked at when its time comes. Entries are never removed when plans change;
the code that runs them checks they still hold (see `rotation.scheduled_rotation`).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import NamedTuple

AUTOMATIC_ROTATION = "automatic-rotation"
ON_DEMAND_COMPLETION = "on-demand-completion"
KEY_DELETION = "key-deletion"
REPLICA_CREATION = "replica-creation"


class Entry(NamedTuple):
    # A tuple, not an ordered dataclass: heap comparisons then run in C, which is most of the
    # cost of a long advance. `sequence` is unique, so equal times keep insertion order and
    # `kind` and `key_arn` are never compared.
    when: datetime
    sequence: int
    kind: str
    key_arn: str


class Schedule:
    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._sequence = itertools.count()

    def add(self, when: datetime, kind: str, key_arn: str) -> None:
        heapq.heappush(self._heap, Entry(when, next(self._sequence), kind, key_arn))

    def next_due(self) -> datetime | None:
        """When the earliest entry falls due (None if nothing is planned)."""
        return self._heap[0].when if self._heap else None

    def due(self, now: datetime) -> Iterator[Entry]:
        """Pop entries due at or before `now`, oldest first, including ones added meanwhile."""
        heap = self._heap
        while heap and heap[0].when <= now:
            yield heapq.heappop(heap)

    def entries(self) -> list[Entry]:
        """A copy of every planned entry, for a checkpoint (snapshot.py)."""
        return list(self._heap)

    def replace(self, entries: list[Entry]) -> None:
        """Plan exactly `entries` (a checkpoint's); the sequence keeps counting, so ties keep their order."""
        self._heap = list(entries)
        heapq.heapify(self._heap)

    def __len__(self) -> int:
        return len(self._heap)
