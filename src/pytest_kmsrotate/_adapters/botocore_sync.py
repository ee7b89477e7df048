"""The botocore door: every KMS request of every synchronous botocore client goes to the fake.

Why a class-level hook on botocore's emitter rather than `client.meta.events.register`: each
client copies its session's emitter when it is created, so a client made before the test (a
module-level `boto3.client("kms")`, boto3's default session) would never see a handler
registered later, and finding every client would need a walk of the heap. Wrapping
`HierarchicalEmitter._emit` while a door is open reaches all of them, in every thread, and
costs nothing while none is because the wrapper is removed again (it stays only while the
outside guard watches: `kms_rotation_outside = warn | block`, or a thread outlived its fake).

The wrapper answers three events for the `kms` service only:
- `provide-client-params.kms.*`, the first event of every call: the guard for calls outside any
  fake and for threads that outlived theirs decides (`_process/outside.py`);
- `before-sign.kms.*`: every KMS request signs with throwaway credentials, never the client's
  own (`botocore_containment.py`);
- `before-send.kms.*`: the already validated, serialized and signed request goes to the shared
  protocol layer, and its answer returns as a raw HTTP response that botocore's own parser,
  error factory and retry logic read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse
from botocore.hooks import HierarchicalEmitter

from .._process import outside
from .._protocol.respond import Protocol, access_key_of, region_of
from .._protocol.service_model import service_model
from .botocore_containment import sign_with_fake_credentials

_SEND_PREFIX = "before-send.kms."
_SIGN_PREFIX = "before-sign.kms."
_START_PREFIX = "provide-client-params.kms."

_lock = threading.Lock()
_open: list[BotocoreDoor] = []  # innermost last: the newest fake answers
_original_emit: Callable[..., Any] | None = None


class _RawBody:
    """Just enough of urllib3's response for `AWSResponse.content` to read the body."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, *_: Any, **__: Any) -> list[bytes]:
        return [self._body]

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._body


class BotocoreDoor:
    """Routes synchronous botocore KMS requests to one protocol between `open()` and `close()`."""

    name = "botocore"

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol

    @property
    def is_open(self) -> bool:
        return self in _open

    def open(self) -> None:
        service_model()  # load before any request so the first call does not pay for it
        with _lock:
            _open.append(self)
            _refresh_locked()

    def close(self) -> None:
        with _lock:
            if self in _open:
                _open.remove(self)
            _refresh_locked()

    def answer(self, operation: str, request: Any) -> AWSResponse:
        authorization = request.headers.get("Authorization")
        region = region_of(authorization, urlsplit(request.url).hostname or "")
        reply = self.protocol.respond(operation, request.body, region, access_key_of(authorization))
        return AWSResponse(request.url, reply.status, reply.headers, _RawBody(reply.body))


def _refresh_locked() -> None:
    """Install the wrapper while a door is open or the outside guard watches; remove it otherwise."""
    global _original_emit
    wanted = bool(_open) or outside.watching()
    if wanted and _original_emit is None:
        _original_emit = HierarchicalEmitter._emit
        HierarchicalEmitter._emit = _emit
    elif not wanted and _original_emit is not None:
        HierarchicalEmitter._emit = _original_emit
        _original_emit = None


def _refresh() -> None:
    with _lock:
        _refresh_locked()


outside.on_change(_refresh)


def _emit(self: Any, event_name: str, kwargs: dict[str, Any], stop_on_response: bool = False) -> Any:
    original = _original_emit
    door = _open[-1] if _open else None
    if event_name.startswith(_START_PREFIX):
        outside.screen(event_name[len(_START_PREFIX):], door_answers=door is not None)
    elif door is not None and event_name.startswith("before-s"):
        if event_name.startswith(_SEND_PREFIX):
            response = door.answer(event_name[len(_SEND_PREFIX):], kwargs["request"])
            # Ours is the only answer: later handlers (moto's, for one) never see KMS traffic.
            return [(_emit, response)]
        if event_name.startswith(_SIGN_PREFIX):
            sign_with_fake_credentials(kwargs)
    if original is None:  # uninstalled between the lookup and the call by another thread
        return HierarchicalEmitter._emit(self, event_name, kwargs, stop_on_response)
    return original(self, event_name, kwargs, stop_on_response)
