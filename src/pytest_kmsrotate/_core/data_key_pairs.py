"""GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext.

A fresh key pair per call (AWS generates a new one every time), its private key as DER PKCS#8
sealed under the symmetric KMS key's CURRENT material like any Decrypt-able blob, so Decrypt
opens it after any number of rotations. The public key is DER SubjectPublicKeyInfo, the private
plaintext DER PKCS#8 (API reference: "PrivateKeyPlaintext ... a DER-encoded PKCS #8 key").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from . import primitives
from .crypto_operations import _current, _dry_run, _no_recipient, _require_symmetric
from .errors import KMSError, NotImplementedByFake
from .key_states import REFUSED_BY_MATERIAL_USE, check_key_state
from .keyspecs import is_china_region
from .resolve import resolve_key
from .state import Request, State

_CURVES: dict[str, Callable[[], ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
_RSA_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
_ML_KEM = {"ML_KEM_512": "MLKEM512PrivateKey", "ML_KEM_768": "MLKEM768PrivateKey",
           "ML_KEM_1024": "MLKEM1024PrivateKey"}


def _ml_kem_generator(spec: str) -> Callable[[], Any] | None:
    try:
        module = importlib.import_module("cryptography.hazmat.primitives.asymmetric.mlkem")
    except ImportError:
        return None
    cls = getattr(module, _ML_KEM[spec], None)
    return None if cls is None else cls.generate


def _generator(spec: str) -> Callable[[], Any] | None:
    """How to make a private key of `spec`, or None where `cryptography` cannot (SM2, ML-KEM-512 in 50.x)."""
    if spec in _RSA_BITS:
        bits = _RSA_BITS[spec]
        return lambda: rsa.generate_private_key(public_exponent=65537, key_size=bits)
    if spec in _CURVES:
        curve = _CURVES[spec]
        return lambda: ec.generate_private_key(curve())
    if spec == "ECC_NIST_EDWARDS25519":
        return ed25519.Ed25519PrivateKey.generate
    if spec in _ML_KEM:
        return _ml_kem_generator(spec)
    return None


def supported(spec: str) -> bool:
    """Whether this fake, with this `cryptography`, makes key pairs of `spec`."""
    return _generator(spec) is not None


def _check_region(spec: str, region: str) -> None:
    china = is_china_region(region)
    if (spec == "SM2" and not china) or (spec.startswith("ML_KEM") and china):
        # The same refusal CreateKey gives for a spec AWS does not offer in the Region (inferred for pairs).
        raise KMSError("UnsupportedOperationException", f"KeyPairSpec {spec} is not supported in this Region")


def _pair(state: State, request: Request, operation: str) -> dict[str, Any]:
    p = request.params
    key = resolve_key(state, request, p["KeyId"])
    check_key_state(key, REFUSED_BY_MATERIAL_USE)
    _require_symmetric(key, operation)
    spec: str = p["KeyPairSpec"]
    _check_region(spec, request.region)
    generate = _generator(spec)
    if generate is None:
        raise NotImplementedByFake(f"{operation} for {spec}")
    _dry_run(p)
    private = generate()
    der = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    material = _current(key)
    return {
        "PrivateKeyCiphertextBlob": primitives.seal(key.arn, material, der, p.get("EncryptionContext")),
        "PrivateKeyPlaintext": der,
        "PublicKey": public,
        "KeyId": key.arn,
        "KeyPairSpec": spec,
        "KeyMaterialId": material.material_id,
    }


def generate_data_key_pair(state: State, request: Request) -> dict[str, Any]:
    _no_recipient("GenerateDataKeyPair", request.params)
    return _pair(state, request, "GenerateDataKeyPair")


def generate_data_key_pair_without_plaintext(state: State, request: Request) -> dict[str, Any]:
    response = _pair(state, request, "GenerateDataKeyPairWithoutPlaintext")
    del response["PrivateKeyPlaintext"]
    return response


OPERATIONS = {
    "GenerateDataKeyPair": generate_data_key_pair,
    "GenerateDataKeyPairWithoutPlaintext": generate_data_key_pair_without_plaintext,
}
