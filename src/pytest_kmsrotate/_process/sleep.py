"""`time.sleep` that moves the simulated clock instead of blocking.

Under a frozen clock a polling loop (`while not done: time.sleep(5)`) would wait forever, and
botocore's retry back-off would wait for real. While a fake is active, `time.sleep(n)` called from
the thread that started the fake, or from botocore's retry loop of a KMS request in any thread,
advances the simulated clock by `n` and returns at once. botocore's back-off for any other
service (an STS or S3 client retrying) sleeps for real and leaves the KMS clock alone. In any
other thread it moves the clock to the sleeper's wake time (simulated now + n, unless already
past) after a real pause of at most 1 ms, so a worker's `while monotonic() < deadline: time.sleep(5)`
ends without real waiting too.

The patch replaces the `time.sleep` attribute: code that bound `from time import sleep` before
the fake started keeps the real one. With `patch_sleep=False` every sleep, botocore's included,
is real. See tests/test_time_threads.py and docs/time.md.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from .._core.clock import Clock, ClockError

# How far up the stack to look for the botocore request a sleep belongs to: the retry loop
# (`Endpoint._needs_retry`) and the adaptive rate limiter's token bucket sit a few frames above it.
_STACK_DEPTH = 24
UNKNOWN_SERVICE = ""


def _botocore_service() -> str | None:
    """Which service's request a sleep belongs to: None if botocore did not call it, the service's
    endpoint prefix (`kms`, `sts`, ...) if a botocore frame above has an `operation_model`, and
    UNKNOWN_SERVICE for a botocore sleep whose request it cannot see."""
    try:
        frame = sys._getframe(2)
    except ValueError:  # called straight from C (`_thread.start_new_thread(time.sleep, ...)`): no caller
        return None
    if not str(frame.f_globals.get("__name__", "")).startswith(("botocore.", "aiobotocore.")):
        return None
    for _ in range(_STACK_DEPTH):
        model = frame.f_locals.get("operation_model")
        service = getattr(getattr(model, "service_model", None), "endpoint_prefix", None)
        if isinstance(service, str):
            return service
        if frame.f_back is None:
            break
        frame = frame.f_back
    return UNKNOWN_SERVICE


# Active patches, innermost last. One wrapper serves them all, so fakes may stop in any order
# and `time.sleep` is the real one again exactly when the last of them stops.
_active: list[SleepPatch] = []
_lock = threading.Lock()
_real_sleep: Callable[..., None] | None = None


def _sleep(seconds: float) -> None:
    patch = next(iter(_active[-1:]), None)  # one read: another thread may stop it meanwhile
    if patch is None:
        (_real_sleep or time.sleep)(seconds)
        return
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    service = _botocore_service()
    if service is not None:
        # Only KMS's own retries move the KMS clock; another service's back-off is real (issue 11).
        if service == "kms":
            patch.clock.advance(seconds=seconds)
        else:
            (_real_sleep or time.sleep)(seconds)
        return
    if threading.get_ident() == patch.owner:
        patch.clock.advance(seconds=seconds)
        return
    _worker_sleep(patch.clock, seconds)


# A worker's sleep wakes at (simulated now + seconds): the clock moves there unless another thread
# already moved it past, so workers sleeping side by side do not add their sleeps up. The real
# pause of at most a millisecond lets other threads run, so a worker polling for another thread's
# real work does not spin the clock away.
WORKER_YIELD = 0.001


def _worker_sleep(clock: Clock, seconds: float) -> None:
    wake = clock.now() + timedelta(seconds=seconds)
    (_real_sleep or time.sleep)(min(seconds, WORKER_YIELD))
    while clock.now() < wake:
        try:
            clock.move_to(wake)
        except ClockError:  # another thread moved it in between: look again
            continue


class SleepPatch:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.owner = threading.get_ident()

    def install(self) -> None:
        global _real_sleep
        with _lock:
            if not _active:
                _real_sleep = time.sleep
                setattr(time, "sleep", _sleep)  # noqa: B010 - assigning the attribute is the whole point
            _active.append(self)

    def uninstall(self) -> None:
        global _real_sleep
        with _lock:
            if self in _active:
                _active.remove(self)
            if not _active and _real_sleep is not None:
                setattr(time, "sleep", _real_sleep)  # noqa: B010
                _real_sleep = None


def simulate_retry_sleep(seconds: float) -> bool:
    """An async client's retry back-off: move the simulated clock by `seconds`, as `_sleep` does
    for botocore's retry loop in any thread; False (sleep for real) when no patch is active.

    aiobotocore awaits `asyncio.sleep` between attempts rather than calling `time.sleep`, so its
    door routes the delay its `needs-retry` event answers here and hands aiobotocore 0 seconds
    to await instead (see `_adapters/botocore_async.py`).
    """
    patch = next(iter(_active[-1:]), None)  # one read: another thread may stop it meanwhile
    if patch is None:
        return False
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    patch.clock.advance(seconds=seconds)
    return True
