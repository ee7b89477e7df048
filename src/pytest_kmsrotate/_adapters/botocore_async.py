"""The aiobotocore door: every KMS request of every aiobotocore (and aioboto3) client goes to the fake.

aiobotocore's `AioHierarchicalEmitter` defines its own async `_emit`, so the botocore door's
wrapper on the base class never sees its events. This door wraps that `_emit` the same way, at
the class level while it is open, so clients made before the fake (in any event loop or thread)
are reached too, and answers the same two events for the `kms` service only:
- `before-sign.kms.*`: a client without static credentials signs with throwaway ones (the rule
  of `botocore_containment.sign_with_fake_credentials`, with aiobotocore's credential class);
- `before-send.kms.*`: the validated, serialized, signed request goes to the shared protocol
  layer; the answer comes back as an `AioAWSResponse` (what aiobotocore's own stubber builds)
  whose raw body is read with an awaited `read()`, as aiohttp's is, so aiobotocore's parser,
  modeled exceptions and retry handlers read it exactly as they read AWS's.

While open it also:
- wraps `AioSession._create_client` so a KMS client made during the fake gets throwaway
  credentials and a config-free region (`botocore_containment.contain_client_arguments`, as for
  botocore clients);
- moves the simulated clock by the retry back-off of KMS calls, as the sleep patch does for
  botocore's `time.sleep`, and hands aiobotocore 0 seconds to await; other services' back-off
  is untouched. aiobotocore's `AioEndpoint._needs_retry` emits `needs-retry.kms.<Operation>` and
  awaits the first non-None answer as seconds (`asyncio.sleep` in 2.x; `self._sleep`, which
  the httpx backend overrides with `anyio.sleep`, in 3.x). The door rewrites that answer on its
  way back from the event, so it works with every aiobotocore version, whichever sleep it awaits.

While the outside guard watches (`kms_rotation_outside = warn | block`, or threads that outlived
their fake), the `_emit` wrapper stays installed with no door open, and screens the first event
of each KMS call (`provide-client-params.kms.*`) exactly as the botocore door does.

This module imports aiobotocore: `KmsRotation.start()` and the guard import it only when
aiobotocore is installed.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiobotocore.awsrequest import AioAWSResponse
from aiobotocore.credentials import AioCredentials
from aiobotocore.hooks import AioHierarchicalEmitter
from aiobotocore.session import AioSession

from .._process import outside
from .._process.sleep import simulate_retry_sleep
from .._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY
from .._protocol.respond import Protocol, access_key_of, region_of
from .._protocol.service_model import service_model
from .botocore_containment import contain_client_arguments, innermost_region

_SEND_PREFIX = "before-send.kms."
_SIGN_PREFIX = "before-sign.kms."
_RETRY_PREFIX = "needs-retry.kms."
_START_PREFIX = "provide-client-params.kms."
_FAKE_CREDENTIALS = AioCredentials(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)

_lock = threading.Lock()
_open: list[AiobotocoreDoor] = []  # innermost last: the newest fake answers
# What the wrappers replaced, by (class, attribute), while any door is open.
_originals: dict[tuple[type, str], Callable[..., Any]] = {}


class _RawBody:
    """Just enough of aiohttp's response for `AioAWSResponse.content` to await the body."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def read(self, *_: Any, **__: Any) -> bytes:
        return self._body


class AiobotocoreDoor:
    """Routes aiobotocore KMS requests to one protocol between `open()` and `close()`."""

    name = "aiobotocore"

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

    def answer(self, operation: str, request: Any) -> AioAWSResponse:
        authorization = request.headers.get("Authorization")
        region = region_of(authorization, urlsplit(request.url).hostname or "")
        reply = self.protocol.respond(operation, request.body, region, access_key_of(authorization))
        return AioAWSResponse(request.url, reply.status, reply.headers, _RawBody(reply.body))


def _refresh_locked() -> None:
    """Wrap client creation while a door is open, and the emitter while one is or the guard watches."""
    _wrap(AioSession, "_create_client", _create_client, bool(_open))
    _wrap(AioHierarchicalEmitter, "_emit", _emit, bool(_open) or outside.watching())


def _refresh() -> None:
    with _lock:
        _refresh_locked()


outside.on_change(_refresh)


def _wrap(owner: type, attribute: str, wrapper: Callable[..., Any], wanted: bool) -> None:
    key = (owner, attribute)
    if wanted and key not in _originals:
        _originals[key] = vars(owner)[attribute]
        setattr(owner, attribute, wrapper)
    elif not wanted and key in _originals:
        setattr(owner, attribute, _originals.pop(key))


def _original(owner: type, attribute: str) -> Callable[..., Any]:
    """The wrapped function, or (closed meanwhile by another thread) what the class has now."""
    original = _originals.get((owner, attribute))
    return original if original is not None else getattr(owner, attribute)


async def _emit(self: Any, event_name: str, kwargs: dict[str, Any], stop_on_response: bool = False) -> Any:
    door = next(iter(_open[-1:]), None)
    if event_name.startswith(_START_PREFIX):
        outside.screen(event_name[len(_START_PREFIX):], door_answers=door is not None)
    if door is not None and event_name.startswith("before-s"):
        if event_name.startswith(_SEND_PREFIX):
            response = door.answer(event_name[len(_SEND_PREFIX):], kwargs["request"])
            # Ours is the only answer: later handlers never see KMS traffic.
            return [(_emit, response)]
        if event_name.startswith(_SIGN_PREFIX):
            _sign_with_fake_credentials(kwargs)
    responses = await _original(AioHierarchicalEmitter, "_emit")(self, event_name, kwargs, stop_on_response)
    if door is not None and event_name.startswith(_RETRY_PREFIX):
        return _back_off_on_the_simulated_clock(responses)
    return responses


@functools.lru_cache(maxsize=4)
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def _sign_with_fake_credentials(kwargs: dict[str, Any]) -> None:
    """Sign with throwaway credentials unless the client holds static ones (read without a look-up)."""
    request = kwargs.get("request")
    if request is None:
        return
    if type(getattr(kwargs.get("request_signer"), "_credentials", None)) is AioCredentials:
        return
    context = getattr(request, "context", None)  # every AWSRequest has one; read without trusting it
    if isinstance(context, dict):
        context.setdefault("signing", {})["request_credentials"] = _FAKE_CREDENTIALS


def _back_off_on_the_simulated_clock(responses: Any) -> Any:
    """`needs-retry` answers with the first non-None handler response: seconds to wait before the
    next attempt (None: no retry). Move the simulated clock by them and let aiobotocore await 0
    instead; with no sleep patch active (`patch_sleep=False`) the answer passes unchanged."""
    for index, (handler, delay) in enumerate(responses):
        if delay is None:
            continue
        if (isinstance(delay, (int, float)) and not isinstance(delay, bool) and delay > 0
                and simulate_retry_sleep(delay)):
            responses = list(responses)
            responses[index] = (handler, 0)
        return responses
    return responses


async def _create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
    original = _original(AioSession, "_create_client")
    region = innermost_region()
    bound = _signature(original).bind(self, *args, **kwargs)
    if region is not None and bound.arguments.get("service_name") == "kms":
        arguments = dict(bound.arguments)
        del arguments["self"]
        contain_client_arguments(self, arguments, region)
        return await original(self, **arguments)
    return await original(*bound.args, **bound.kwargs)

