"""`time.sleep` that moves the simulated clock instead of blocking.

Under a frozen clock a polling loop (`while not done: time.sleep(5)`) would wait forever, and
botocore's retry back-off would wait for real. While a fake is active, `time.sleep` called from
the thread that started the fake, or from botocore's own retry loop in any thread, advances the
simulated clock and returns at once. Other threads sleep for real: their sleeps overlap in
time, and summing them into one shared clock would make time run faster the more threads wait.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable

from .core.clock import Clock


def _called_from_botocore() -> bool:
    caller = sys._getframe(2)
    return str(caller.f_globals.get("__name__", "")).startswith("botocore.")


class SleepPatch:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._owner = threading.get_ident()
        self._previous: Callable[..., None] | None = None

    def install(self) -> None:
        self._previous = time.sleep
        previous = self._previous
        clock, owner = self._clock, self._owner

        def sleep(seconds: float) -> None:
            if threading.get_ident() == owner or _called_from_botocore():
                if seconds < 0:
                    raise ValueError("sleep length must be non-negative")
                clock.advance(seconds=seconds)
                return
            previous(seconds)

        setattr(time, "sleep", sleep)  # noqa: B010 - assigning the attribute is the whole point

    def uninstall(self) -> None:
        if self._previous is not None:
            setattr(time, "sleep", self._previous)  # noqa: B010
            self._previous = None
