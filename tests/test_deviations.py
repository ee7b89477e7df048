"""Deviations from AWS's recorded responses, fixed (issue 15, deviations 3-7)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._model import has_value
from tests.conftest import error_of

INCORRECT_KEY = ("IncorrectKeyException",
                 "The key ID in the request does not identify a CMK that can perform this operation.")


@pytest.mark.parametrize("operation", ["describe_key", "encrypt"])
def test_an_alias_arn_of_another_account_is_not_the_callers_alias(kms: Any, symmetric_key: dict[str, Any],
                                                                  operation: str) -> None:
    kms.create_alias(AliasName="alias/x", TargetKeyId=symmetric_key["KeyId"])
    foreign = "arn:aws:kms:us-east-1:999999999999:alias/x"
    params: dict[str, Any] = {"KeyId": foreign}
    if operation == "encrypt":
        params["Plaintext"] = b"p"
    with pytest.raises(ClientError) as excinfo:
        getattr(kms, operation)(**params)
    assert error_of(excinfo) == ("NotFoundException", f"Alias {foreign} is not found.")
    own = "arn:aws:kms:us-east-1:111122223333:alias/x"
    assert kms.describe_key(KeyId=own)["KeyMetadata"]["Arn"] == symmetric_key["Arn"]


def test_decrypt_with_a_key_that_cannot_decrypt_is_the_incorrect_key(kms: Any, symmetric_key: dict[str, Any]) -> None:
    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    for key in (hmac, signing):
        with pytest.raises(ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"])
        assert error_of(excinfo) == INCORRECT_KEY
        with pytest.raises(ClientError) as excinfo:
            kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=key["KeyId"], DestinationKeyId=symmetric_key["KeyId"])
        assert error_of(excinfo) == INCORRECT_KEY


@pytest.mark.parametrize("policy", ["not json", "[]", '{"Version": '])
def test_create_key_refuses_a_policy_that_is_not_a_json_document(kms: Any, policy: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Policy=policy)
    assert error_of(excinfo) == ("MalformedPolicyDocumentException", "The policy is not a valid JSON document.")
    assert kms.list_keys()["Keys"] == []


def test_generate_random_without_number_of_bytes(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.generate_random()
    assert error_of(excinfo) == ("ValidationException", "NumberOfBytes is required.")


def test_enum_sets_are_printed_in_awss_recorded_order(kms: Any) -> None:
    """Issue 15, deviation 8: AWS's recorded order, not the model's."""
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=key, Message=b"m", MacAlgorithm="HMAC_SHA_999")
    assert error_of(excinfo) == ("ValidationException", (
        "1 validation error detected: Value 'HMAC_SHA_999' at 'macAlgorithm' failed to satisfy constraint: "
        "Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]"))
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeyUsage="RANDOM")
    # The recorded three first, then the model's other usages in its order (without
    # ENCAPSULATE_DECAPSULATE where the installed model predates it).
    newer = ", ".join(u for u in ("KEY_AGREEMENT", "ENCAPSULATE_DECAPSULATE") if has_value("KeyUsageType", u))
    assert error_of(excinfo)[1].endswith(
        f"Member must satisfy enum value set: [ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, {newer}]")
