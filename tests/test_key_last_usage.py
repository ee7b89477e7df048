"""GetKeyLastUsage (issue 15): the last successful cryptographic use of each key the fake has seen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.usage import COUNTED, counted
from pytest_kmsrotate._protocol.service_model import model_enums
from tests._model import requires_operation
from tests.conftest import error_of

pytestmark = requires_operation("GetKeyLastUsage")

Check = Callable[[str, dict[str, Any]], dict[str, Any]]
MODEL = botocore.session.get_session().get_service_model("kms")


def test_the_counted_operations_are_the_models() -> None:
    enum = MODEL.operation_model("GetKeyLastUsage").output_shape.members["KeyLastUsage"].members["Operation"].enum
    assert counted(model_enums()) == set(enum)  # what a fake counts: the installed model's list
    # Without a learned model the API reference's list decides; it covers every model's list.
    assert counted(None) == COUNTED >= set(enum)


def test_an_unused_key(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    kms.describe_key(KeyId=symmetric_key["KeyId"])  # not a cryptographic operation
    response = shape_checked("GetKeyLastUsage", kms.get_key_last_usage(KeyId=symmetric_key["KeyId"]))
    assert response["KeyId"] == symmetric_key["KeyId"]
    assert response["KeyLastUsage"] == {}
    assert response["TrackingStartDate"] == response["KeyCreationDate"] == symmetric_key["CreationDate"]


def test_the_last_successful_use_with_its_cloudtrail_ids(kms: Any, kms_rotation: Any, symmetric_key: dict[str, Any],
                                                         shape_checked: Check) -> None:
    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    kms_rotation.clock.advance(hours=1)
    kms.decrypt(CiphertextBlob=blob)
    kms_rotation.clock.advance(hours=1)
    with pytest.raises(ClientError):  # a failed use does not count
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"wrong": "context"})
    response = shape_checked("GetKeyLastUsage", kms.get_key_last_usage(KeyId=symmetric_key["Arn"]))
    last = response["KeyLastUsage"]
    assert last["Operation"] == "Decrypt"
    assert last["Timestamp"] == symmetric_key["CreationDate"] + timedelta(hours=1)
    [event] = [e for e in kms_rotation.events.cloudtrail if e["eventName"] == "Decrypt" and "errorCode" not in e]
    assert (last["CloudTrailEventId"], last["KmsRequestId"]) == (event["eventID"], event["requestID"])


def test_re_encrypt_counts_for_both_keys(kms: Any, symmetric_key: dict[str, Any]) -> None:
    other = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=other["KeyId"])
    for key in (symmetric_key, other):
        assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "ReEncrypt"


@pytest.mark.parametrize(
    "spec, usage_, call, operation",
    [
        ("HMAC_256", "GENERATE_VERIFY_MAC",
         lambda kms, k: kms.generate_mac(KeyId=k, Message=b"m", MacAlgorithm="HMAC_SHA_256"), "GenerateMac"),
        ("ECC_NIST_P256", "SIGN_VERIFY",
         lambda kms, k: kms.sign(KeyId=k, Message=b"m", SigningAlgorithm="ECDSA_SHA_256"), "Sign"),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT",
         lambda kms, k: kms.generate_data_key_pair(KeyId=k, KeyPairSpec="ECC_NIST_P256"), "GenerateDataKeyPair"),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT",
         lambda kms, k: kms.generate_data_key(KeyId=k, KeySpec="AES_256"), "GenerateDataKey"),
    ],
)
def test_each_cryptographic_operation_counts(kms: Any, spec: str, usage_: str, call: Any, operation: str) -> None:
    key = kms.create_key(KeySpec=spec, KeyUsage=usage_)["KeyMetadata"]
    call(kms, key["KeyId"])
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == operation


def test_a_replica_keeps_its_own_usage(kms: Any) -> None:
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    replica = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
    kms.encrypt(KeyId=primary["KeyId"], Plaintext=b"p")
    west = boto3.client("kms", region_name="us-west-2")
    assert west.get_key_last_usage(KeyId=replica["Arn"])["KeyLastUsage"] == {}
    assert kms.get_key_last_usage(KeyId=primary["Arn"])["KeyLastUsage"]["Operation"] == "Encrypt"


def test_any_key_state_and_no_aliases(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p")
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=7)
    assert kms.get_key_last_usage(KeyId=symmetric_key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"
    kms.create_alias(AliasName="alias/used", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.get_key_last_usage(KeyId="alias/used")
    assert error_of(excinfo) == ("InvalidArnException", "Key Aliases are not supported for this operation.")
    missing = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as excinfo:
        kms.get_key_last_usage(KeyId=missing)
    assert error_of(excinfo) == ("NotFoundException", f"Key '{missing}' does not exist")
