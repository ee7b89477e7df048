"""`kms_rotation.events`: what CloudTrail and EventBridge would have recorded (spec §13; issue 4).

Records are compared field by field with AWS's documented examples: ct-enablekeyrotation,
ct-rotatekeyondemand, ct-rotatekey (AwsServiceEvent), ct-describekey, ct-encrypt and
kms-events (EventBridge `KMS CMK Rotation`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation
from tests.test_import_material import import_material

ACCOUNT = "111122223333"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
ROOT = {"type": "Root", "accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:root"}


def resource(arn: str) -> list[dict[str, str]]:
    return [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": arn}]


def without_ids(record: dict[str, Any], *names: str) -> dict[str, Any]:
    for name in names:
        assert UUID.match(record[name]), record[name]
    return {k: v for k, v in record.items() if k not in names}


def api_record(name: str, arn: str | None, request: dict[str, Any] | None, response: dict[str, Any] | None,
               *, time: str = "2024-01-01T00:00:00Z", read_only: bool = False) -> dict[str, Any]:
    return {
        "eventVersion": "1.11",
        "userIdentity": ROOT,
        "eventTime": time,
        "eventSource": "kms.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "127.0.0.1",
        "userAgent": "pytest-kmsrotate",
        "requestParameters": request,
        "responseElements": response,
        "readOnly": read_only,
        "resources": resource(arn) if arn else [],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


# -- AwsApiCall records ----------------------------------------------------------------------------


def test_a_successful_call_is_logged_field_by_field(kms: Any, kms_rotation: KmsRotation,
                                                     symmetric_key: dict[str, Any]) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=180)
    [record] = kms_rotation.events.where(name="EnableKeyRotation")
    # responseElements.keyId is the ARN although the operation returns nothing (ct-enablekeyrotation).
    assert without_ids(record, "requestID", "eventID") == api_record(
        "EnableKeyRotation", symmetric_key["Arn"],
        {"keyId": symmetric_key["KeyId"], "rotationPeriodInDays": 180}, {"keyId": symmetric_key["Arn"]})


def test_rotate_key_on_demand_logs_the_key_arn_in_response_elements(kms: Any, kms_rotation: KmsRotation,
                                                                      symmetric_key: dict[str, Any]) -> None:
    kms_rotation.clock.advance(hours=1, seconds=30.999)  # CloudTrail keeps whole seconds
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    [record] = kms_rotation.events.where(name="RotateKeyOnDemand")
    assert without_ids(record, "requestID", "eventID") == api_record(
        "RotateKeyOnDemand", symmetric_key["Arn"], {"keyId": symmetric_key["KeyId"]},
        {"keyId": symmetric_key["Arn"]}, time="2024-01-01T01:00:30Z")


def test_a_failed_call_carries_error_code_and_message(kms: Any, kms_rotation: KmsRotation,
                                                      symmetric_key: dict[str, Any]) -> None:
    kms.disable_key(KeyId=symmetric_key["KeyId"])
    with pytest.raises(ClientError):
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    [record] = kms_rotation.events.where(name="RotateKeyOnDemand")
    assert without_ids(record, "requestID", "eventID") == api_record(
        "RotateKeyOnDemand", symmetric_key["Arn"], {"keyId": symmetric_key["KeyId"]}, None) | {
        "errorCode": "DisabledException", "errorMessage": f"{symmetric_key['Arn']} is disabled."}


def test_an_error_without_a_message_has_no_error_message(kms: Any, kms_rotation: KmsRotation) -> None:
    hmac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    with pytest.raises(ClientError):
        kms.rotate_key_on_demand(KeyId=hmac["Arn"])
    [record] = kms_rotation.events.where(name="RotateKeyOnDemand")
    assert record["errorCode"] == "UnsupportedOperationException"
    assert "errorMessage" not in record
    assert record["responseElements"] is None
    assert record["requestParameters"] == {"keyId": hmac["Arn"]}


def test_reads_and_cryptographic_calls_are_read_only_and_log_no_response(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    key = symmetric_key["KeyId"]
    kms.describe_key(KeyId=key)
    kms.get_key_rotation_status(KeyId=key)
    kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    kms.list_keys()
    blob = kms.encrypt(KeyId=key, Plaintext=b"top secret", EncryptionContext={"Department": "Engineering"})
    kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"Department": "Engineering"})
    kms.generate_data_key(KeyId=key, KeySpec="AES_256")
    kms.update_key_description(KeyId=key, Description="changed")
    read_only = {e["eventName"]: e["readOnly"] for e in kms_rotation.events.cloudtrail}
    assert read_only == {"CreateKey": False, "DescribeKey": True, "GetKeyRotationStatus": True,
                         "ListKeyRotations": True, "ListKeys": True, "Encrypt": True, "Decrypt": True,
                         "GenerateDataKey": True, "UpdateKeyDescription": False}
    for record in kms_rotation.events.cloudtrail:
        if record["readOnly"]:
            assert record["responseElements"] is None, record["eventName"]
    assert kms_rotation.events.where(name="ListKeyRotations")[0]["requestParameters"] == {
        "keyId": key, "includeKeyMaterial": "ALL_KEY_MATERIAL"}


def test_request_parameters_are_camel_case_and_never_carry_secrets(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    key = symmetric_key["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"top secret", EncryptionContext={"Department": "Engineering"})
    kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"Department": "Engineering"})
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    import_material(kms, external, bytes(32))
    encrypt, decrypt = kms_rotation.events.where(name="Encrypt")[0], kms_rotation.events.where(name="Decrypt")[0]
    # The caller's encryption context keeps its own keys (ct-encrypt shows "Department").
    assert encrypt["requestParameters"] == {"keyId": key, "encryptionContext": {"Department": "Engineering"}}
    assert decrypt["requestParameters"] == {"encryptionContext": {"Department": "Engineering"}}
    imported = kms_rotation.events.where(name="ImportKeyMaterial")[0]["requestParameters"]
    assert imported == {"keyId": external, "expirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}
    text = repr(list(kms_rotation.events))
    assert "top secret" not in text and "dG9wIHNlY3JldA" not in text  # nor its base64
    assert blob["CiphertextBlob"] != b"" and repr(blob["CiphertextBlob"]) not in text


# -- rotation events -------------------------------------------------------------------------------


def service_event(arn: str, key_id: str, kind: str, previous: str, current: str, time: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.11",
        "userIdentity": {"accountId": ACCOUNT, "invokedBy": "AWS Internal"},
        "eventTime": time,
        "eventSource": "kms.amazonaws.com",
        "eventName": "RotateKey",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "AWS Internal",
        "userAgent": "AWS Internal",
        "requestParameters": None,
        "responseElements": None,
        "readOnly": False,
        "resources": resource(arn),
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "serviceEventDetails": {
            "rotationType": kind,
            "keyOrigin": "AWS_KMS",
            "previousKeyMaterialId": previous,
            "currentKeyMaterialId": current,
            "keyId": key_id,  # the bare key ID, as every ct-rotatekey example shows it
        },
        "eventCategory": "Management",
    }


def eventbridge_event(arn: str, key_id: str, kind: str, previous: str, current: str, time: str) -> dict[str, Any]:
    return {
        "version": "0",
        "detail-type": "KMS CMK Rotation",
        "source": "aws.kms",
        "account": ACCOUNT,
        "time": time,
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "key-id": key_id,
            "key-origin": "AWS_KMS",
            "rotation-type": kind,
            "previous-key-material-id": previous,
            "current-key-material-id": current,
        },
    }


def test_an_automatic_rotation_logs_rotate_key_and_an_eventbridge_event(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    arn, key_id = symmetric_key["Arn"], symmetric_key["KeyId"]
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    first = kms_rotation.key(key_id).current_material_id
    assert first is not None
    kms_rotation.clock.advance(days=90)
    second = kms_rotation.key(key_id).current_material_id
    assert second is not None and second != first
    [trail] = kms_rotation.events.where(name="RotateKey")
    [bridge] = kms_rotation.events.eventbridge
    assert without_ids(trail, "eventID") == service_event(arn, key_id, "AUTOMATIC", first, second,
                                                         "2024-03-31T00:00:00Z")
    assert without_ids(bridge, "id") == eventbridge_event(arn, key_id, "AUTOMATIC", first, second,
                                                          "2024-03-31T00:00:00Z")


@pytest.mark.kms_rotation(on_demand_delay=100)
def test_an_on_demand_rotation_is_logged_when_it_completes(kms: Any, kms_rotation: KmsRotation,
                                                           symmetric_key: dict[str, Any]) -> None:
    arn, key_id = symmetric_key["Arn"], symmetric_key["KeyId"]
    first = kms_rotation.key(key_id).current_material_id
    kms.rotate_key_on_demand(KeyId=key_id)
    assert kms_rotation.events.where(type="AwsServiceEvent") == []
    assert kms_rotation.events.eventbridge == []
    kms_rotation.clock.advance(seconds=100)
    second = kms_rotation.key(key_id).current_material_id
    assert first is not None and second is not None
    [trail] = kms_rotation.events.where(name="RotateKey")
    [bridge] = kms_rotation.events.where(name="KMS CMK Rotation")
    assert without_ids(trail, "eventID") == service_event(arn, key_id, "ON_DEMAND", first, second,
                                                         "2024-01-01T00:01:40Z")
    assert without_ids(bridge, "id") == eventbridge_event(arn, key_id, "ON_DEMAND", first, second,
                                                          "2024-01-01T00:01:40Z")


def test_the_api_call_comes_first_then_the_rotation_it_caused(kms: Any, kms_rotation: KmsRotation,
                                                              symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.disable_key(KeyId=key_id)
    kms_rotation.clock.advance(days=100)
    kms.enable_key(KeyId=key_id)  # past the date: rotates at once (spec §3 rule 6)
    kms.describe_key(KeyId=key_id)
    assert kms_rotation.events.names == [
        "CreateKey", "RotateKeyOnDemand", "RotateKey", "KMS CMK Rotation", "EnableKeyRotation", "DisableKey",
        "EnableKey", "RotateKey", "KMS CMK Rotation", "DescribeKey"]
    rotation_types = [e["serviceEventDetails"]["rotationType"] for e in kms_rotation.events.where(name="RotateKey")]
    assert rotation_types == ["ON_DEMAND", "AUTOMATIC"]
    ids = [e.get("eventID") or e["id"] for e in kms_rotation.events]
    assert len(set(ids)) == len(ids)


def test_automatic_rotations_are_logged_in_time_order_across_keys(kms: Any, kms_rotation: KmsRotation) -> None:
    slow, fast = (kms.create_key()["KeyMetadata"] for _ in range(2))
    kms.enable_key_rotation(KeyId=slow["KeyId"], RotationPeriodInDays=200)
    kms.enable_key_rotation(KeyId=fast["KeyId"], RotationPeriodInDays=90)
    kms_rotation.clock.advance(days=300)
    got = [(e["eventTime"][:10], e["resources"][0]["ARN"]) for e in kms_rotation.events.where(name="RotateKey")]
    assert got == [("2024-03-31", fast["Arn"]), ("2024-06-29", fast["Arn"]), ("2024-07-19", slow["Arn"]),
                   ("2024-09-27", fast["Arn"])]


# -- filters ---------------------------------------------------------------------------------------


def test_filters_by_name_key_and_type(kms: Any, kms_rotation: KmsRotation) -> None:
    one, two = (kms.create_key()["KeyMetadata"] for _ in range(2))
    for key in (one, two):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    kms.list_keys()
    events = kms_rotation.events
    assert len(events) == 2 * 4 + 1
    by_arn = events.where(key=one["Arn"])
    assert by_arn == events.where(key=one["KeyId"])
    assert by_arn.names == ["CreateKey", "RotateKeyOnDemand", "RotateKey", "KMS CMK Rotation"]
    assert events.where(type="AwsServiceEvent").names == ["RotateKey", "RotateKey"]
    assert events.where(type="EventBridge").names == ["KMS CMK Rotation", "KMS CMK Rotation"]
    assert events.where(type="AwsApiCall").names == ["CreateKey", "CreateKey", "RotateKeyOnDemand",
                                                     "RotateKeyOnDemand", "ListKeys"]
    assert events.where(name="RotateKey", key=two["KeyId"])[0]["resources"][0]["ARN"] == two["Arn"]
    assert events.where(name="KMS CMK Rotation", key=two["Arn"])[0]["detail"]["key-id"] == two["KeyId"]
    assert events.where(name="RotateKey", type="AwsApiCall") == []
    assert events.cloudtrail.names == [n for n in events.names if n != "KMS CMK Rotation"]
    assert events.eventbridge == events.where(name="KMS CMK Rotation")
    # A key ID is not matched by a suffix of another ID.
    assert events.where(key=one["KeyId"][1:]) == []


def test_events_are_a_snapshot_that_later_activity_does_not_change(kms: Any, kms_rotation: KmsRotation,
                                                                   symmetric_key: dict[str, Any]) -> None:
    before = kms_rotation.events
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"])
    kms_rotation.clock.advance(timedelta(days=365))
    assert before.names == ["CreateKey"]
    assert kms_rotation.events.names == ["CreateKey", "EnableKeyRotation", "RotateKey", "KMS CMK Rotation"]
