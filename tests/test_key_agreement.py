"""DeriveSharedSecret (ECDH) and Encapsulate/Decapsulate (ML-KEM), issue 15.

Every secret is checked against the `cryptography` package's own ECDH or ML-KEM outside the fake.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from pytest_kmsrotate import NotImplementedByFake
from pytest_kmsrotate._core.primitives import _pq_class
from tests._doors import raises_gap
from tests._model import modelled, requires_model
from tests.conftest import error_of

Check = Callable[[str, dict[str, Any]], dict[str, Any]]
CURVES = {"ECC_NIST_P256": ec.SECP256R1(), "ECC_NIST_P384": ec.SECP384R1(), "ECC_NIST_P521": ec.SECP521R1()}
DRY_RUN = ("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
ML_KEM = [s for s in ("ML_KEM_512", "ML_KEM_768", "ML_KEM_1024") if _pq_class(s) is not None]


def _der(public: Any) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize("spec", sorted(CURVES))
def test_derive_shared_secret_matches_cryptographys_ecdh(kms: Any, spec: str, shape_checked: Check) -> None:
    key = kms.create_key(KeySpec=spec, KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    bob = ec.generate_private_key(CURVES[spec])
    response = shape_checked("DeriveSharedSecret", kms.derive_shared_secret(
        KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=_der(bob.public_key())))
    alice_public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(alice_public, ec.EllipticCurvePublicKey)
    assert response["SharedSecret"] == bob.exchange(ec.ECDH(), alice_public)
    assert (response["KeyId"], response["KeyAgreementAlgorithm"], response["KeyOrigin"]) == (
        key["Arn"], "ECDH", "AWS_KMS")


def test_two_kms_keys_agree(kms: Any) -> None:
    alice, bob = (kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"] for _ in range(2))
    secrets = [kms.derive_shared_secret(KeyId=me["KeyId"], KeyAgreementAlgorithm="ECDH",
                                        PublicKey=kms.get_public_key(KeyId=peer["KeyId"])["PublicKey"])["SharedSecret"]
               for me, peer in ((alice, bob), (bob, alice))]
    assert secrets[0] == secrets[1]


def test_derive_shared_secret_refusals(kms: Any) -> None:
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    other_curve = _der(ec.generate_private_key(ec.SECP384R1()).public_key())
    message = "PublicKey must be a DER-encoded X.509 SubjectPublicKeyInfo of the same curve as the KMS key."
    for public in (other_curve, b"not a key"):
        with pytest.raises(ClientError) as excinfo:
            kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=public)
        assert error_of(excinfo) == ("ValidationException", message)
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    good = _der(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(ClientError) as excinfo:
        kms.derive_shared_secret(KeyId=signing["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=good)
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.")
    with pytest.raises(ClientError) as excinfo:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=good, DryRun=True)
    assert error_of(excinfo) == DRY_RUN
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=good)
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.")


def test_derive_shared_secret_with_recipient_is_a_documented_gap(kms: Any) -> None:
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    good = _der(ec.generate_private_key(ec.SECP256R1()).public_key())
    with raises_gap(kms, "DeriveSharedSecret with Recipient"):
        kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=good,
                                 Recipient={"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
                                            "AttestationDocument": b"doc"})


def test_derive_shared_secret_with_sm2_is_a_documented_gap() -> None:
    from pytest_kmsrotate import KmsRotation

    with KmsRotation():
        china = boto3.client("kms", region_name="cn-north-1")
        key = china.create_key(KeySpec="SM2", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
        with pytest.raises(NotImplementedByFake, match="DeriveSharedSecret for SM2"):
            china.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=b"k")


@pytest.mark.parametrize("spec", modelled("KeySpec", ML_KEM))
def test_encapsulate_and_decapsulate(kms: Any, spec: str, shape_checked: Check) -> None:
    key = kms.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
    sealed = shape_checked("Encapsulate", kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM"))
    opened = shape_checked("Decapsulate", kms.decapsulate(
        KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM",
        SharedSecretCiphertextBlob=sealed["SharedSecretCiphertextBlob"]))
    assert opened["SharedSecret"] == sealed["SharedSecret"] and len(opened["SharedSecret"]) == 32
    assert opened["KeyId"] == sealed["KeyId"] == key["Arn"]
    # Outside the fake: a secret encapsulated to GetPublicKey's key decapsulates inside it.
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    secret, ciphertext = public.encapsulate()  # type: ignore[union-attr]
    assert kms.decapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM",
                           SharedSecretCiphertextBlob=ciphertext)["SharedSecret"] == secret


@requires_model("KeySpec", "ML_KEM_768")
def test_decapsulate_refusals(kms: Any) -> None:
    key = kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.decapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=b"short")
    assert error_of(excinfo) == ("InvalidCiphertextException", "")
    sealed = kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
    flipped = bytearray(sealed["SharedSecretCiphertextBlob"])
    flipped[0] ^= 1
    other = kms.decapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM",
                            SharedSecretCiphertextBlob=bytes(flipped))
    assert other["SharedSecret"] != sealed["SharedSecret"]  # implicit rejection, as FIPS 203 specifies
    for call in (lambda: kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM", DryRun=True),
                 lambda: kms.decapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM", DryRun=True,
                                         SharedSecretCiphertextBlob=sealed["SharedSecretCiphertextBlob"])):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == DRY_RUN
    symmetric = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.encapsulate(KeyId=symmetric["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Encapsulate.")


@pytest.mark.skipif("ML_KEM_512" in ML_KEM, reason="this cryptography has ML-KEM-512")
@requires_model("KeySpec", "ML_KEM_512")
def test_ml_kem_512_is_a_documented_gap(kms: Any) -> None:
    key = kms.create_key(KeySpec="ML_KEM_512", KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
    with raises_gap(kms, "Encapsulate for ML_KEM_512"):
        kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
