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
        self._secrets: dict[tuple[bytes, str], bytes] = {}

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

    def material_run(self, count: int) -> tuple[bytes, int]:
        """Reserve `count` KeyMaterialIds for a run of rotations (what a long clock jump makes).

        Returns what names them, `(seed, first position)`: `run_material_ids` makes them when
        they are read, so a jump that nobody lists never pays for their text.
        """
        with self._lock:  # reserve the run's positions, so no other ID repeats one of them
            first = self._position
            self._position += count
        return self._seed, first

    def token(self, kind: str) -> str:
        """A deterministic token (request ID suffixes): a name, not a secret."""
        return self._digest(kind)

    def secret_token(self, kind: str) -> str:
        """A token only this fake can have made (import tokens): keyed by the realm."""
        return hmac.new(self.realm, self._digest(kind).encode(), hashlib.sha256).hexdigest()

    def secret(self, purpose: str) -> bytes:
        """A fixed per-fake key for `purpose` (the pagination marker MAC), made once per realm
        (every List call asks for it; the realm changes only when a state file is adopted)."""
        cached = self._secrets.get((self.realm, purpose))
        if cached is None:
            cached = hmac.new(self.realm, b"kmsrotate " + purpose.encode(), hashlib.sha256).digest()
            self._secrets[(self.realm, purpose)] = cached
        return cached


def _run_stream(seed: bytes, first: int) -> Any:
    return hashlib.shake_256(seed + b"\x00material-run\x00" + first.to_bytes(8, "big"))


def run_material_ids(seed: bytes, first: int, count: int) -> list[str]:
    """The first `count` IDs of a run reserved by `IdFactory.material_run`: one SHAKE-256 stream
    over the seed and the run's first counter value, cut into 64-hex pieces (one hash call per
    run, the same IDs on every run; a prefix of the stream names a prefix of the run)."""
    text = _run_stream(seed, first).hexdigest(32 * count) if count else ""
    size = 64 * count
    return list(map(text.__getitem__, map(slice, range(0, size, 64), range(64, size + 64, 64))))


def run_material_id(seed: bytes, first: int, index: int) -> str:
    """The ID at `index` of a run, without the text of the others."""
    stream: bytes = _run_stream(seed, first).digest(32 * (index + 1))
    return stream[-32:].hex()
