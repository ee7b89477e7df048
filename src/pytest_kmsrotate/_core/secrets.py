"""The secrets a fake drew at random, taken out and put back (the standalone server's state file).

Replaying a fake's calls rebuilds its state, but not what it drew at random: the root that
material secrets made outside any fake derive from, the per-process import wrapping keys, the
fake's realm (import tokens, ciphertext blobs and paging markers are bound to it), and the RSA
key pairs generated for asymmetric keys (an RSA pair cannot be derived from a seed cheaply).
This module is the one place that knows where each of them lives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric import rsa

from . import primitives
from .state import State


@dataclass(frozen=True)
class Secrets:
    root: bytes
    realm: bytes
    wrapping_keys: Mapping[str, rsa.RSAPrivateKey]
    # By KeyMaterialId; imported (EXTERNAL) material is the caller's, so it is never exported.
    key_pairs: Mapping[str, rsa.RSAPrivateKey] = field(default_factory=dict)


def export(state: State) -> Secrets:
    pairs: dict[str, rsa.RSAPrivateKey] = {}
    for key in state.keys.values():
        if key.origin == "EXTERNAL":
            continue
        for material in key.lineage.materials:
            private = (material.derived or {}).get("private_key")
            if isinstance(private, rsa.RSAPrivateKey):
                pairs[material.material_id] = private
    with primitives._WRAPPING_LOCK:
        wrapping = dict(primitives._WRAPPING_KEYS)
    return Secrets(primitives._ROOT, state.ids.realm, wrapping, pairs)


def adopt(state: State, secrets: Secrets) -> None:
    """Take `secrets` as this process's and this fake's own: call before replaying a journal
    (root, realm and wrapping keys must be in place before any material draws from them) and
    again after it (key pairs apply to the materials the replay made)."""
    primitives._ROOT = secrets.root
    state.ids.realm = secrets.realm
    with primitives._WRAPPING_LOCK:
        primitives._WRAPPING_KEYS.update(secrets.wrapping_keys)
    for key in state.keys.values():
        for material in key.lineage.materials:
            private = secrets.key_pairs.get(material.material_id)
            if private is not None:
                if material.derived is None:
                    material.derived = {}
                material.derived["private_key"] = private
