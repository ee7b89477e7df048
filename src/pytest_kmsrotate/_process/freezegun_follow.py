"""Opt-in (`follow_freezegun=True`): the simulated clock follows the test's own freezegun moves.

Suites that already time-travel with freezegun (`freezer.move_to`, `freezer.tick`,
`frozen.tick()`, a new `freeze_time(...)` block) get KMS rotations without rewriting: after each
such move of the innermost freeze the test started, the fake's clock moves to the time freezegun
shows. The simulated clock only moves forward, so a move to an earlier time is undone and raises
`ClockError`. It is one-way: `kms_rotation.clock.advance()` does not move the test's freeze.

freezegun's factory classes and `freeze_time.start` are wrapped once per process, on first use;
the wrappers do nothing while no following fake is active.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any

from .._core.clock import Clock, ClockError
from . import time_follow

_lock = threading.Lock()
_clocks: list[Clock] = []
_wrapped = False


def _innermost_user_factory(api: Any) -> Any:
    for factory in reversed(api.freeze_factories):
        if factory is not time_follow._frozen:  # the fake's own freeze (time_follow.py) is not the test's
            return factory
    return None


def _sync(api: Any, factory: Any) -> None:
    if not _clocks or factory is None or factory is not _innermost_user_factory(api):
        return
    clock = _clocks[-1]
    shown: datetime = factory()
    target = shown.replace(tzinfo=timezone.utc) if shown.tzinfo is None else shown.astimezone(timezone.utc)
    now = clock.now()
    if target < now:
        raise ClockError(
            f"follow_freezegun: freezegun moved to {target.isoformat()}, before the simulated clock "
            f"({now.isoformat()}); the simulated clock only moves forward. Start the fake earlier "
            "(@pytest.mark.kms_rotation(start=...)) or move freezegun forward only."
        )
    if target > now:
        clock.move_to(target)


def _wrap_move(api: Any, cls: type, name: str) -> None:
    original = getattr(cls, name)

    def move(self: Any, *args: Any, **kwargs: Any) -> Any:
        before = self.time_to_freeze
        result = original(self, *args, **kwargs)
        try:
            _sync(api, self)
        except ClockError:
            self.time_to_freeze = before  # the test's clock stays where it was, as the fake's does
            raise
        return result

    move.__name__ = move.__qualname__ = name
    move.__doc__ = original.__doc__
    setattr(cls, name, move)


def _wrap(api: Any) -> None:
    global _wrapped
    for cls_name in ("FrozenDateTimeFactory", "TickingDateTimeFactory", "StepTickTimeFactory"):
        cls = getattr(api, cls_name, None)
        for name in ("tick", "move_to"):
            if cls is not None and name in cls.__dict__:
                _wrap_move(api, cls, name)
    original_start = api._freeze_time.start

    def start(self: Any) -> Any:
        factory = original_start(self)
        try:
            _sync(api, factory)
        except ClockError:
            self.stop()
            raise
        return factory

    start.__doc__ = original_start.__doc__
    api._freeze_time.start = start
    _wrapped = True


class FollowFreezegun:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def install(self) -> None:
        import freezegun.api as api

        with _lock:
            if not _wrapped:
                _wrap(api)
            _clocks.append(self._clock)
        try:  # a freeze the test started before the fake: follow it from the start
            _sync(api, _innermost_user_factory(api))
        except ClockError:
            self.uninstall()
            raise

    def uninstall(self) -> None:
        with _lock:
            if self._clock in _clocks:
                _clocks.remove(self._clock)
