"""A freezegun freeze that follows the simulated clock, for tests already inside a freezegun freeze.

The fake's own time patch (simulated_time.py) changes CPython's builtins; a freezegun freeze that
is active replaces the module attributes in front of them, so code would keep seeing the user's
frozen time. When a fake starts inside such a freeze (pytest-freezer's `freezer` requested before
`kms_rotation`, `@pytest.mark.freeze_time`), the fake pushes a freeze of its own that follows its
clock, so the innermost one, the fake's, wins as docs/time.md says. That costs freezegun's sweep of
`sys.modules`, but only in this case. One freezegun freezer serves every such fake: freezegun's
stack only unwinds in LIFO order, while fakes may stop in any order.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from typing import Any

from .._core.clock import Clock

# pytest's own timing (durations, junit times) keeps reading real time, and so do event loops: a
# freeze nested in another does not apply real_asyncio, but its ignore list, being innermost, applies.
REAL_TIME_MODULES = ["_pytest.runner", "_pytest.timing", "_pytest.junitxml", "_pytest.terminal", "xdist", "asyncio",
                     "selectors", "subprocess", "concurrent"]

_lock = threading.RLock()
_clocks: list[Clock] = []
_freezer: Any = None
_frozen: Any = None


def user_freeze_active() -> bool:
    """Whether a freezegun freeze (not one of ours) is active; never imports freezegun."""
    api = sys.modules.get("freezegun.api")
    return bool(api is not None and getattr(api, "freeze_factories", None) and _freezer is None)


def _follow(clock: Clock) -> None:
    if _frozen is not None and _clocks and _clocks[-1] is clock:
        _frozen.move_to(clock.now())


class FreezePatch:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def _on_move(self, _now: datetime) -> None:
        with _lock:
            _follow(self._clock)

    def install(self) -> None:
        global _freezer, _frozen
        import freezegun

        with _lock:
            if _freezer is None:
                # real_asyncio: freezegun would otherwise freeze the event loop's clock too.
                _freezer = freezegun.freeze_time(self._clock.now(), tick=False, ignore=REAL_TIME_MODULES,
                                                 real_asyncio=True)
                _frozen = _freezer.start()
            _clocks.append(self._clock)
            _follow(self._clock)
        self._clock.subscribe(self._on_move)

    def uninstall(self) -> None:
        global _freezer, _frozen
        self._clock.unsubscribe(self._on_move)
        with _lock:
            if self._clock in _clocks:
                _clocks.remove(self._clock)
            if _clocks:
                _follow(_clocks[-1])
            elif _freezer is not None:
                freezer, _freezer, _frozen = _freezer, None, None
                freezer.stop()  # may raise (a user's freeze stopped out of order): ours is forgotten anyway
