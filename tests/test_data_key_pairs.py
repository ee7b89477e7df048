"""GenerateDataKeyPair / GenerateDataKeyPairWithoutPlaintext (issue 15)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_kmsrotate import Config, KmsRotation, NotImplementedByFake
from pytest_kmsrotate._core.data_key_pairs import supported
from tests._doors import raises_gap
from tests.conftest import error_of

Check = Callable[[str, dict[str, Any]], dict[str, Any]]
PAIR_SPECS = botocore.session.get_session().get_service_model("kms").shape_for("DataKeyPairSpec").enum
# Fast specs for tests that do not care which spec; RSA_4096 generation costs a second on CI.
QUICK = "ECC_NIST_P256"
DRY_RUN = ("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")


def _public_matches_private(public_der: bytes, private_der: bytes) -> None:
    public = serialization.load_der_public_key(public_der)
    private = serialization.load_der_private_key(private_der, password=None)
    if isinstance(private, rsa.RSAPrivateKey):
        assert isinstance(public, rsa.RSAPublicKey)
        blob = public.encrypt(b"m", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
        assert private.decrypt(blob, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None)) == b"m"
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(private.sign(b"m", ec.ECDSA(hashes.SHA256())), b"m", ec.ECDSA(hashes.SHA256()))
    elif isinstance(private, ed25519.Ed25519PrivateKey):
        assert isinstance(public, ed25519.Ed25519PublicKey)
        public.verify(private.sign(b"m"), b"m")
    else:  # ML-KEM: the public key is the private key's
        assert private.public_key().public_bytes(  # type: ignore[union-attr]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == public_der


@pytest.mark.parametrize("spec", [s for s in PAIR_SPECS if supported(s)])
def test_every_supported_pair_spec(kms: Any, symmetric_key: dict[str, Any], spec: str, shape_checked: Check) -> None:
    pair = shape_checked("GenerateDataKeyPair", kms.generate_data_key_pair(KeyId=symmetric_key["KeyId"],
                                                                           KeyPairSpec=spec))
    assert pair["KeyId"] == symmetric_key["Arn"] and pair["KeyPairSpec"] == spec
    _public_matches_private(pair["PublicKey"], pair["PrivateKeyPlaintext"])
    opened = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])
    assert opened["Plaintext"] == pair["PrivateKeyPlaintext"]
    assert opened["KeyMaterialId"] == pair["KeyMaterialId"]


def test_the_gaps_are_sm2_and_what_cryptography_lacks() -> None:
    gaps = {s for s in PAIR_SPECS if not supported(s)}
    assert "SM2" in gaps
    assert gaps <= {"SM2", "ML_KEM_512"}, gaps  # cryptography 50 lacks ML-KEM-512


def test_without_plaintext(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    pair = shape_checked("GenerateDataKeyPairWithoutPlaintext", kms.generate_data_key_pair_without_plaintext(
        KeyId=symmetric_key["KeyId"], KeyPairSpec=QUICK, EncryptionContext={"k": "v"}))
    assert "PrivateKeyPlaintext" not in pair
    private = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"k": "v"})["Plaintext"]
    _public_matches_private(pair["PublicKey"], private)


def test_each_call_makes_a_new_pair(kms: Any, symmetric_key: dict[str, Any]) -> None:
    pairs = [kms.generate_data_key_pair(KeyId=symmetric_key["KeyId"], KeyPairSpec=QUICK) for _ in range(2)]
    assert pairs[0]["PublicKey"] != pairs[1]["PublicKey"]


def test_encryption_context_must_match_to_decrypt(kms: Any, symmetric_key: dict[str, Any]) -> None:
    pair = kms.generate_data_key_pair(KeyId=symmetric_key["KeyId"], KeyPairSpec=QUICK, EncryptionContext={"k": "v"})
    for context in ({}, {"k": "w"}, {"k": "v", "x": "y"}):
        with pytest.raises(ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext=context)
        assert error_of(excinfo) == ("InvalidCiphertextException", "")


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rotations=st.integers(min_value=0, max_value=12))
def test_the_private_key_decrypts_after_any_number_of_rotations(rotations: int) -> None:
    with KmsRotation(Config(on_demand_limit=25)) as fake:
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key()["KeyMetadata"]
        pair = kms.generate_data_key_pair_without_plaintext(KeyId=key["KeyId"], KeyPairSpec=QUICK)
        for _ in range(rotations):
            kms.rotate_key_on_demand(KeyId=key["KeyId"])
            fake.clock.advance(minutes=5)
        opened = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])
        assert opened["KeyMaterialId"] == pair["KeyMaterialId"]
        _public_matches_private(pair["PublicKey"], opened["Plaintext"])
        current = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
        assert len(current) == rotations + 1


def test_dry_run(kms: Any, symmetric_key: dict[str, Any]) -> None:
    for call in (kms.generate_data_key_pair, kms.generate_data_key_pair_without_plaintext):
        with pytest.raises(ClientError) as excinfo:
            call(KeyId=symmetric_key["KeyId"], KeyPairSpec=QUICK, DryRun=True)
        assert error_of(excinfo) == DRY_RUN
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize(
    "key_spec, key_usage, message",
    [
        ("RSA_2048", "ENCRYPT_DECRYPT", "{arn} key KeySpec is RSA_2048 which is not valid for {op}."),
        ("HMAC_256", "GENERATE_VERIFY_MAC", "{arn} key usage is GENERATE_VERIFY_MAC which is not valid for {op}."),
        ("ECC_NIST_P256", "SIGN_VERIFY", "{arn} key usage is SIGN_VERIFY which is not valid for {op}."),
    ],
)
def test_needs_a_symmetric_encryption_key(kms: Any, key_spec: str, key_usage: str, message: str) -> None:
    key = kms.create_key(KeySpec=key_spec, KeyUsage=key_usage)["KeyMetadata"]
    for op, call in (("GenerateDataKeyPair", kms.generate_data_key_pair),
                     ("GenerateDataKeyPairWithoutPlaintext", kms.generate_data_key_pair_without_plaintext)):
        with pytest.raises(ClientError) as excinfo:
            call(KeyId=key["KeyId"], KeyPairSpec=QUICK)
        assert error_of(excinfo) == ("InvalidKeyUsageException", message.format(arn=key["Arn"], op=op))


def test_key_states(kms: Any) -> None:
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    doomed = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    pending = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    for key, expected in ((disabled, ("DisabledException", f"{disabled['Arn']} is disabled.")),
                          (doomed, ("KMSInvalidStateException", f"{doomed['Arn']} is pending deletion.")),
                          (pending, ("KMSInvalidStateException", f"{pending['Arn']} is pending import."))):
        with pytest.raises(ClientError) as excinfo:
            kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec=QUICK)
        assert error_of(excinfo) == expected


def test_aliases_resolve(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/pairs", TargetKeyId=symmetric_key["KeyId"])
    pair = kms.generate_data_key_pair(KeyId="alias/pairs", KeyPairSpec=QUICK)
    assert pair["KeyId"] == symmetric_key["Arn"]


def test_sm2_outside_china_is_refused_and_inside_is_a_gap(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key_pair(KeyId=symmetric_key["KeyId"], KeyPairSpec="SM2")
    assert error_of(excinfo) == ("UnsupportedOperationException", "KeyPairSpec SM2 is not supported in this Region")
    china = boto3.client("kms", region_name="cn-north-1")
    key = china.create_key()["KeyMetadata"]
    with pytest.raises(NotImplementedByFake, match="GenerateDataKeyPair for SM2"):
        china.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="SM2")


def test_recipient_is_a_documented_gap(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with raises_gap(kms, "GenerateDataKeyPair with Recipient"):
        kms.generate_data_key_pair(KeyId=symmetric_key["KeyId"], KeyPairSpec=QUICK,
                                   Recipient={"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256",
                                              "AttestationDocument": b"doc"})

