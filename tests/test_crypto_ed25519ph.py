"""Ed25519ph (ED25519_PH_SHA_512): the pure-Python module against RFC 8032, then Sign/Verify through boto3."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pytest_kmsrotate._core import ed25519ph
from tests._model import requires_model
from tests._rotation_support import expect_error
from tests.conftest import assert_matches_output_shape

pytestmark = requires_model("KeySpec", "ECC_NIST_EDWARDS25519")

ALGORITHM = "ED25519_PH_SHA_512"
# RFC 8032 §7.3, "TEST abc".
RFC_SECRET = bytes.fromhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42")
RFC_PUBLIC = bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
RFC_SIGNATURE = bytes.fromhex(
    "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
    "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
)


def test_rfc8032_ed25519ph_vector() -> None:
    prehash = hashlib.sha512(b"abc").digest()
    assert ed25519ph.public_key(RFC_SECRET) == RFC_PUBLIC
    assert ed25519ph.sign(RFC_SECRET, prehash) == RFC_SIGNATURE
    assert ed25519ph.verify(RFC_PUBLIC, prehash, RFC_SIGNATURE)
    assert not ed25519ph.verify(RFC_PUBLIC, hashlib.sha512(b"abd").digest(), RFC_SIGNATURE)
    assert not ed25519ph.verify(RFC_PUBLIC, prehash, RFC_SIGNATURE[:32] + bytes(32))
    assert not ed25519ph.verify(RFC_PUBLIC, prehash, RFC_SIGNATURE[:-1])
    # S + L satisfies the group equation too; RFC 8032 §5.1.7 requires rejecting S >= L (malleability).
    s_plus_l = int.from_bytes(RFC_SIGNATURE[32:], "little") + 2**252 + 27742317777372353535851937790883648493
    assert not ed25519ph.verify(RFC_PUBLIC, prehash, RFC_SIGNATURE[:32] + s_plus_l.to_bytes(32, "little"))


def test_public_key_matches_pure_ed25519_derivation() -> None:
    public = ed25519.Ed25519PrivateKey.from_private_bytes(RFC_SECRET).public_key().public_bytes_raw()
    assert ed25519ph.public_key(RFC_SECRET) == public


def _raw_public_key(kms: Any, key_id: str) -> bytes:
    response = kms.get_public_key(KeyId=key_id)
    assert_matches_output_shape("GetPublicKey", response)
    loaded = serialization.load_der_public_key(response["PublicKey"])
    assert isinstance(loaded, ed25519.Ed25519PublicKey)
    return loaded.public_bytes_raw()


def test_sign_and_verify_with_a_digest(kms: Any) -> None:
    key = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    digest = hashlib.sha512(b"big document").digest()
    signed = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=ALGORITHM)
    assert_matches_output_shape("Sign", signed)
    assert (signed["KeyId"], signed["SigningAlgorithm"]) == (key["Arn"], ALGORITHM)
    signature = signed["Signature"]
    assert len(signature) == 64
    verified = kms.verify(
        KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", Signature=signature, SigningAlgorithm=ALGORITHM
    )
    assert_matches_output_shape("Verify", verified)
    assert verified["SignatureValid"] is True
    # AWS still applies Ed25519ph's SHA-512 prehash to the digest it is given (Sign's MessageType docs),
    # so outside KMS the signature is over PH(digest), with the key GetPublicKey returns.
    public = _raw_public_key(kms, key["KeyId"])
    assert ed25519ph.verify(public, hashlib.sha512(digest).digest(), signature)
    assert not ed25519ph.verify(public, digest, signature)
    with pytest.raises(InvalidSignature):
        ed25519.Ed25519PublicKey.from_public_bytes(public).verify(signature, digest)


def test_a_tampered_digest_or_signature_is_refused_without_a_message(kms: Any) -> None:
    key_id = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    digest = hashlib.sha512(b"m").digest()
    signature = kms.sign(KeyId=key_id, Message=digest, MessageType="DIGEST", SigningAlgorithm=ALGORITHM)["Signature"]
    other = hashlib.sha512(b"other").digest()
    for message, sig in ((other, signature), (digest, bytes([signature[0] ^ 1]) + signature[1:])):
        expect_error(
            kms.verify,
            "KMSInvalidSignatureException",
            None,
            KeyId=key_id,
            Message=message,
            MessageType="DIGEST",
            Signature=sig,
            SigningAlgorithm=ALGORITHM,
        )


def test_the_pure_ed25519_signature_of_the_same_key_is_not_an_ed25519ph_one(kms: Any) -> None:
    key_id = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    digest = hashlib.sha512(b"m").digest()
    pure = kms.sign(KeyId=key_id, Message=digest, SigningAlgorithm="ED25519_SHA_512")["Signature"]
    expect_error(
        kms.verify,
        "KMSInvalidSignatureException",
        None,
        KeyId=key_id,
        Message=digest,
        MessageType="DIGEST",
        Signature=pure,
        SigningAlgorithm=ALGORITHM,
    )


@pytest.mark.parametrize("message_type", ["RAW", None])
def test_raw_messages_are_refused(kms: Any, message_type: str | None) -> None:
    key_id = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    params: dict[str, Any] = {"KeyId": key_id, "Message": b"m", "SigningAlgorithm": ALGORITHM}
    if message_type:
        params["MessageType"] = message_type
    message = f"Message type RAW is incompatible with algorithm {ALGORITHM}."
    expect_error(kms.sign, "ValidationException", message, **params)
    expect_error(kms.verify, "ValidationException", message, Signature=b"s" * 64, **params)


def test_a_digest_of_the_wrong_length_is_refused(kms: Any) -> None:
    key_id = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    expect_error(
        kms.sign,
        "ValidationException",
        f"Digest is invalid length for algorithm {ALGORITHM}.",
        KeyId=key_id,
        Message=hashlib.sha256(b"m").digest(),
        MessageType="DIGEST",
        SigningAlgorithm=ALGORITHM,
    )
