"""ML-DSA signatures and ML-DSA/ML-KEM public keys, checked with `cryptography` outside the fake."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from tests._doors import raises_gap
from tests._model import modelled, requires_model
from tests._rotation_support import expect_error
from tests.conftest import assert_matches_output_shape

mldsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.mldsa")
mlkem = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.mlkem")

ML_DSA = "ML_DSA_SHAKE_256"
_PUBLIC = {
    "ML_DSA_44": "MLDSA44PublicKey",
    "ML_DSA_65": "MLDSA65PublicKey",
    "ML_DSA_87": "MLDSA87PublicKey",
    "ML_KEM_768": "MLKEM768PublicKey",
    "ML_KEM_1024": "MLKEM1024PublicKey",
}


def _create(kms: Any, spec: str) -> str:
    usage = "SIGN_VERIFY" if spec.startswith("ML_DSA") else "ENCAPSULATE_DECAPSULATE"
    key_id: str = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
    return key_id


def _public_key(kms: Any, key_id: str) -> tuple[dict[str, Any], Any]:
    response = kms.get_public_key(KeyId=key_id)
    assert_matches_output_shape("GetPublicKey", response)
    return response, serialization.load_der_public_key(response["PublicKey"])


@pytest.mark.parametrize("spec", ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"])
def test_mldsa_signature_verifies_outside_the_fake(kms: Any, spec: str) -> None:
    key_id = _create(kms, spec)
    response, public = _public_key(kms, key_id)
    assert isinstance(public, getattr(mldsa, _PUBLIC[spec]))
    assert {k: v for k, v in response.items() if k not in ("PublicKey", "ResponseMetadata")} == {
        "KeyId": response["KeyId"],
        "CustomerMasterKeySpec": spec,
        "KeySpec": spec,
        "KeyUsage": "SIGN_VERIFY",
        "SigningAlgorithms": [ML_DSA],
    }
    signed = kms.sign(KeyId=key_id, Message=b"hello pq", MessageType="RAW", SigningAlgorithm=ML_DSA)
    assert_matches_output_shape("Sign", signed)
    assert (signed["KeyId"], signed["SigningAlgorithm"]) == (response["KeyId"], ML_DSA)
    public.verify(signed["Signature"], b"hello pq")  # pure ML-DSA, empty context
    with pytest.raises(InvalidSignature):
        public.verify(signed["Signature"], b"hello pq!")
    verified = kms.verify(KeyId=key_id, Message=b"hello pq", Signature=signed["Signature"], SigningAlgorithm=ML_DSA)
    assert_matches_output_shape("Verify", verified)
    assert (verified["SignatureValid"], verified["SigningAlgorithm"]) == (True, ML_DSA)


def test_mldsa_tampered_message_fails_verify_without_message(kms: Any) -> None:
    key_id = _create(kms, "ML_DSA_65")
    signature = kms.sign(KeyId=key_id, Message=b"original", SigningAlgorithm=ML_DSA)["Signature"]
    expect_error(
        kms.verify,
        "KMSInvalidSignatureException",
        None,
        KeyId=key_id,
        Message=b"tampered",
        Signature=signature,
        SigningAlgorithm=ML_DSA,
    )


def test_mldsa_external_mu_signs_the_callers_mu(kms: Any) -> None:
    key_id = _create(kms, "ML_DSA_65")
    _, public = _public_key(kms, key_id)
    hasher = mldsa.MLDSAMuHasher(public)
    hasher.update(b"a message too long to send" * 200)
    mu = hasher.finalize()
    signed = kms.sign(KeyId=key_id, Message=mu, MessageType="EXTERNAL_MU", SigningAlgorithm=ML_DSA)
    assert_matches_output_shape("Sign", signed)
    public.verify(signed["Signature"], b"a message too long to send" * 200)  # same as signing the message itself
    verified = kms.verify(
        KeyId=key_id, Message=mu, MessageType="EXTERNAL_MU", Signature=signed["Signature"], SigningAlgorithm=ML_DSA
    )
    assert_matches_output_shape("Verify", verified)
    expect_error(
        kms.verify,
        "KMSInvalidSignatureException",
        None,
        KeyId=key_id,
        Message=bytes(64),
        MessageType="EXTERNAL_MU",
        Signature=signed["Signature"],
        SigningAlgorithm=ML_DSA,
    )


def test_mldsa_refuses_digest_and_a_short_mu(kms: Any) -> None:
    key_id = _create(kms, "ML_DSA_44")
    expect_error(
        kms.sign,
        "ValidationException",
        "Message type DIGEST is incompatible with key spec ML_DSA_44.",
        KeyId=key_id,
        Message=bytes(32),
        MessageType="DIGEST",
        SigningAlgorithm=ML_DSA,
    )
    expect_error(
        kms.sign,
        "ValidationException",
        "External Mu is invalid length for algorithm ML_DSA_SHAKE_256.",
        KeyId=key_id,
        Message=bytes(32),
        MessageType="EXTERNAL_MU",
        SigningAlgorithm=ML_DSA,
    )


def test_mldsa_key_pair_is_made_once_per_key(kms: Any) -> None:
    key_id, other = _create(kms, "ML_DSA_44"), _create(kms, "ML_DSA_44")
    signature = kms.sign(KeyId=key_id, Message=b"m", SigningAlgorithm=ML_DSA)["Signature"]
    first, public = _public_key(kms, key_id)
    assert _public_key(kms, key_id)[0]["PublicKey"] == first["PublicKey"]
    assert _public_key(kms, other)[0]["PublicKey"] != first["PublicKey"]
    public.verify(signature, b"m")


@pytest.mark.parametrize("spec", modelled("KeySpec", ["ML_KEM_768", "ML_KEM_1024"]))
def test_mlkem_public_key_loads_outside_the_fake(kms: Any, spec: str) -> None:
    key_id = _create(kms, spec)
    response, public = _public_key(kms, key_id)
    assert isinstance(public, getattr(mlkem, _PUBLIC[spec]))
    assert {k: v for k, v in response.items() if k not in ("PublicKey", "ResponseMetadata")} == {
        "KeyId": response["KeyId"],
        "CustomerMasterKeySpec": spec,
        "KeySpec": spec,
        "KeyUsage": "ENCAPSULATE_DECAPSULATE",
        "EncapsulationAlgorithms": ["ML_KEM"],
    }
    shared, ciphertext = public.encapsulate()
    assert len(shared) == 32 and ciphertext


@requires_model("KeySpec", "ML_KEM_512")
def test_mlkem_512_stays_a_documented_gap(kms: Any) -> None:
    # cryptography 50 has no ML-KEM-512; the fake says so rather than answering wrongly.
    key_id = _create(kms, "ML_KEM_512")
    with raises_gap(kms, "GetPublicKey for ML_KEM_512"):
        kms.get_public_key(KeyId=key_id)


@requires_model("KeySpec", "ML_DSA_65", "ML_KEM_768")
def test_without_the_pq_modules_the_fake_names_the_gap(kms: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # cryptography < 47 has no mldsa/mlkem modules; a None entry in sys.modules makes their import fail.
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.mldsa", None)
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives.asymmetric.mlkem", None)
    dsa, kem = _create(kms, "ML_DSA_65"), _create(kms, "ML_KEM_768")
    with raises_gap(kms, "Sign with ML_DSA_SHAKE_256"):
        kms.sign(KeyId=dsa, Message=b"m", SigningAlgorithm=ML_DSA)
    with raises_gap(kms, "GetPublicKey for ML_DSA_65"):
        kms.get_public_key(KeyId=dsa)
    with raises_gap(kms, "GetPublicKey for ML_KEM_768"):
        kms.get_public_key(KeyId=kem)
