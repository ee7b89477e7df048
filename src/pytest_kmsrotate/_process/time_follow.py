"""freezegun following the simulated clock of the innermost active fake.

One freezegun freezer serves every active fake: freezegun's own stack only unwinds in LIFO
order, while fakes may stop in any order (a test that forgot to stop one, nested fakes stopped
outer first). Starting freezegun sweeps `sys.modules`, so it happens once per outermost fake.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from .._core.clock import Clock

# pytest's own timing (durations, junit times) keeps reading real time.
REAL_TIME_MODULES = ["_pytest.runner", "_pytest.timing", "_pytest.junitxml", "_pytest.terminal", "xdist"]

_lock = threading.RLock()
_clocks: list[Clock] = []
_freezer: Any = None
_frozen: Any = None


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
                # real_asyncio: event loops keep reading real monotonic time, or every
                # `await asyncio.sleep(n)` (and aiohttp's timeouts) would wait forever.
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
                _freezer.stop()
                _freezer = _frozen = None
