"""The endpoint on the wire: AWS JSON 1.1 framing, and bad HTTP met with a clean 4xx, never a hang."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._adapters.http_endpoint import MAX_BODY_BYTES, HttpEndpoint
from tests._endpoint_support import JSON_11, call, post, raw_exchange, signed_headers


@pytest.fixture
def url(kms_rotation: KmsRotation) -> str:
    return kms_rotation.endpoint_url


def _alive(url: str) -> None:
    """The server still answers a good request after whatever the test sent it."""
    answer = call(url, "ListKeys")
    assert answer.status == 200, answer.body
    assert answer.json == {"Keys": [], "Truncated": False}


def test_a_call_is_answered_as_aws_serves_json_11(url: str, kms_rotation: KmsRotation) -> None:
    answer = call(url, "CreateKey", {"Description": "over the wire"})
    assert answer.status == 200
    assert answer.headers["Content-Type"] == JSON_11
    assert answer.headers["Content-Length"] == str(len(answer.body))
    assert answer.headers["x-amzn-RequestId"]
    assert answer.headers["Date"] == "Mon, 01 Jan 2024 00:00:00 GMT"  # the simulated clock, as in-process
    assert "Server" not in answer.headers
    assert answer.json["KeyMetadata"]["Description"] == "over the wire"
    assert [c.operation for c in kms_rotation.calls] == ["CreateKey"]


def test_an_error_carries_type_message_and_aws_status(url: str) -> None:
    answer = call(url, "DescribeKey", {"KeyId": "alias/missing"})
    assert answer.status == 400
    assert answer.error == ("NotFoundException", "Alias arn:aws:kms:us-east-1:111122223333:alias/missing is not found.")


def test_an_injected_500_keeps_its_status(url: str, kms_rotation: KmsRotation) -> None:
    kms_rotation.inject_fault("ListKeys", "KMSInternalException")
    answer = call(url, "ListKeys")
    assert answer.status == 500
    assert answer.error[0] == "KMSInternalException"


@pytest.mark.parametrize("target", ["TrentService.NoSuchOperation", "Other.ListKeys", "ListKeys", ""])
def test_an_unknown_or_missing_target_is_an_unknown_operation(url: str, target: str) -> None:
    headers = signed_headers(url, "ListKeys", b"{}")
    headers["X-Amz-Target"] = target
    answer = post(url, headers, b"{}")
    assert (answer.status, answer.error) == (400, ("UnknownOperationException", None))
    _alive(url)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_a_method_other_than_post_is_an_unknown_operation(url: str, method: str) -> None:
    answer = post(url, signed_headers(url, "ListKeys", b"{}"), b"{}", method=method)
    assert (answer.status, answer.error) == (400, ("UnknownOperationException", None))
    _alive(url)


def test_a_path_other_than_root_is_an_unknown_operation(url: str) -> None:
    parts = urlsplit(url)
    request = (b"POST /keys HTTP/1.1\r\nHost: " + parts.netloc.encode() + b"\r\nContent-Type: " + JSON_11.encode()
               + b"\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
    head, _, body = raw_exchange(url, request).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body) == {"__type": "UnknownOperationException"}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json", "application/x-www-form-urlencoded"])
def test_a_missing_or_foreign_content_type_is_an_unknown_operation(url: str, content_type: str | None) -> None:
    headers = signed_headers(url, "ListKeys", b"{}")
    del headers["Content-Type"]
    if content_type is not None:
        headers["Content-Type"] = content_type
    answer = post(url, headers, b"{}")
    assert (answer.status, answer.error) == (400, ("UnknownOperationException", None))


def test_json_10_and_a_charset_parameter_are_accepted(url: str) -> None:
    for content_type in ("application/x-amz-json-1.0", "application/x-amz-json-1.1; charset=utf-8"):
        answer = call(url, "ListKeys", extra={"Content-Type": content_type})
        assert answer.status == 200, (content_type, answer.body)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_serialization_error(url: str, body: bytes) -> None:
    answer = post(url, signed_headers(url, "ListKeys", body), body)
    assert (answer.status, answer.error) == (
        400, ("SerializationException", "Start of structure or map found where not expected."))
    _alive(url)


def test_an_empty_body_is_an_empty_request(url: str) -> None:
    answer = post(url, signed_headers(url, "ListKeys", b""), b"")
    assert answer.status == 200


def test_an_oversized_body_is_refused_unread_with_413(url: str, kms_rotation: KmsRotation) -> None:
    parts = urlsplit(url)
    request = (f"POST / HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {JSON_11}\r\n"
               f"X-Amz-Target: TrentService.ListKeys\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n").encode()
    head, _, body = raw_exchange(url, request).partition(b"\r\n\r\n")  # the server closes without waiting
    assert head.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in head
    assert json.loads(body) == {"__type": "SerializationException", "message":
                                f"Request body of {MAX_BODY_BYTES + 1} bytes exceeds the {MAX_BODY_BYTES} "
                                "bytes this endpoint accepts."}
    assert kms_rotation.calls == []
    _alive(url)


@pytest.mark.parametrize(("header", "status", "message"), [
    ("Content-Length: abc", 400, "Invalid Content-Length."),
    ("Content-Length: -5", 400, "Invalid Content-Length."),
    ("Transfer-Encoding: chunked", 411, "Content-Length is required."),
])
def test_unusable_body_framing_is_refused_and_the_connection_closed(url: str, header: str, status: int,
                                                                     message: str) -> None:
    parts = urlsplit(url)
    request = (f"POST / HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {JSON_11}\r\n"
               f"X-Amz-Target: TrentService.ListKeys\r\n{header}\r\n\r\n").encode()
    head, _, body = raw_exchange(url, request).partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode())
    assert json.loads(body) == {"__type": "SerializationException", "message": message}
    _alive(url)


def test_a_client_that_half_closes_mid_body_gets_no_answer_and_no_call(url: str, kms_rotation: KmsRotation) -> None:
    parts = urlsplit(url)
    request = (f"POST / HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: {JSON_11}\r\n"
               f"X-Amz-Target: TrentService.CreateKey\r\nContent-Length: 100\r\n\r\n" + "{").encode()
    assert raw_exchange(url, request, half_close=True) == b""
    assert kms_rotation.calls == []
    _alive(url)


def test_a_malformed_request_line_gets_a_clean_400(url: str) -> None:
    head, _, body = raw_exchange(url, b"HELLO THERE\r\n\r\n").partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert json.loads(body)["__type"] == "SerializationException"
    _alive(url)


@pytest.fixture
def impatient(kms_rotation: KmsRotation) -> Iterator[HttpEndpoint]:
    endpoint = HttpEndpoint(kms_rotation.protocol, timeout=0.3)
    kms_rotation.open_door(endpoint)
    yield endpoint
    kms_rotation.close_door(endpoint)


@pytest.mark.parametrize("sent", [
    b"", b"POST / HTTP/1.1\r\nHost: x\r\n", b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n{"])
def test_a_silent_or_stalled_client_is_dropped_after_the_timeout(impatient: HttpEndpoint, sent: bytes) -> None:
    parts = urlsplit(impatient.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(sent)
        # Whatever the server says, it then closes: a server that hung would leave recv to hit the
        # socket's 5 s timeout, which raises and fails the test.
        while sock.recv(65536):
            pass
    _alive(impatient.url)


def test_keep_alive_serves_many_requests_on_one_connection(url: str) -> None:
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        for _ in range(3):
            connection.request("POST", "/", body=b"{}", headers=signed_headers(url, "ListKeys", b"{}"))
            response = connection.getresponse()
            assert response.status == 200
            response.read()
    finally:
        connection.close()


def test_a_bug_in_the_fake_is_a_500_naming_it_and_the_server_survives(
        url: str, kms_rotation: KmsRotation, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(kms_rotation.protocol, "respond", broken)
    answer = call(url, "ListKeys")
    assert answer.status == 500
    assert answer.error == ("KMSInternalException", "pytest-kmsrotate failed answering ListKeys: "
                                                    "ZeroDivisionError('boom')")
    assert kms_rotation.endpoint.errors == ["ZeroDivisionError('boom')"]
    monkeypatch.undo()
    _alive(url)


def test_the_endpoint_listens_on_loopback_only(kms_rotation: KmsRotation) -> None:
    assert urlsplit(kms_rotation.endpoint_url).hostname == "127.0.0.1"


def test_answers_leave_without_waiting_for_nagle(url: str, kms_rotation: KmsRotation) -> None:
    # Headers and body are two writes: with Nagle's algorithm on, every answer would wait for the
    # client's delayed ACK (40 ms on Linux). The benchmark measures the speed; this pins the cause.
    import http.client

    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        connection.request("POST", "/", body=b"{}", headers=signed_headers(url, "ListKeys", b"{}"))
        connection.getresponse().read()
        server = kms_rotation.endpoint._server
        assert server is not None
        with server.connections_lock:
            sockets = list(server.connections)
        assert sockets
        assert all(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) for s in sockets)
    finally:
        connection.close()
