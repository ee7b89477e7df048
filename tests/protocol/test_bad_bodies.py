"""Bodies AWS's JSON parser refuses get SerializationException from the fake too, never a traceback.

Hand-made bodies go straight to `Protocol.respond`, the one answer path every door uses; the
surrogate case also goes through boto3, which sends a lone surrogate as a JSON \\udcXX escape.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given
from hypothesis import strategies as st

from pytest_kmsrotate._core.engine import Engine
from pytest_kmsrotate._protocol.respond import Protocol
from tests.conftest import error_of

NOT_JSON = "Start of structure or map found where not expected."
FILE_NAME = os.fsdecode(b"report-\xff.csv")  # 'report-\udcff.csv': a file name that is not UTF-8


def answer(protocol: Protocol, operation: str, body: bytes | str) -> tuple[int, dict[str, Any]]:
    reply = protocol.respond(operation, body, "us-east-1")
    return reply.status, json.loads(reply.body)


@pytest.fixture
def protocol() -> Protocol:
    return Protocol(Engine())


@pytest.fixture
def key_id(protocol: Protocol) -> str:
    return str(answer(protocol, "CreateKey", b"{}")[1]["KeyMetadata"]["KeyId"])


@pytest.mark.parametrize("body", [
    pytest.param(b'{"KeyId": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", id="deeply-nested"),
    pytest.param(b"[" * 100_000, id="deeply-nested-unclosed"),
    pytest.param(b'{"Limit": NaN}', id="NaN"),
    pytest.param(b'{"Limit": Infinity}', id="Infinity"),
    pytest.param(b'{"Limit": -Infinity}', id="minus-Infinity"),
    pytest.param('{"Limit": 5}'.encode("utf-16"), id="utf-16-with-bom"),
    pytest.param('{"Limit": 5}'.encode("utf-16-le"), id="utf-16-le"),
    pytest.param('{"Limit": 5}'.encode("utf-32"), id="utf-32"),
    pytest.param(b'\xef\xbb\xbf{"Limit": 5}', id="utf-8-bom"),
    pytest.param('\ufeff{"Limit": 5}', id="bom-in-text"),
    pytest.param(b'{"Limit": 5, "x": "\xff"}', id="invalid-utf-8"),
])
def test_a_body_that_is_not_json_text_in_utf_8_is_a_serialization_exception(protocol: Protocol, body: bytes) -> None:
    assert answer(protocol, "ListKeys", body) == (400, {"__type": "SerializationException", "message": NOT_JSON})
    assert protocol.engine.calls == []


@pytest.mark.parametrize(("seconds", "shown"), [
    ("1e300", "1e+300"), ("1e400", "inf"), ("253402300800", "253402300800"), ("-1e20", "-1e+20"),
])
def test_a_timestamp_no_calendar_holds_is_a_serialization_exception(
    protocol: Protocol, key_id: str, seconds: str, shown: str
) -> None:
    body = (f'{{"KeyId": "{key_id}", "ImportToken": "cA==", "EncryptedKeyMaterial": "cA==", '
            f'"ValidTo": {seconds}}}').encode()
    assert answer(protocol, "ImportKeyMaterial", body) == (
        400, {"__type": "SerializationException", "message": f"Epoch seconds {shown} for DateType are out of range"})


@pytest.mark.parametrize("operation", ["Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
                                       "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "ReEncrypt"])
@pytest.mark.parametrize(("context", "shape"), [
    ({"file": FILE_NAME}, "EncryptionContextValue"), ({FILE_NAME: "v"}, "EncryptionContextKey"),
])
def test_a_lone_surrogate_in_an_encryption_context_is_a_serialization_exception(
    protocol: Protocol, key_id: str, operation: str, context: dict[str, str], shape: str
) -> None:
    params: dict[str, Any] = {"KeyId": key_id, "EncryptionContext": context, "Plaintext": "cA==",
                              "KeySpec": "AES_256", "KeyPairSpec": "RSA_2048"}
    if operation == "ReEncrypt":
        params = {"CiphertextBlob": "cA==", "DestinationKeyId": key_id, "SourceEncryptionContext": context}
    # json.dumps escapes the surrogate as \udcff, exactly as botocore's serializer sends it.
    assert answer(protocol, operation, json.dumps(params).encode()) == (400, {
        "__type": "SerializationException",
        "message": f"{shape} is not valid Unicode text: lone surrogate '\\udcff' at index 7",
    })


def test_through_boto3_a_surrogate_in_a_context_or_description_is_refused_and_events_still_encode(
    kms_rotation: Any,
) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    key = client.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        client.encrypt(KeyId=key, Plaintext=b"p", EncryptionContext={"file": FILE_NAME})
    assert error_of(excinfo) == (
        "SerializationException",
        "EncryptionContextValue is not valid Unicode text: lone surrogate '\\udcff' at index 7",
    )
    for call in (lambda: client.create_key(Description=FILE_NAME),
                 lambda: client.tag_resource(KeyId=key, Tags=[{"TagKey": "file", "TagValue": FILE_NAME}])):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[0] == "SerializationException"
    json.dumps(kms_rotation.events).encode()  # nothing the fake kept holds a surrogate


def test_a_surrogate_passed_to_the_engine_itself_gets_an_answer_not_a_traceback() -> None:
    engine = Engine()
    key = engine.execute("CreateKey", {})["KeyMetadata"]["KeyId"]
    blob = engine.execute("Encrypt", {"KeyId": key, "Plaintext": b"p", "EncryptionContext": {"f": FILE_NAME}})
    plain = engine.execute("Decrypt", {"CiphertextBlob": blob["CiphertextBlob"], "EncryptionContext": {"f": FILE_NAME}})
    assert plain["Plaintext"] == b"p"


@given(st.binary(max_size=64))
def test_any_bytes_get_an_aws_answer(body: bytes) -> None:
    reply = Protocol(Engine()).respond("ListKeys", body, "us-east-1")
    assert reply.status in (200, 400)
    json.loads(reply.body)
