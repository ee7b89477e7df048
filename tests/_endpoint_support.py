"""Raw HTTP requests to the fake's endpoint, signed (or not) exactly as a test needs them."""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from pytest_kmsrotate._adapters.http_endpoint import real_now
from pytest_kmsrotate._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

FAKE_CREDENTIALS = Credentials(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)
JSON_11 = "application/x-amz-json-1.1"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def error(self) -> tuple[str, str | None]:
        """(__type, message) of an error answer; message None when AWS sends none."""
        body = self.json
        return body["__type"], body.get("message")


def signed_headers(url: str, operation: str, body: bytes, *, region: str = "us-east-1",
                   credentials: Credentials = FAKE_CREDENTIALS, when: datetime | None = None,
                   service: str = "kms", extra: dict[str, str] | None = None) -> dict[str, str]:
    """Headers of a KMS request signed by botocore's SigV4Auth at `when` (real time by default)."""
    host = urlsplit(url).netloc
    request = AWSRequest(method="POST", url=url + "/", data=body, headers={
        "Content-Type": JSON_11, "X-Amz-Target": f"TrentService.{operation}", "Host": host, **(extra or {})})
    stamp = (when or real_now()).astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    request.context["timestamp"] = stamp
    request.headers["X-Amz-Date"] = stamp
    auth = SigV4Auth(credentials, service, region)
    signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
    scope = auth.credential_scope(request)
    names = auth.signed_headers(auth.headers_to_sign(request))
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, SignedHeaders={names}, Signature={signature}")
    return dict(request.headers.items())


def post(url: str, headers: dict[str, str], body: bytes = b"", method: str = "POST") -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, "/", body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


def call(url: str, operation: str, params: dict[str, Any] | None = None, **sign: Any) -> Answer:
    """One signed KMS call with a JSON body."""
    body = json.dumps(params or {}).encode()
    return post(url, signed_headers(url, operation, body, **sign), body)


def raw_exchange(url: str, data: bytes, *, half_close: bool = False, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes (or `timeout`); returns all it sent back."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return received
            received += chunk
