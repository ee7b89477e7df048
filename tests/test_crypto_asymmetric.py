"""RSA, ECC and HMAC keys: checked with `cryptography` and `hmac` outside the fake."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

from pytest_kmsrotate._core import primitives as crypto
from pytest_kmsrotate._core.model import KeyMaterial
from tests._model import requires_model
from tests.conftest import assert_matches_output_shape, error_of, sent_no_message

_HASH = {"256": hashes.SHA256(), "384": hashes.SHA384(), "512": hashes.SHA512()}


def _public_key(kms: Any, key_id: str) -> Any:
    response = kms.get_public_key(KeyId=key_id)
    assert_matches_output_shape("GetPublicKey", response)
    return response, serialization.load_der_public_key(response["PublicKey"])


def _verify_outside(public: Any, algorithm: str, message: bytes, signature: bytes, digest: bool = False) -> None:
    """Raises InvalidSignature unless `signature` is AWS-shaped and valid."""
    if isinstance(public, ed25519.Ed25519PublicKey):
        public.verify(signature, message)
        return
    chosen = _HASH[algorithm[-3:]]
    hash_arg = utils.Prehashed(chosen) if digest else chosen
    if isinstance(public, rsa.RSAPublicKey):
        pad = (
            padding.PSS(mgf=padding.MGF1(chosen), salt_length=chosen.digest_size)
            if "PSS" in algorithm
            else padding.PKCS1v15()
        )
        public.verify(signature, message, pad, hash_arg)
    else:
        public.verify(signature, message, ec.ECDSA(hash_arg))


@pytest.mark.parametrize(
    ("key_spec", "algorithms"),
    [
        (
            "RSA_2048",
            [
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512",
            ],
        ),
        ("ECC_NIST_P256", ["ECDSA_SHA_256"]),
        ("ECC_NIST_P384", ["ECDSA_SHA_384"]),
        ("ECC_NIST_P521", ["ECDSA_SHA_512"]),
        ("ECC_SECG_P256K1", ["ECDSA_SHA_256"]),
        pytest.param("ECC_NIST_EDWARDS25519", ["ED25519_SHA_512"],
                     marks=requires_model("KeySpec", "ECC_NIST_EDWARDS25519")),
    ],
)
def test_signatures_verify_outside_the_fake(kms: Any, key_spec: str, algorithms: list[str]) -> None:
    key = kms.create_key(KeySpec=key_spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    response, public = _public_key(kms, key["KeyId"])
    assert response["KeySpec"] == response["CustomerMasterKeySpec"] == key_spec
    assert response["KeyUsage"] == "SIGN_VERIFY"
    assert response["SigningAlgorithms"] == key["SigningAlgorithms"]
    assert "EncryptionAlgorithms" not in response
    for algorithm in algorithms:
        signed = kms.sign(KeyId=key["KeyId"], Message=b"message", SigningAlgorithm=algorithm)
        assert_matches_output_shape("Sign", signed)
        assert (signed["KeyId"], signed["SigningAlgorithm"]) == (key["Arn"], algorithm)
        _verify_outside(public, algorithm, b"message", signed["Signature"])
        verified = kms.verify(
            KeyId=key["KeyId"], Message=b"message", Signature=signed["Signature"], SigningAlgorithm=algorithm
        )
        assert_matches_output_shape("Verify", verified)
        assert verified["SignatureValid"] is True


def test_digest_signing(kms: Any) -> None:
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    _, public = _public_key(kms, key["KeyId"])
    digest = hashlib.sha256(b"big document").digest()
    signed = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    _verify_outside(public, "ECDSA_SHA_256", b"big document", signed["Signature"])
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=key["KeyId"], Message=digest[:20], MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(excinfo) == ("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")


def test_a_bad_signature_is_refused_without_a_message(kms: Any) -> None:
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    signature = kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    for message, sig in ((b"other", signature), (b"m", bytes([signature[0] ^ 1]) + signature[1:])):
        with pytest.raises(ClientError) as excinfo:
            kms.verify(KeyId=key["KeyId"], Message=message, Signature=sig, SigningAlgorithm="RSASSA_PSS_SHA_256")
        assert error_of(excinfo) == ("KMSInvalidSignatureException", "")
        assert sent_no_message(excinfo)


def test_signing_refuses_an_algorithm_of_another_key_spec(kms: Any) -> None:
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_384")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.",
    )


def test_sign_with_an_encryption_key_is_wrong_usage(kms: Any) -> None:
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{key['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Sign.",
    )


@pytest.mark.parametrize(
    ("algorithm", "hash_"), [("RSAES_OAEP_SHA_1", hashes.SHA1()), ("RSAES_OAEP_SHA_256", hashes.SHA256())]
)
def test_rsa_encryption_round_trips_with_the_public_key(kms: Any, algorithm: str, hash_: Any) -> None:
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    response, public = _public_key(kms, key["KeyId"])
    assert response["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]
    outside = public.encrypt(b"from outside", padding.OAEP(mgf=padding.MGF1(hash_), algorithm=hash_, label=None))
    decrypted = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=outside, EncryptionAlgorithm=algorithm)
    assert_matches_output_shape("Decrypt", decrypted)
    assert decrypted["Plaintext"] == b"from outside"
    assert "KeyMaterialId" not in decrypted

    inside = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"inside", EncryptionAlgorithm=algorithm)
    assert_matches_output_shape("Encrypt", inside)
    decrypted = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=inside["CiphertextBlob"], EncryptionAlgorithm=algorithm)
    assert decrypted["Plaintext"] == b"inside"


def test_rsa_encryption_limits_and_wrong_algorithm(kms: Any) -> None:
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 190, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error_of(excinfo) == (
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.",
    )
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert error_of(excinfo) == ("InvalidCiphertextException", "")
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{key['Arn']} key KeySpec is RSA_2048 which is not valid for GenerateDataKey.",
    )


def test_get_public_key_of_a_symmetric_key_is_unsupported(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.get_public_key(KeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == ("UnsupportedOperationException", "")


def test_creating_an_rsa_key_makes_no_key_pair_until_first_use(kms: Any, kms_rotation: Any) -> None:
    key = kms.create_key(KeySpec="RSA_4096", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    material = kms_rotation.engine.state.keys[key["Arn"]].lineage.current()
    assert material.derived is None
    kms.get_public_key(KeyId=key["KeyId"])
    first = material.derived["private_key"]
    kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert material.derived["private_key"] is first


@pytest.mark.parametrize(
    ("key_spec", "digest", "size"),
    [("HMAC_224", "sha224", 28), ("HMAC_256", "sha256", 32), ("HMAC_384", "sha384", 48), ("HMAC_512", "sha512", 64)],
)
def test_macs_match_python_hmac(kms: Any, kms_rotation: Any, key_spec: str, digest: str, size: int) -> None:
    key = kms.create_key(KeySpec=key_spec, KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    algorithm = f"HMAC_SHA_{key_spec[5:]}"
    generated = kms.generate_mac(KeyId=key["KeyId"], Message=b"message", MacAlgorithm=algorithm)
    assert_matches_output_shape("GenerateMac", generated)
    assert (generated["KeyId"], generated["MacAlgorithm"]) == (key["Arn"], algorithm)
    # The fake's HMAC key, read out of its state, reproduces the MAC with Python's hmac.
    material = kms_rotation.engine.state.keys[key["Arn"]].lineage.current()
    secret = crypto.hmac_key(material, key_spec)
    assert len(secret) == size
    assert generated["Mac"] == hmac.new(secret, b"message", digest).digest()

    verified = kms.verify_mac(KeyId=key["KeyId"], Message=b"message", Mac=generated["Mac"], MacAlgorithm=algorithm)
    assert_matches_output_shape("VerifyMac", verified)
    assert verified["MacValid"] is True
    with pytest.raises(ClientError) as excinfo:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"messagE", Mac=generated["Mac"], MacAlgorithm=algorithm)
    assert error_of(excinfo) == ("KMSInvalidMacException", "")
    assert sent_no_message(excinfo)


def test_mac_refusals(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_512")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.",
    )
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=symmetric_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{symmetric_key['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.",
    )
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{key['Arn']} key usage is GENERATE_VERIFY_MAC which is not valid for Encrypt.",
    )
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.")


def test_hmac_key_derivation_is_per_spec_and_deterministic() -> None:
    material = KeyMaterial(material_id="0" * 64, secret=bytes(range(32)), state="CURRENT")
    again = KeyMaterial(material_id="0" * 64, secret=bytes(range(32)), state="CURRENT")
    assert crypto.hmac_key(material, "HMAC_512") == crypto.hmac_key(again, "HMAC_512")
    assert len(crypto.hmac_key(material, "HMAC_512")) == 64
