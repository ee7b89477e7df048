"""Identifiers and secrets of one fake.

Names are deterministic: the same test gets the same key IDs on every run and every worker,
derived from a seed (the test's node ID) and a counter, never from randomness. Secrets are not:
every fake draws its own `realm` when it is made, and everything that must not work in another
fake (key material, pagination markers, import tokens) is keyed by it. So two fakes made from
the same seed (two `with KmsRotation():` blocks, a re-run of the same test node) name their keys
alike but refuse each other's ciphertexts, markers and tokens, as two AWS accounts would.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from typing import Any

REALM_BYTES = 32


class IdFactory:
    """Derives IDs from a seed and a counter; owns the fake's secret realm."""

    def __init__(self, seed: str, realm: bytes | None = None) -> None:
        self._seed = seed.encode()
        self.realm = realm if realm is not None else os.urandom(REALM_BYTES)
        self._position = 0
        self._lock = threading.Lock()
        self._bases: dict[str, Any] = {}

    def _digest(self, kind: str) -> str:
        base = self._bases.get(kind)
        if base is None:
            base = self._bases[kind] = hashlib.sha256(self._seed + b"\x00" + kind.encode() + b"\x00")
        digest = base.copy()
        with self._lock:
            position = self._position
            self._position += 1
        digest.update(position.to_bytes(8, "big"))
        return digest.hexdigest()

    @property
    def position(self) -> int:
        """How many names were drawn: a snapshot keeps it, so a restored fake names the next key alike."""
        return self._position

    def rewind(self, position: int) -> None:
        with self._lock:
            self._position = position

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
        with self._lock:  # reserve the run's positions, so no other ID repeats one of them
            first = self._position
            self._position += count
        text = hashlib.shake_256(self._seed + b"\x00material-run\x00" + first.to_bytes(8, "big")).hexdigest(32 * count)
        size = 64 * count
        return list(map(text.__getitem__, map(slice, range(0, size, 64), range(64, size + 64, 64))))

    def token(self, kind: str) -> str:
        """A deterministic token (request ID suffixes): a name, not a secret."""
        return self._digest(kind)

    def secret_token(self, kind: str) -> str:
        """A token only this fake can have made (import tokens): keyed by the realm."""
        return hmac.new(self.realm, self._digest(kind).encode(), hashlib.sha256).hexdigest()

    def secret(self, purpose: str) -> bytes:
        """A fixed per-fake key for `purpose` (the pagination marker MAC)."""
        return hmac.new(self.realm, b"kmsrotate " + purpose.encode(), hashlib.sha256).digest()
