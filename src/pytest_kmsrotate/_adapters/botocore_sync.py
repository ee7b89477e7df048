"""The botocore door: every KMS request of every synchronous botocore client goes to the fake.

How a request gets here. Each client copies its session's emitter when it is created, so a
client made before the test (a module-level `boto3.client("kms")`, boto3's default session)
never sees a handler registered later on a session. Two class-level patches reach every client,
in every thread, and both are removed again when the last door closes:

- `RequestSigner.sign`, called once per request attempt. The first time a KMS client signs while
  a door is open, the door registers two handlers, last, on that client's own emitter:
  - `choose-signer.kms` returns `botocore.UNSIGNED` (botocore's documented way to skip signing):
    a request the fake answers never leaves the process, and SigV4 is about a third of what a
    call costs in botocore. (The endpoint door, which takes requests off a socket, still checks
    signatures.) A user's own `choose-signer` handler runs first and wins.
  - `before-send.kms` answers: the validated and serialized request goes to the shared protocol
    layer, and its answer returns as a raw HTTP response that botocore's own parser, error
    factory and retry logic read. Handlers run most specific event first and the first answer
    wins, so handlers a user registers for KMS (`before-send.kms`, `before-send.kms.Encrypt`)
    run before the fake, and only if none answered does the fake; handlers for every service
    (`before-send`, moto's among them) come after it and never see KMS traffic.
- `Endpoint._send`, reached only when no `before-send` handler answered: a KMS request that got
  that far while a door is open (its client's signer handler was removed, say) is answered too,
  never sent.
- While the outside guard watches (docs/containment.md: `kms_rotation_outside`, or threads that
  outlived their fake), a thin wrapper on `HierarchicalEmitter._emit` screens the first event
  of every KMS call (`provide-client-params.kms.*`) before anything is signed or sent.

Who is calling, without a signature. What the protocol needs of the signature is the region the
client signed for and the access key ID it signed with; the door reads both where botocore's
signer would (`_caller_of`): the region from `request.context["signing"]["region"]` (set by
botocore's endpoint rules) or else the signer's region, the access key from the request's
`request_credentials` or else the signer's credentials. Credentials are read as they are, never
refreshed: the fake never makes botocore fetch credentials from anywhere. A request that reaches
`Endpoint._send` has no signer to ask; its Authorization header and host stand in. Older botocore
gives the prepared request no `context` (the signed request has it): the door then reads the
context this thread signed last (`_context_of`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import botocore
from botocore.awsrequest import AWSResponse
from botocore.endpoint import Endpoint
from botocore.hooks import EventAliaser, HierarchicalEmitter
from botocore.signers import RequestSigner

from .._process import outside
from .._protocol.respond import Protocol, access_key_of, region_of
from .._protocol.service_model import service_model
from .botocore_containment import sign_with_fake_credentials

_SERVICE = "kms"
_SEND_PREFIX = "before-send.kms."
_START_PREFIX = "provide-client-params.kms."

_lock = threading.Lock()
_open: list[BotocoreDoor] = []  # innermost last: the newest fake answers
_original_sign: Callable[..., Any] | None = None
_original_send: Callable[..., Any] | None = None
_original_emit: Callable[..., Any] | None = None
# The KMS signers (one per client) on whose client's emitter the door's handlers are registered;
# a client that is collected drops out.
_registered: weakref.WeakKeyDictionary[Any, _ClientHandlers] = weakref.WeakKeyDictionary()
# Clients that asked to reach the fake over its HTTP endpoint instead (`leave_to_the_wire`):
# their signers and endpoints are left alone, so their requests are signed and sent for real.
_wire_signers: weakref.WeakSet[Any] = weakref.WeakSet()
_wire_endpoints: weakref.WeakSet[Any] = weakref.WeakSet()
# The signing context of the request this thread signed last. Older botocore (1.38.31 and 1.40.0
# among them) gives the prepared request that `before-send` sees no `context`: only the signed
# `AWSRequest` has one. One attempt is signed and sent in the same thread, one right after the other.
_signed = threading.local()


def leave_to_the_wire(client: Any) -> None:
    """Let this client's KMS requests go over HTTP (to the fake's endpoint) rather than in process.

    For tests of the endpoint door itself: every other client is answered in process, even one
    whose `endpoint_url` is the fake's endpoint.
    """
    with _lock:
        _wire_signers.add(client._request_signer)
        _wire_endpoints.add(client._endpoint)


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

    def answer(self, operation: str, request: Any, region: str | None, access_key_id: str | None) -> AWSResponse:
        reply = self.protocol.respond(operation, request.body, region, access_key_id=access_key_id)
        return AWSResponse(request.url, reply.status, reply.headers, _RawBody(reply.body))


def _refresh_locked() -> None:
    """Patch signing and sending while a door is open, and the emitter while the guard watches."""
    global _original_sign, _original_send, _original_emit
    if _open and _original_sign is None:
        _original_sign, _original_send = RequestSigner.sign, Endpoint._send
        RequestSigner.sign = _sign
        Endpoint._send = _send
    elif not _open and _original_sign is not None:
        RequestSigner.sign = _original_sign
        Endpoint._send = _original_send
        _original_sign = _original_send = None
        for handlers in list(_registered.values()):
            handlers.unregister()
        _registered.clear()
    watching = outside.watching()
    if watching and _original_emit is None:
        _original_emit = HierarchicalEmitter._emit
        HierarchicalEmitter._emit = _emit
    elif not watching and _original_emit is not None:
        HierarchicalEmitter._emit = _original_emit
        _original_emit = None


def _refresh() -> None:
    with _lock:
        _refresh_locked()


outside.on_change(_refresh)


def _emit(self: Any, event_name: str, kwargs: dict[str, Any], stop_on_response: bool = False) -> Any:
    """Screen the first event of each KMS call while the outside guard watches."""
    original = _original_emit
    if event_name.startswith(_START_PREFIX):
        outside.screen(event_name[len(_START_PREFIX):], door_answers=bool(_open))
    if original is None:  # uninstalled between the lookup and the call by another thread
        return HierarchicalEmitter._emit(self, event_name, kwargs, stop_on_response)
    return original(self, event_name, kwargs, stop_on_response)


class _ClientHandlers:
    """The door's hooks on one KMS client's emitter; they know that client's signer."""

    def __init__(self, signer: Any) -> None:
        self._signer = weakref.ref(signer)  # weak: the registry is keyed by the signer
        self._emitter = signer._event_emitter  # a weak proxy to the client's emitter
        self._stops = False

    def register(self) -> None:
        emitter = self._emitter
        emitter.register_last("choose-signer.kms", self.choose_signer)
        emitter.register_last("before-send.kms", self.before_send)
        # botocore calls every before-send handler even after one answered; this client's
        # before-send.kms.* events stop at the first answer instead, so nothing after the
        # answer (the fake's handler after a user's, moto's after the fake's) acts on it.
        if emitter.__class__.emit is EventAliaser.emit:
            emitter.emit = self.emit
            self._stops = True

    def unregister(self) -> None:
        try:
            self._emitter.unregister("choose-signer.kms", self.choose_signer)
            self._emitter.unregister("before-send.kms", self.before_send)
            if self._stops:
                del self._emitter.emit
        except ReferenceError:  # the client is gone, and its emitter with it
            pass

    def emit(self, event_name: str, **kwargs: Any) -> Any:
        """`EventAliaser.emit`, stopping at the first answer for before-send.kms.* events."""
        emitter = self._emitter
        aliased = emitter._alias_event_name(event_name)
        return emitter._emitter._emit(aliased, kwargs, aliased.startswith(_SEND_PREFIX))

    def choose_signer(self, **_: Any) -> Any:
        return botocore.UNSIGNED if _open else None

    def before_send(self, request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        door = next(iter(_open[-1:]), None)
        signer = self._signer()
        if door is None or signer is None or not event_name.startswith(_SEND_PREFIX):
            return None
        region, access_key_id = _caller_of(signer, _context_of(request))
        return door.answer(event_name[len(_SEND_PREFIX):], request, region, access_key_id)


def _context_of(request: Any) -> dict[str, Any] | None:
    """The request's botocore context: its own where botocore keeps one, else the one just signed."""
    context = getattr(request, "context", None)
    return context if context is not None else getattr(_signed, "context", None)


def _caller_of(signer: Any, context: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """The region and access key ID the signer would have signed this request with."""
    signing = (context or {}).get("signing") or {}
    region = signing.get("region") or signer._region_name
    credentials = signing.get("request_credentials") or signer._credentials
    if credentials is None:
        return region, None
    # `access_key` on refreshable credentials would refresh them (a network call): read what is there.
    fields = vars(credentials)
    access_key = fields.get("access_key") or fields.get("_access_key")
    return region, access_key if isinstance(access_key, str) else None


def _sign(self: Any, operation_name: str, request: Any, *args: Any, **kwargs: Any) -> Any:
    original = _original_sign
    door = next(iter(_open[-1:]), None)
    if door is not None and self._service_id.hyphenize() == _SERVICE and self not in _wire_signers:
        if self not in _registered:
            with _lock:
                if _open and self not in _registered:
                    handlers = _registered[self] = _ClientHandlers(self)
                    handlers.register()
        _signed.context = getattr(request, "context", None)
        sign_with_fake_credentials({"request_signer": self, "request": request})
    if original is None:  # uninstalled between the lookup and the call by another thread
        return RequestSigner.sign(self, operation_name, request, *args, **kwargs)
    return original(self, operation_name, request, *args, **kwargs)


def _send(self: Any, request: Any) -> Any:
    original = _original_send
    door = next(iter(_open[-1:]), None)
    if door is not None and self._endpoint_prefix == _SERVICE and self not in _wire_endpoints:
        target = request.headers.get("X-Amz-Target") or b""
        operation = (target.decode() if isinstance(target, bytes) else target).rpartition(".")[2]
        authorization = request.headers.get("Authorization")
        region = region_of(authorization, urlsplit(request.url).hostname or "")
        if region is None:
            region = ((_context_of(request) or {}).get("signing") or {}).get("region")
        return door.answer(operation, request, region, access_key_of(authorization))
    if original is None:
        return Endpoint._send(self, request)
    return original(self, request)
