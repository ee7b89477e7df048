"""Encapsulate and Decapsulate with ML-KEM keys (FIPS 203), key usage ENCAPSULATE_DECAPSULATE.

The key pair is the one GetPublicKey shows (derived from the current material). A parameter set
this `cryptography` lacks (ML-KEM-512 in 50.x) raises NotImplementedByFake, a documented gap.
"""

from __future__ import annotations

from typing import Any

from . import primitives
from .crypto_operations import _current, _dry_run, _require_usage
from .errors import KMSError, NotImplementedByFake
from .key_states import REFUSED_BY_MATERIAL_USE, check_key_state
from .model import Key
from .resolve import resolve_key
from .state import Request, State


def _ml_kem_key(state: State, request: Request, operation: str) -> tuple[Key, Any]:
    key = resolve_key(state, request, request.params["KeyId"])
    check_key_state(key, REFUSED_BY_MATERIAL_USE)
    _require_usage(key, "ENCAPSULATE_DECAPSULATE", operation)
    private = primitives.pq_private_key(_current(key), key.key_spec)
    if private is None:
        raise NotImplementedByFake(f"{operation} for {key.key_spec}")
    return key, private


def encapsulate(state: State, request: Request) -> dict[str, Any]:
    key, private = _ml_kem_key(state, request, "Encapsulate")
    _dry_run(request.params)
    secret, ciphertext = private.public_key().encapsulate()
    return {"KeyId": key.arn, "SharedSecret": secret, "SharedSecretCiphertextBlob": ciphertext,
            "EncapsulationAlgorithm": request.params["EncapsulationAlgorithm"]}


def decapsulate(state: State, request: Request) -> dict[str, Any]:
    key, private = _ml_kem_key(state, request, "Decapsulate")
    _dry_run(request.params)
    try:
        # A well-sized but wrong ciphertext gives a different secret (FIPS 203 implicit rejection).
        secret = private.decapsulate(request.params["SharedSecretCiphertextBlob"])
    except ValueError:
        raise KMSError("InvalidCiphertextException", None) from None  # wrong length; no message, as for Decrypt
    return {"KeyId": key.arn, "SharedSecret": secret,
            "EncapsulationAlgorithm": request.params["EncapsulationAlgorithm"]}


OPERATIONS = {"Encapsulate": encapsulate, "Decapsulate": decapsulate}
