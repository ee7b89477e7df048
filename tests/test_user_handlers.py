"""Handlers a user registers on a KMS client's events run as botocore runs them (issue 17).

botocore calls `before-send` handlers most specific first and the first answer wins; the fake
stands after the handlers registered for KMS, so they run first and, if one answers, the fake
never sees the request. Handlers for every service (`before-send`, moto's) come after the fake.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config as BotoConfig

from pytest_kmsrotate import KmsRotation
from tests.conftest import assert_matches_output_shape, error_of


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> list[bytes]:
        return [self.body]


def _response(request: Any, status: int, body: dict[str, Any]) -> AWSResponse:
    return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"},
                       _Raw(json.dumps(body).encode()))


def test_a_handler_that_answers_wins_and_the_fake_never_sees_the_call(kms_rotation: KmsRotation) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    key = client.create_key()["KeyMetadata"]["KeyId"]

    def canned(request: Any, **_: Any) -> AWSResponse:
        return _response(request, 200, {"KeyRotationEnabled": True, "KeyId": "from-the-handler"})

    client.meta.events.register("before-send.kms.GetKeyRotationStatus", canned)
    status = client.get_key_rotation_status(KeyId=key)
    assert_matches_output_shape("GetKeyRotationStatus", status)
    assert (status["KeyRotationEnabled"], status["KeyId"]) == (True, "from-the-handler")
    assert [c.operation for c in kms_rotation.calls] == ["CreateKey"]


def test_a_handler_on_the_service_sees_the_serialized_request_before_the_fake(kms_rotation: KmsRotation) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    seen: list[tuple[str, dict[str, Any], int]] = []

    def watch(request: Any, event_name: str, **_: Any) -> None:
        seen.append((event_name, json.loads(request.body), len(kms_rotation.calls)))

    client.meta.events.register("before-send.kms", watch)
    created = client.create_key(Description="watched")
    assert_matches_output_shape("CreateKey", created)
    assert seen == [("before-send.kms.CreateKey", {"Description": "watched"}, 0)]
    assert [c.operation for c in kms_rotation.calls] == ["CreateKey"]


def test_a_throttling_answer_from_a_handler_is_retried_by_botocore_and_the_fake_answers_the_retry(
    kms_rotation: KmsRotation,
) -> None:
    client = boto3.client("kms", region_name="us-east-1",
                          config=BotoConfig(retries={"mode": "standard", "total_max_attempts": 3}))
    key = client.create_key()["KeyMetadata"]["KeyId"]
    answered: list[int] = []

    def throttle_once(request: Any, **_: Any) -> AWSResponse | None:
        if answered:
            return None
        answered.append(1)
        return _response(request, 400, {"__type": "ThrottlingException", "message": "Rate exceeded"})

    client.meta.events.register("before-send.kms.DescribeKey", throttle_once)
    described = client.describe_key(KeyId=key)
    assert_matches_output_shape("DescribeKey", described)
    assert described["ResponseMetadata"]["RetryAttempts"] == 1
    assert [c.operation for c in kms_rotation.calls] == ["CreateKey", "DescribeKey"]


def test_a_modeled_error_from_a_handler_reaches_the_caller(kms_rotation: KmsRotation) -> None:
    client = boto3.client("kms", region_name="us-east-1")

    def refuse(request: Any, **_: Any) -> AWSResponse:
        return _response(request, 400, {"__type": "DisabledException", "message": "from the handler"})

    client.meta.events.register("before-send.kms.Encrypt", refuse)
    with pytest.raises(client.exceptions.DisabledException) as excinfo:
        client.encrypt(KeyId="alias/any", Plaintext=b"x")
    assert error_of(excinfo) == ("DisabledException", "from the handler")
    assert kms_rotation.calls == []


def test_handlers_for_every_service_come_after_the_fake_and_see_no_kms_traffic(kms_rotation: KmsRotation) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    generic: list[str] = []
    client.meta.events.register("before-send", lambda event_name, **_: generic.append(event_name))
    client.create_key()
    assert generic == []
    assert [c.operation for c in kms_rotation.calls] == ["CreateKey"]


def test_a_user_choose_signer_handler_wins_and_a_signed_request_is_answered_alike(
    kms_rotation: KmsRotation,
) -> None:
    client = boto3.client("kms", region_name="eu-west-1", aws_access_key_id="AKIAUSERCHOSEN",
                          aws_secret_access_key="secret")
    headers: list[Any] = []
    client.meta.events.register("choose-signer.kms", lambda **_: "v4")
    client.meta.events.register("before-send.kms", lambda request, **_: headers.append(request.headers))
    arn = client.create_key()["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:eu-west-1:")
    # Static credentials are signed with as they are (reading them asks nothing of the machine);
    # only refreshable ones are replaced by throwaway ones (tests/test_containment.py).
    assert b"Credential=AKIAUSERCHOSEN/" in headers[0]["Authorization"]


def test_requests_the_fake_answers_are_not_signed_and_carry_region_and_access_key(
    kms_rotation: KmsRotation,
) -> None:
    caller = kms_rotation.principal("arn:aws:iam::111122223333:user/rotator")
    issued = boto3.client("kms", region_name="ap-south-1", aws_access_key_id=caller.access_key_id,
                          aws_secret_access_key=caller.secret_access_key)
    foreign = boto3.client("kms", region_name="eu-west-1", aws_access_key_id="AKIAMACHINE",
                           aws_secret_access_key="secret")
    headers: list[Any] = []
    for client in (issued, foreign):
        client.meta.events.register("before-send.kms", lambda request, **_: headers.append(request.headers))
    seen: list[tuple[str, str | None, str | None]] = []
    door = kms_rotation.doors[0]
    respond = door.protocol.respond

    def spy(operation: str, body: Any, region: str | None, access_key_id: str | None = None) -> Any:
        seen.append((operation, region, access_key_id))
        return respond(operation, body, region, access_key_id)

    door.protocol.respond = spy  # type: ignore[method-assign]
    assert issued.create_key()["KeyMetadata"]["Arn"].startswith("arn:aws:kms:ap-south-1:")
    assert foreign.create_key()["KeyMetadata"]["Arn"].startswith("arn:aws:kms:eu-west-1:")
    assert ["Authorization" in h for h in headers] == [False, False]
    assert seen == [("CreateKey", "ap-south-1", caller.access_key_id),
                    ("CreateKey", "eu-west-1", "AKIAMACHINE")]  # static: read as it is, never refreshed
    assert [c.caller for c in kms_rotation.calls] == ["arn:aws:iam::111122223333:user/rotator", ""]


def test_without_a_fake_the_client_signs_again() -> None:
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="AKIAX", aws_secret_access_key="s")
    with KmsRotation():
        client.list_keys()
    headers: list[Any] = []

    def stop(request: Any, **_: Any) -> AWSResponse:
        headers.append(request.headers)
        return _response(request, 200, {"Keys": [], "Truncated": False})

    client.meta.events.register("before-send.kms", stop)
    client.list_keys()
    assert b"Credential=AKIAX/" in headers[0]["Authorization"]
