"""`time.sleep` that moves the simulated clock instead of blocking.

Under a frozen clock a polling loop (`while not done: time.sleep(5)`) would wait forever, and
botocore's retry back-off would wait for real. While a fake is active, `time.sleep` called from
the thread that started the fake, or from botocore's retry loop of a KMS request in any thread,
advances the simulated clock and returns at once. The retry loop of any other service (an STS
or S3 client backing off) sleeps for real and leaves the KMS clock alone: the sleep's caller
must be botocore's `Endpoint._needs_retry` and its `operation_model` a KMS operation. Other
threads sleep for real: their sleeps overlap in time, and summing them into one shared clock
would make time run faster the more threads wait.

So, in a thread the test started itself: `time.sleep` really sleeps and the simulated clock
stays where it is (move it with `kms_rotation.clock`), while a boto3 call that botocore retries
still returns at once and its back-off shows on the clock. The patch replaces the `time.sleep`
attribute: code that bound `from time import sleep` before the fake started keeps the real one.
With `patch_sleep=False` every sleep, botocore's included, is real. See tests/test_time_threads.py.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from .._core.clock import Clock


def _retrying_service() -> str | None:
    """The service whose request botocore backs off before retrying, when this sleep is that back-off."""
    caller = sys._getframe(1).f_back  # frame 1 is `_sleep`; a bare thread may have no caller at all
    if caller is None or caller.f_code.co_name != "_needs_retry":
        return None
    if caller.f_globals.get("__name__") != "botocore.endpoint":
        return None
    operation = caller.f_locals.get("operation_model")
    return str(getattr(getattr(operation, "service_model", None), "service_name", "") or "")


# Active patches, innermost last. One wrapper serves them all, so fakes may stop in any order
# and `time.sleep` is the real one again exactly when the last of them stops.
_active: list[SleepPatch] = []
_lock = threading.Lock()
_real_sleep: Callable[..., None] | None = None


def _sleep(seconds: float) -> None:
    patch = _active[-1] if _active else None
    retrying = _retrying_service() if patch is not None else None
    if patch is not None and (retrying == "kms" or (retrying is None and threading.get_ident() == patch.owner)):
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        patch.clock.advance(seconds=seconds)
        return
    (_real_sleep or time.sleep)(seconds)


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
