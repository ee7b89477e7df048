"""What crosses the wire: JSON 1.1 bodies, AWS's status codes, and server-side validation."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation
from tests.conftest import error_of, sent_no_message


def unvalidated_client() -> Any:
    """A client whose own parameter validation is off, as some tools configure it."""
    return boto3.client("kms", region_name="us-east-1", config=BotoConfig(parameter_validation=False))


def test_limit_above_the_model_maximum_is_refused_in_aws_format(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.list_keys(Limit=1001)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_too_long_key_id_is_refused_with_a_length_message(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId="k" * 2049)
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message == (
        f"1 validation error detected: Value '{'k' * 2049}' at 'keyId' failed to satisfy constraint: "
        "Member must have length less than or equal to 2048"
    )


def test_a_value_below_the_model_minimum_is_refused_by_the_server_too(kms_rotation: KmsRotation) -> None:
    with pytest.raises(ClientError) as excinfo:
        unvalidated_client().list_keys(Limit=0)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    )


def test_a_wrong_type_that_botocore_lets_through_is_a_serialization_error(kms_rotation: KmsRotation) -> None:
    with pytest.raises(ClientError) as excinfo:
        unvalidated_client().list_keys(Limit="ten")
    assert excinfo.value.response["Error"]["Code"] == "SerializationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_missing_required_member_is_refused_by_the_server(kms_rotation: KmsRotation) -> None:
    with pytest.raises(ClientError) as excinfo:
        unvalidated_client().describe_key()
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    )


def test_timestamps_cross_as_epoch_seconds_and_parse_back_to_aware_datetimes(kms: Any,
                                                                             kms_rotation: KmsRotation) -> None:
    created = kms.create_key()["KeyMetadata"]["CreationDate"]
    assert created == kms_rotation.clock.now()
    assert created.utcoffset() is not None


def test_error_bodies_carry_type_and_message_as_aws_sends_them(kms_rotation: KmsRotation) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    seen: list[bytes] = []
    client.meta.events.register("after-call.kms.DescribeKey", lambda http_response, **_: seen.append(
        http_response.content))
    with pytest.raises(client.exceptions.NotFoundException):
        client.describe_key(KeyId="00000000-0000-4000-8000-000000000000")
    assert json.loads(seen[0]) == {
        "__type": "NotFoundException",
        "message": "Key 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000' does not exist",
    }


def _with_one_bit_flipped(marker: str) -> str:
    """The marker with one bit of its MAC flipped. (Overwriting its last characters flaked: the
    last base64 character carries padding bits, so "xx" sometimes decoded to the same bytes.)"""
    raw = bytearray(base64.urlsafe_b64decode(marker + "=" * (-len(marker) % 4)))
    raw[-1] ^= 0x01
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    assert forged != marker
    return forged


def test_a_forged_marker_is_refused_with_no_message(kms: Any) -> None:
    for _ in range(3):
        kms.create_key()
    first = kms.list_keys(Limit=1)
    assert first["Truncated"] is True
    with pytest.raises(kms.exceptions.InvalidMarkerException) as excinfo:
        kms.list_keys(Limit=1, Marker=_with_one_bit_flipped(first["NextMarker"]))
    assert sent_no_message(excinfo)


def test_the_list_keys_paginator_walks_every_page(kms: Any) -> None:
    created = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(7)}
    pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert {k["KeyId"] for page in pages for k in page["Keys"]} == created


def test_request_ids_and_content_type_are_present(kms: Any) -> None:
    response = kms.list_keys()
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/x-amz-json-1.1"
    assert response["ResponseMetadata"]["RequestId"] == headers["x-amzn-requestid"]
    assert response["ResponseMetadata"]["RetryAttempts"] == 0
