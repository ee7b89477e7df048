"""`time.sleep` that moves the simulated clock instead of blocking.

Under a frozen clock a polling loop (`while not done: time.sleep(5)`) would wait forever, and
botocore's retry back-off would wait for real. While a fake is active, `time.sleep` called from
the thread that started the fake, or from botocore's own retry loop in any thread, advances the
simulated clock and returns at once. Other threads sleep for real: their sleeps overlap in
time, and summing them into one shared clock would make time run faster the more threads wait.

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


def _called_from_botocore() -> bool:
    try:
        caller = sys._getframe(2)
    except ValueError:  # called straight from C (`_thread.start_new_thread(time.sleep, ...)`): no caller
        return False
    return str(caller.f_globals.get("__name__", "")).startswith("botocore.")


# Active patches, innermost last. One wrapper serves them all, so fakes may stop in any order
# and `time.sleep` is the real one again exactly when the last of them stops.
_active: list[SleepPatch] = []
_lock = threading.Lock()
_real_sleep: Callable[..., None] | None = None


def _sleep(seconds: float) -> None:
    patch = _active[-1] if _active else None
    if patch is not None and (threading.get_ident() == patch.owner or _called_from_botocore()):
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


def simulate_retry_sleep(seconds: float) -> bool:
    """An async client's retry back-off: move the simulated clock by `seconds`, as `_sleep` does
    for botocore's retry loop in any thread; False (sleep for real) when no patch is active.

    aiobotocore awaits `asyncio.sleep` between attempts rather than calling `time.sleep`, so its
    door routes that one await here (see `_adapters/botocore_async.py`).
    """
    patch = _active[-1] if _active else None
    if patch is None:
        return False
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    patch.clock.advance(seconds=seconds)
    return True
