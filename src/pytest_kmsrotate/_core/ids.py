"""Deterministic identifiers: the same test gets the same key IDs on every run and every worker."""

from __future__ import annotations

import collections
import hashlib
import itertools
from typing import Any


class IdFactory:
    """Derives IDs from a seed (the test's node ID) and a counter, never from randomness."""

    def __init__(self, seed: str) -> None:
        self._seed = seed.encode()
        self._counter = itertools.count()  # next() on it is atomic: no lock needed
        self._bases: dict[str, Any] = {}

    def _digest(self, kind: str) -> str:
        base = self._bases.get(kind)
        if base is None:
            base = self._bases[kind] = hashlib.sha256(self._seed + b"\x00" + kind.encode() + b"\x00")
        digest = base.copy()
        digest.update(next(self._counter).to_bytes(8, "big"))
        return digest.hexdigest()

    def key_id(self) -> str:
        """A UUID-shaped key ID (version 4 layout, as AWS's look)."""
        h = self._digest("key")
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

    def multi_region_key_id(self) -> str:
        return "mrk-" + self._digest("mrk")[:32]

    def material_id(self) -> str:
        """A 64-lowercase-hex KeyMaterialId."""
        return self._digest("material")

    def material_ids(self, count: int) -> list[str]:
        """`count` KeyMaterialIds at once, for a run of rotations (what a long clock jump makes).

        One SHAKE-256 stream over the seed and the run's first counter value, cut into 64-hex
        pieces: one hash call per run instead of one per ID, still the same IDs on every run.
        """
        if count <= 1:
            return [self.material_id()] if count == 1 else []
        first = next(self._counter)
        # Reserve the run's counter values (consumed in C), so no other ID repeats one of them.
        collections.deque(itertools.islice(self._counter, count - 1), maxlen=0)
        text = hashlib.shake_256(self._seed + b"\x00material-run\x00" + first.to_bytes(8, "big")).hexdigest(32 * count)
        size = 64 * count
        return list(map(text.__getitem__, map(slice, range(0, size, 64), range(64, size + 64, 64))))

    def token(self, kind: str) -> str:
        return self._digest(kind)
