"""DeriveSharedSecret: ECDH between a KEY_AGREEMENT key's private key and a peer's public key.

The raw shared secret is the ECDH primitive's output (the x-coordinate), as the API reference
says (NIST SP 800-56A cofactor ECDH; for the NIST curves the cofactor is 1, so it is plain ECDH).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from . import errors, primitives
from .crypto_operations import _current, _dry_run, _imported, _no_recipient, _require_usage
from .errors import NotImplementedByFake
from .key_states import REFUSED_BY_MATERIAL_USE, check_key_state
from .resolve import resolve_key
from .state import Request, State


def _peer_key(public_der: bytes, curve: ec.EllipticCurve) -> ec.EllipticCurvePublicKey:
    try:
        peer = serialization.load_der_public_key(public_der)
    except (ValueError, TypeError):
        peer = None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != curve.name:
        # inferred text: AWS requires a DER SubjectPublicKeyInfo on the key's own curve (API reference).
        raise errors.validation(
            "PublicKey must be a DER-encoded X.509 SubjectPublicKeyInfo of the same curve as the KMS key."
        )
    return peer


def derive_shared_secret(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    _no_recipient("DeriveSharedSecret", p)
    key = resolve_key(state, request, p["KeyId"])
    check_key_state(key, REFUSED_BY_MATERIAL_USE)
    _require_usage(key, "KEY_AGREEMENT", "DeriveSharedSecret")
    if key.key_spec == "SM2":
        raise NotImplementedByFake("DeriveSharedSecret for SM2")  # cryptography has no SM2
    private = primitives.private_key(_current(key), key.key_spec, _imported(key))
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    peer = _peer_key(p["PublicKey"], private.curve)
    _dry_run(p)
    return {
        "KeyId": key.arn,
        "SharedSecret": private.exchange(ec.ECDH(), peer),
        "KeyAgreementAlgorithm": p["KeyAgreementAlgorithm"],
        "KeyOrigin": key.origin,
    }


OPERATIONS = {"DeriveSharedSecret": derive_shared_secret}
