"""Symmetric encryption through boto3: blobs survive rotation, contexts are authenticated (spec §11)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._rotation_support import wait_for_replica
from tests.conftest import assert_matches_output_shape, error_of, sent_no_message

CONTEXT = {"tenant": "a", "purpose": "test"}


def _decrypt(kms: Any, blob: bytes, **kwargs: Any) -> dict[str, Any]:
    response = kms.decrypt(CiphertextBlob=blob, **kwargs)
    assert_matches_output_shape("Decrypt", response)
    return response  # type: ignore[no-any-return]


def test_encrypt_then_decrypt_without_key_id_names_the_material(kms: Any, symmetric_key: dict[str, Any]) -> None:
    encrypted = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"secret")
    assert_matches_output_shape("Encrypt", encrypted)
    assert encrypted["KeyId"] == symmetric_key["Arn"]
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert "KeyMaterialId" not in encrypted
    assert b"secret" not in encrypted["CiphertextBlob"]

    decrypted = _decrypt(kms, encrypted["CiphertextBlob"])
    assert decrypted["Plaintext"] == b"secret"
    assert decrypted["KeyId"] == symmetric_key["Arn"]
    assert decrypted["KeyMaterialId"] == symmetric_key["CurrentKeyMaterialId"]


def test_old_ciphertext_decrypts_with_its_own_material_after_rotations(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    first = kms.encrypt(KeyId=key_id, Plaintext=b"one", EncryptionContext=CONTEXT)["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    kms.rotate_key_on_demand(KeyId=key_id)
    current = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert current != symmetric_key["CurrentKeyMaterialId"]
    second = kms.encrypt(KeyId=key_id, Plaintext=b"two", EncryptionContext=CONTEXT)["CiphertextBlob"]
    assert first != second

    old = _decrypt(kms, first, EncryptionContext=dict(reversed(list(CONTEXT.items()))))
    assert (old["Plaintext"], old["KeyMaterialId"]) == (b"one", symmetric_key["CurrentKeyMaterialId"])
    new = _decrypt(kms, second, KeyId=key_id, EncryptionContext=CONTEXT)
    assert (new["Plaintext"], new["KeyMaterialId"]) == (b"two", current)


def test_reencrypt_moves_data_to_the_current_material(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    old_material = symmetric_key["CurrentKeyMaterialId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"data", EncryptionContext=CONTEXT)["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    new_material = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]

    moved = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext=CONTEXT,
        DestinationKeyId=key_id,
        DestinationEncryptionContext={"new": "ctx"},
    )
    assert_matches_output_shape("ReEncrypt", moved)
    assert moved["SourceKeyMaterialId"] == old_material
    assert moved["DestinationKeyMaterialId"] == new_material
    assert moved["SourceKeyId"] == moved["KeyId"] == symmetric_key["Arn"]
    assert moved["SourceEncryptionAlgorithm"] == moved["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    decrypted = _decrypt(kms, moved["CiphertextBlob"], EncryptionContext={"new": "ctx"})
    assert (decrypted["Plaintext"], decrypted["KeyMaterialId"]) == (b"data", new_material)


def test_reencrypt_to_another_key(kms: Any, symmetric_key: dict[str, Any]) -> None:
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    moved = kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other["Arn"])
    assert_matches_output_shape("ReEncrypt", moved)
    assert (moved["SourceKeyId"], moved["KeyId"]) == (symmetric_key["Arn"], other["Arn"])
    assert moved["DestinationKeyMaterialId"] == other["CurrentKeyMaterialId"]
    assert _decrypt(kms, moved["CiphertextBlob"])["KeyId"] == other["Arn"]


def test_generate_data_key_reports_material_and_decrypts(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    current = kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"]
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", EncryptionContext=CONTEXT)
    assert_matches_output_shape("GenerateDataKey", data_key)
    assert len(data_key["Plaintext"]) == 32
    assert data_key["KeyMaterialId"] == current
    assert _decrypt(kms, data_key["CiphertextBlob"], EncryptionContext=CONTEXT)["Plaintext"] == data_key["Plaintext"]

    short = kms.generate_data_key(KeyId=key_id, NumberOfBytes=7)
    assert len(short["Plaintext"]) == 7
    assert len(kms.generate_data_key(KeyId=key_id, KeySpec="AES_128")["Plaintext"]) == 16

    without = kms.generate_data_key_without_plaintext(KeyId=key_id, KeySpec="AES_256")
    assert_matches_output_shape("GenerateDataKeyWithoutPlaintext", without)
    assert "Plaintext" not in without
    assert without["KeyMaterialId"] == current
    assert len(_decrypt(kms, without["CiphertextBlob"])["Plaintext"]) == 32


def test_generate_data_key_needs_exactly_one_size(kms: Any, symmetric_key: dict[str, Any]) -> None:
    for kwargs in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
        with pytest.raises(ClientError) as excinfo:
            kms.generate_data_key(KeyId=symmetric_key["KeyId"], **kwargs)
        assert error_of(excinfo) == ("ValidationException", "Please specify either number of bytes or key spec.")


def test_generate_random(kms: Any) -> None:
    response = kms.generate_random(NumberOfBytes=48)
    assert_matches_output_shape("GenerateRandom", response)
    assert len(response["Plaintext"]) == 48
    assert response["Plaintext"] != kms.generate_random(NumberOfBytes=48)["Plaintext"]


def test_aliases_work_for_crypto_operations(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/data", TargetKeyId=symmetric_key["KeyId"])
    blob = kms.encrypt(KeyId="alias/data", Plaintext=b"via alias")["CiphertextBlob"]
    alias_arn = f"arn:aws:kms:us-east-1:{symmetric_key['AWSAccountId']}:alias/data"
    assert _decrypt(kms, blob, KeyId=alias_arn)["Plaintext"] == b"via alias"
    assert kms.generate_data_key(KeyId="alias/data", NumberOfBytes=8)["KeyId"] == symmetric_key["Arn"]


@pytest.mark.parametrize(
    "context",
    [None, {"tenant": "b", "purpose": "test"}, {"tenant": "a"}, {"tenant": "a", "purpose": "test", "x": "y"}],
)
def test_a_different_encryption_context_is_invalid_ciphertext(
    kms: Any, symmetric_key: dict[str, Any], context: dict[str, str] | None
) -> None:
    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p", EncryptionContext=CONTEXT)["CiphertextBlob"]
    kwargs = {"EncryptionContext": context} if context is not None else {}
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob, **kwargs)
    assert error_of(excinfo) == ("InvalidCiphertextException", "")
    assert sent_no_message(excinfo)


def _tampered(blob: bytes) -> list[bytes]:
    flipped = [bytes([*blob[:i], blob[i] ^ 1, *blob[i + 1 :]]) for i in (0, 2, 10, len(blob) // 2, len(blob) - 1)]
    return [*flipped, blob[:-1], blob[:20], b"\x01", b"not a kms ciphertext at all", blob + b"\x00"]


def test_modified_truncated_or_forged_ciphertext_is_invalid(kms: Any, symmetric_key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"payload")["CiphertextBlob"]
    for bad in _tampered(blob):
        with pytest.raises(ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=bad)
        assert error_of(excinfo) == ("InvalidCiphertextException", ""), bad
        assert sent_no_message(excinfo)


def test_a_blob_cannot_be_moved_to_another_material_of_the_same_key(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    old = kms.encrypt(KeyId=key_id, Plaintext=b"a")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key_id)
    new = kms.encrypt(KeyId=key_id, Plaintext=b"a")["CiphertextBlob"]
    header = len(new) - len(b"a") - 16 - 12
    forged = old[: header - 32] + new[header - 32 : header] + old[header:]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=forged)
    assert error_of(excinfo) == ("InvalidCiphertextException", "")


def test_ciphertext_of_another_key_with_explicit_key_id_is_incorrect_key(
    kms: Any, symmetric_key: dict[str, Any]
) -> None:
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob, KeyId=other["KeyId"])
    assert error_of(excinfo) == (
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
    )
    with pytest.raises(ClientError) as excinfo:
        kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=other["Arn"], DestinationKeyId=other["Arn"])
    assert error_of(excinfo)[0] == "IncorrectKeyException"


def test_plaintext_over_4096_bytes_is_a_validation_error(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"x" * 4096)
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"x" * 4097)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096",
    )


def test_key_states_refuse_crypto(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id, arn = symmetric_key["KeyId"], symmetric_key["Arn"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"p")["CiphertextBlob"]
    kms.disable_key(KeyId=key_id)
    for call in (
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b"p"),
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("DisabledException", f"{arn} is disabled.")
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    for call in (lambda: kms.encrypt(KeyId=key_id, Plaintext=b"p"), lambda: kms.decrypt(CiphertextBlob=blob)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("KMSInvalidStateException", f"{arn} is pending deletion.")
    kms.cancel_key_deletion(KeyId=key_id)
    kms.enable_key(KeyId=key_id)
    assert _decrypt(kms, blob)["Plaintext"] == b"p"


def test_wrong_key_usage_is_refused(kms: Any) -> None:
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=signing["KeyId"], Plaintext=b"p")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt.",
    )
    with pytest.raises(ClientError) as excinfo:
        kms.generate_data_key(KeyId=signing["KeyId"], KeySpec="AES_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{signing['Arn']} key usage is SIGN_VERIFY which is not valid for GenerateDataKey.",
    )


def test_symmetric_key_refuses_an_rsa_algorithm(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p", EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT.",
    )


def test_dry_run_checks_without_encrypting(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p", DryRun=True)
    assert error_of(excinfo) == (
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400  # as recorded from AWS


def test_multi_region_blob_decrypts_in_the_replica_region(kms: Any, kms_rotation: Any) -> None:
    import boto3

    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")
    blob = kms.encrypt(KeyId=primary["KeyId"], Plaintext=b"everywhere")["CiphertextBlob"]
    west = boto3.client("kms", region_name="eu-west-1")
    wait_for_replica(west, primary["KeyId"])
    decrypted = west.decrypt(CiphertextBlob=blob)
    assert_matches_output_shape("Decrypt", decrypted)
    assert decrypted["Plaintext"] == b"everywhere"
    assert decrypted["KeyId"] == primary["Arn"].replace("us-east-1", "eu-west-1")
    assert decrypted["KeyMaterialId"] == primary["CurrentKeyMaterialId"]


def test_single_region_blob_does_not_decrypt_elsewhere(kms: Any, symmetric_key: dict[str, Any]) -> None:
    import boto3

    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"here")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        boto3.client("kms", region_name="eu-west-1").decrypt(CiphertextBlob=blob)
    assert error_of(excinfo) == ("InvalidCiphertextException", "")
