"""The botocore adapter: every KMS request of every client in the process goes to the fake.

Why a class-level hook on botocore's emitter rather than `client.meta.events.register`: each
client copies its session's emitter when it is created, so a client made before the test (a
module-level `boto3.client("kms")`, boto3's default session) would never see a handler
registered later, and finding every client would need a walk of the heap. Wrapping
`HierarchicalEmitter._emit` while a fake is active reaches all of them, in every thread, and
costs nothing while no fake is active because the wrapper is removed again.

The wrapper answers two events for the `kms` service only:
- `before-sign.kms.*`: a client that found no credentials signs with throwaway ones;
- `before-send.kms.*`: the already validated, serialized and signed request is answered by the
  engine with a raw HTTP response that botocore's own parser, error factory and retry logic read.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable
from email.utils import formatdate
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.credentials import Credentials
from botocore.hooks import HierarchicalEmitter
from botocore.model import ServiceModel

from ..core.engine import Engine
from ..core.errors import KMSError
from . import codec
from .validation import type_error, validation_message

_SEND_PREFIX = "before-send.kms."
_SIGN_PREFIX = "before-sign.kms."
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/([^/,]+)/")
_HOST_REGION = re.compile(r"^kms(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com")
_FAKE_CREDENTIALS = Credentials("AKIAKMSROTATEFAKE000", "pytest-kmsrotate-fake-secret")

_lock = threading.Lock()
_active: list[Interceptor] = []
_original_emit: Callable[..., Any] | None = None


# Request IDs are unique within a run and cheap: a counter, not uuid4 on every call.
_request_ids = itertools.count(1)


@functools.lru_cache(maxsize=64)
def _http_date(epoch_seconds: int) -> str:
    return formatdate(epoch_seconds, usegmt=True)


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """botocore's KMS model, loaded once per process (it is the contract for every shape)."""
    import botocore.session

    return botocore.session.get_session().get_service_model("kms")


class _RawBody:
    """Just enough of urllib3's response for `AWSResponse.content` to read the body."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> list[bytes]:
        return [self._body]

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._body


def region_of(request: Any) -> str | None:
    """The region the client signed for, else the one its endpoint names."""
    auth = request.headers.get("Authorization")
    if auth:
        text = auth.decode() if isinstance(auth, bytes) else auth
        match = _CREDENTIAL_SCOPE.search(text)
        if match:
            return match.group(1)
    host = urlsplit(request.url).hostname or ""
    match = _HOST_REGION.match(host)
    return match.group(1) if match else None


class Interceptor:
    """Routes KMS requests to one engine between `start()` and `stop()`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._id_suffix = "0000-4000-8000-" + engine.state.ids.token("request-ids")[:12]

    def start(self) -> None:
        global _original_emit
        service_model()  # load before any request so the first call does not pay for it
        with _lock:
            if not _active:
                _original_emit = HierarchicalEmitter._emit
                HierarchicalEmitter._emit = _emit
            _active.append(self)

    def stop(self) -> None:
        global _original_emit
        with _lock:
            if self in _active:
                _active.remove(self)
            if not _active and _original_emit is not None:
                HierarchicalEmitter._emit = _original_emit
                _original_emit = None

    def answer(self, operation: str, request: Any) -> AWSResponse:
        model = service_model()
        try:
            op_model = model.operation_model(operation)
        except Exception:  # an operation newer than this botocore's model: let the engine say so
            op_model = None
        status, body = self._dispatch(operation, op_model, request)
        headers = {
            "x-amzn-RequestId": f"{next(_request_ids):08x}-{self._id_suffix}",
            "Content-Type": "application/x-amz-json-1.1",
            "Content-Length": str(len(body)),
            "Date": _http_date(int(self.engine.clock.now().timestamp())),
        }
        return AWSResponse(request.url, status, headers, _RawBody(body))

    def _dispatch(self, operation: str, op_model: Any, request: Any) -> tuple[int, bytes]:
        input_shape = op_model.input_shape if op_model is not None else None
        try:
            raw = codec.parse_body(request.body)
            if input_shape is not None:
                # botocore checks types client-side unless told not to; AWS checks them again.
                mismatch = type_error(input_shape, raw)
                if mismatch is not None:
                    return 400, codec.encode_error(*mismatch)
            params = codec.decode(input_shape, raw)
        except codec.DecodeError as exc:
            return 400, codec.encode_error("SerializationException", str(exc))
        if input_shape is not None:
            message = validation_message(input_shape, params)
            if message is not None:
                return 400, codec.encode_error("ValidationException", message)
        try:
            response = self.engine.handle(operation, params, region_of(request))
        except KMSError as error:
            return error.status, codec.encode_error(error.code, error.message)
        output_shape = op_model.output_shape if op_model is not None else None
        return 200, codec.encode(output_shape, response)


def active() -> Interceptor | None:
    return _active[-1] if _active else None


def _emit(self: Any, event_name: str, kwargs: dict[str, Any], stop_on_response: bool = False) -> Any:
    original = _original_emit
    interceptor = _active[-1] if _active else None
    if interceptor is not None and event_name.startswith("before-s"):
        if event_name.startswith(_SEND_PREFIX):
            response = interceptor.answer(event_name[len(_SEND_PREFIX):], kwargs["request"])
            # Ours is the only answer: later handlers (moto's, for one) never see KMS traffic.
            return [(_emit, response)]
        if event_name.startswith(_SIGN_PREFIX):
            _lend_credentials(kwargs)
    if original is None:  # uninstalled between the lookup and the call by another thread
        return HierarchicalEmitter._emit(self, event_name, kwargs, stop_on_response)
    return original(self, event_name, kwargs, stop_on_response)


def _lend_credentials(kwargs: dict[str, Any]) -> None:
    """Let a client that found no credentials sign this one request with throwaway ones."""
    signer = kwargs.get("request_signer")
    request = kwargs.get("request")
    if signer is None or request is None or getattr(signer, "_credentials", None) is not None:
        return
    signing = request.context.setdefault("signing", {})
    signing.setdefault("request_credentials", _FAKE_CREDENTIALS)
