"""The one answer path: a KMS request as bytes in, AWS's HTTP answer as bytes out.

Every door (botocore's pipeline, an HTTP endpoint, ...) hands the request here and sends back
what comes out; none of them parses, validates, encodes or dates anything itself. Transport
details (sockets, botocore events, signing) stay in the doors.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any

from .._core.engine import Engine
from .._core.errors import KMSError
from . import codec
from .permissions import permissions
from .service_model import model_enums, operation_model
from .validation import type_error, validation_message

CONTENT_TYPE = "application/x-amz-json-1.1"
_CREDENTIAL_SCOPE = re.compile(r"Credential=([^/,]+)/\d{8}/([^/,]+)/")
_HOST_REGION = re.compile(r"^kms(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com")

# Request IDs are unique within a process and cheap: a counter, not uuid4 on every call.
_request_ids = itertools.count(1)


@dataclass(frozen=True)
class Reply:
    """An HTTP answer exactly as AWS sends it."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@functools.lru_cache(maxsize=64)
def _http_date(epoch_seconds: int) -> str:
    return formatdate(epoch_seconds, usegmt=True)


def region_of(authorization: str | bytes | None, host: str) -> str | None:
    """The region a request was signed for (SigV4 credential scope), else the one its host names."""
    if authorization:
        text = authorization.decode() if isinstance(authorization, bytes) else authorization
        match = _CREDENTIAL_SCOPE.search(text)
        if match:
            return match.group(2)
    match = _HOST_REGION.match(host)
    return match.group(1) if match else None


def access_key_of(authorization: str | bytes | None) -> str | None:
    """The access key ID a request was signed with (SigV4 credential scope), if it was signed."""
    if not authorization:
        return None
    text = authorization.decode() if isinstance(authorization, bytes) else authorization
    match = _CREDENTIAL_SCOPE.search(text)
    return match.group(1) if match else None


class Protocol:
    """AWS's JSON 1.1 protocol in front of one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        engine.learn_permissions(permissions())  # what each operation needs, in the model's own words
        engine.learn_enums(model_enums())  # which key specs, usages, algorithms the installed model has
        self._id_suffix = "0000-4000-8000-" + engine.request_id_token()

    def respond(self, operation: str, body: bytes | str | None, region: str | None,
                access_key_id: str | None = None) -> Reply:
        """Answer one request: parse, check types, validate, run, encode; never raises a KMS error.

        `region` and `access_key_id` are what the request was (or, for a door that skips
        signing, would have been) signed for and with: the access key says who the caller is.
        """
        status, payload = self._dispatch(operation, body, region, access_key_id)
        return self._reply(status, payload)

    def reject(self, status: int, code: str, message: str | None) -> Reply:
        """AWS's error answer to a request a door refused before any operation ran (routing,
        signature, size): the same headers and error body as every other answer."""
        return self._reply(status, codec.encode_error(code, message))

    def _reply(self, status: int, payload: bytes) -> Reply:
        headers = {
            "x-amzn-RequestId": f"{next(_request_ids):08x}-{self._id_suffix}",
            "Content-Type": CONTENT_TYPE,
            "Content-Length": str(len(payload)),
            "Date": _http_date(int(self.engine.clock.now().timestamp())),
        }
        return Reply(status, headers, payload)

    def execute(self, operation: str, params: Mapping[str, Any], region: str | None,
                access_key_id: str | None = None) -> dict[str, Any]:
        """Run decoded parameters through AWS's server-side validation and the engine.

        What `respond` does after decoding, and the entry seeding uses, so no request reaches
        the engine without the checks AWS makes. Raises `KMSError` for AWS's error answers.
        """
        op_model = operation_model(operation)
        if op_model is not None and op_model.input_shape is not None:
            message = validation_message(op_model.input_shape, params)
            if message is not None:
                raise KMSError("ValidationException", message)
        return self.engine.execute(operation, params, region, access_key_id)

    def _dispatch(self, operation: str, body: bytes | str | None, region: str | None,
                  access_key_id: str | None) -> tuple[int, bytes]:
        op_model = operation_model(operation)
        input_shape = op_model.input_shape if op_model is not None else None
        try:
            raw = codec.parse_body(body)
            if input_shape is not None:
                # botocore checks types client-side unless told not to; AWS checks them again.
                mismatch = type_error(input_shape, raw)
                if mismatch is not None:
                    return 400, codec.encode_error(*mismatch)
            params = codec.decode(input_shape, raw)
        except codec.DecodeError as exc:
            return 400, codec.encode_error("SerializationException", str(exc))
        try:
            response = self.execute(operation, params, region, access_key_id)
        except KMSError as error:
            return error.status, codec.encode_error(error.code, error.message)
        output_shape = op_model.output_shape if op_model is not None else None
        return 200, codec.encode(output_shape, response)
