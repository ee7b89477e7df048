"""Timed work as a heap: whatever falls due as the clock moves, in time order.

Advancing the clock costs in proportion to the work that falls due, not to the time skipped:
an entry is only looked at when its time comes. Entries are never removed when plans change;
the code that runs them checks they still hold (see `rotation.run_due`).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

AUTOMATIC_ROTATION = "automatic-rotation"
ON_DEMAND_COMPLETION = "on-demand-completion"
KEY_DELETION = "key-deletion"


@dataclass(order=True, frozen=True)
class Entry:
    when: datetime
    sequence: int
    kind: str = field(compare=False)
    key_arn: str = field(compare=False)


class Schedule:
    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._sequence = itertools.count()

    def add(self, when: datetime, kind: str, key_arn: str) -> None:
        heapq.heappush(self._heap, Entry(when, next(self._sequence), kind, key_arn))

    def due(self, now: datetime) -> Iterator[Entry]:
        """Pop entries due at or before `now`, oldest first, including ones added meanwhile."""
        while self._heap and self._heap[0].when <= now:
            yield heapq.heappop(self._heap)

    def __len__(self) -> int:
        return len(self._heap)
