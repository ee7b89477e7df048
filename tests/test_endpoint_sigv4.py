"""SigV4 as KMS checks it: every refusal with AWS's code and message; the scope picks the region."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._adapters.http_endpoint import real_now
from pytest_kmsrotate._process.throwaway import FAKE_ACCESS_KEY_ID
from pytest_kmsrotate._protocol.sigv4 import INVALID_TOKEN, MISSING_TOKEN, SIGNATURE_MISMATCH
from tests._doors import _OverTheWire
from tests._endpoint_support import JSON_11, Answer, call, post, signed_headers
from tests.conftest import error_of

BODY = b"{}"


@pytest.fixture
def url(kms_rotation: KmsRotation) -> str:
    return kms_rotation.endpoint_url


def _with_authorization(url: str, authorization: str | None, **sign: Any) -> Answer:
    headers = signed_headers(url, "ListKeys", BODY, **sign)
    if authorization is None:
        del headers["Authorization"]
    else:
        headers["Authorization"] = authorization
    return post(url, headers, BODY)


def test_a_signed_request_is_answered(url: str) -> None:
    assert call(url, "ListKeys").status == 200


def test_an_unsigned_request_is_missing_its_token(url: str, kms_rotation: KmsRotation) -> None:
    answer = _with_authorization(url, None)
    assert (answer.status, answer.error) == (400, ("MissingAuthenticationTokenException", MISSING_TOKEN))
    assert kms_rotation.calls == []  # refused before any operation ran, as AWS's front end does


def test_an_unknown_access_key_is_an_unrecognized_client(url: str) -> None:
    answer = call(url, "ListKeys", credentials=Credentials("AKIAUNKNOWN000000000", "whatever"))
    assert (answer.status, answer.error) == (400, ("UnrecognizedClientException", INVALID_TOKEN))


def test_a_wrong_secret_is_an_invalid_signature(url: str) -> None:
    answer = call(url, "ListKeys", credentials=Credentials(FAKE_ACCESS_KEY_ID, "not-the-secret"))
    assert (answer.status, answer.error) == (400, ("InvalidSignatureException", SIGNATURE_MISMATCH))


def test_a_body_changed_after_signing_is_an_invalid_signature(url: str) -> None:
    headers = signed_headers(url, "CreateKey", b'{"Description":"a"}')
    answer = post(url, headers, b'{"Description":"b"}')
    assert answer.error == ("InvalidSignatureException", SIGNATURE_MISMATCH)


def test_a_header_changed_after_signing_is_an_invalid_signature(url: str) -> None:
    headers = signed_headers(url, "ListKeys", BODY)
    headers["X-Amz-Target"] = "TrentService.ListAliases"
    assert post(url, headers, BODY).error == ("InvalidSignatureException", SIGNATURE_MISMATCH)


def test_a_header_signed_but_not_sent_is_an_incomplete_signature(url: str) -> None:
    headers = signed_headers(url, "ListKeys", BODY, extra={"X-Custom": "1"})
    del headers["X-Custom"]
    assert post(url, headers, BODY).error == ("IncompleteSignatureException",
                                              "'x-custom' is named as a SignedHeader, but it does not exist "
                                              "in the HTTP request.")


def test_a_signature_without_host_is_an_incomplete_signature(url: str) -> None:
    headers = signed_headers(url, "ListKeys", BODY)
    headers["Authorization"] = headers["Authorization"].replace("SignedHeaders=content-type;host;",
                                                                "SignedHeaders=content-type;")
    assert post(url, headers, BODY).error == (
        "IncompleteSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.")


def test_a_field_without_an_equal_sign_is_an_incomplete_signature(url: str) -> None:
    authorization = "AWS4-HMAC-SHA256 Credential, SignedHeaders=host, Signature=00"
    answer = _with_authorization(url, authorization)
    assert (answer.status, answer.error) == (400, (
        "IncompleteSignatureException",
        f"'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: '{authorization}'."))


def test_missing_fields_are_each_named(url: str) -> None:
    authorization = f"AWS4-HMAC-SHA256 Credential={FAKE_ACCESS_KEY_ID}/20240101/us-east-1/kms/aws4_request"
    answer = _with_authorization(url, authorization)
    assert answer.error == ("IncompleteSignatureException",
                            "Authorization header requires 'Signature' parameter. "
                            "Authorization header requires 'SignedHeaders' parameter. "
                            f"Authorization={authorization}")


def test_a_missing_date_is_named(url: str) -> None:
    headers = signed_headers(url, "ListKeys", BODY)
    del headers["X-Amz-Date"]
    answer = post(url, headers, BODY)
    assert answer.error == ("IncompleteSignatureException",
                            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
                            f"Authorization={headers['Authorization']}")


def test_a_short_credential_is_an_incomplete_signature(url: str) -> None:
    answer = _with_authorization(url, "AWS4-HMAC-SHA256 Credential=AKIA/20240101/us-east-1, "
                                      "SignedHeaders=host, Signature=00")
    assert answer.error == ("IncompleteSignatureException",
                            "Credential must have exactly 5 slash-delimited elements, e.g. "
                            "keyid/date/region/service/term, got 'AKIA/20240101/us-east-1'")


def test_a_credential_for_another_service_is_an_invalid_signature(url: str) -> None:
    answer = call(url, "ListKeys", service="dynamodb")
    assert answer.error == ("InvalidSignatureException", "Credential should be scoped to correct service: 'kms'. ")


def test_a_scope_date_that_is_not_the_signing_date_is_an_invalid_signature(url: str) -> None:
    headers = signed_headers(url, "ListKeys", BODY)
    stamp = headers["X-Amz-Date"]
    headers["Authorization"] = headers["Authorization"].replace(f"/{stamp[:8]}/", "/19990101/")
    assert post(url, headers, BODY).error == (
        "InvalidSignatureException", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                                     f"date from HTTP: '19990101' != '{stamp[:8]}', from '{stamp}'.")


def test_a_signature_older_than_five_minutes_of_real_time_has_expired(url: str) -> None:
    signed_at = real_now() - timedelta(minutes=6)
    answer = call(url, "ListKeys", when=signed_at)
    code, message = answer.error
    assert code == "InvalidSignatureException"
    assert message is not None
    assert message.startswith(f"Signature expired: {signed_at:%Y%m%dT%H%M%SZ} is now earlier than ")
    assert message.endswith(" - 5 min.)")


def test_a_signature_from_beyond_five_minutes_ahead_is_not_yet_current(url: str) -> None:
    signed_at = real_now() + timedelta(minutes=6)
    code, message = call(url, "ListKeys", when=signed_at).error
    assert code == "InvalidSignatureException"
    assert message is not None
    assert message.startswith(f"Signature not yet current: {signed_at:%Y%m%dT%H%M%SZ} is still later than ")


def test_a_child_signing_with_real_time_is_current_however_far_the_clock_moved(
        url: str, kms_rotation: KmsRotation) -> None:
    kms_rotation.clock.advance(days=3 * 365)
    assert call(url, "ListKeys", when=real_now() - timedelta(minutes=4)).status == 200


def test_an_in_process_client_signing_with_the_simulated_time_is_current(url: str, kms_rotation: KmsRotation) -> None:
    kms_rotation.clock.advance(days=100)  # freezegun hands botocore's signer this time in-process
    assert call(url, "ListKeys", when=kms_rotation.clock.now()).status == 200


def test_the_credential_scope_selects_the_region(url: str) -> None:
    answer = call(url, "CreateKey", region="eu-west-1")
    assert answer.json["KeyMetadata"]["Arn"].startswith("arn:aws:kms:eu-west-1:111122223333:key/")
    assert call(url, "ListKeys", region="eu-west-1").json["Keys"]
    assert call(url, "ListKeys", region="us-east-1").json["Keys"] == []


def test_botocore_parses_a_refusal_into_its_client_error(kms_rotation: KmsRotation) -> None:
    client = boto3.client("kms", region_name="us-east-1", endpoint_url=kms_rotation.endpoint_url,
                          aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key="wrong")
    client._endpoint._event_emitter = _OverTheWire(client._endpoint._event_emitter)
    with pytest.raises(ClientError) as excinfo:
        client.list_keys()
    assert error_of(excinfo) == ("InvalidSignatureException", SIGNATURE_MISMATCH)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_other_credentials_can_be_accepted(kms_rotation: KmsRotation) -> None:
    from pytest_kmsrotate._adapters.http_endpoint import HttpEndpoint

    endpoint = kms_rotation.open_door(HttpEndpoint(kms_rotation.protocol, credentials={"AKIAOTHER00000000000": "s"}))
    assert isinstance(endpoint, HttpEndpoint)
    assert call(endpoint.url, "ListKeys", credentials=Credentials("AKIAOTHER00000000000", "s")).status == 200
    assert call(endpoint.url, "ListKeys").error[0] == "UnrecognizedClientException"


def test_refusals_are_json_11_like_every_answer(url: str) -> None:
    answer = _with_authorization(url, None)
    assert answer.headers["Content-Type"] == JSON_11
    assert answer.headers["x-amzn-RequestId"]
    assert json.loads(answer.body) == {"__type": "MissingAuthenticationTokenException", "message": MISSING_TOKEN}


def test_a_signature_stays_current_when_the_clock_moves_between_signing_and_checking(
        url: str, kms_rotation: KmsRotation) -> None:
    signed_at = kms_rotation.clock.now()
    headers = signed_headers(url, "ListKeys", BODY, when=signed_at)
    kms_rotation.clock.advance(days=30)  # another thread moved the clock while the request was in flight
    assert post(url, headers, BODY).status == 200


def test_the_simulated_times_shown_more_than_five_real_minutes_ago_expire(
        url: str, kms_rotation: KmsRotation, monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_kmsrotate._adapters import http_endpoint

    signed_at = kms_rotation.clock.now()
    headers = signed_headers(url, "ListKeys", BODY, when=signed_at)
    kms_rotation.clock.advance(days=30)
    later = real_now() + timedelta(minutes=6)
    monkeypatch.setattr(http_endpoint, "real_now", lambda: later)
    code, message = post(url, headers, BODY).error
    assert code == "InvalidSignatureException"
    assert message is not None and message.startswith(f"Signature expired: {signed_at:%Y%m%dT%H%M%SZ} ")
