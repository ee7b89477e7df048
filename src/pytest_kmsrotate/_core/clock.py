"""The simulated clock: the only source of time for the core."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .defaults import DEFAULT_START


def _caller_mistake(excinfo: object) -> bool:
    # pytest reads `__tracebackhide__` from a frame's globals and calls it with the exception:
    # a refused move shows the test's line, not the clock's frames. Nothing here imports pytest.
    return type(getattr(excinfo, "value", None)) in (ClockError, ValueError, TypeError)


__tracebackhide__ = _caller_mistake


def as_utc(when: datetime, what: str = "time") -> datetime:
    """Normalise an aware datetime to UTC; naive ones are refused because their zone is a guess."""
    if not isinstance(when, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(when).__name__}")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (for example datetime(2024, 4, 1, tzinfo=timezone.utc))")
    return when.astimezone(timezone.utc)


class ClockError(ValueError):
    """A request to move the simulated clock that cannot be honoured."""


class Clock:
    """A monotonic simulated clock.

    Listeners are told about every move, after it happened and outside the lock, so an adapter
    (freezegun, the engine's scheduler) can follow without the clock knowing about either.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._now = as_utc(start, "start")
        self._lock = threading.Lock()
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        return self._now

    def advance(
        self,
        delta: timedelta | None = None,
        *,
        days: float = 0,
        hours: float = 0,
        minutes: float = 0,
        seconds: float = 0,
    ) -> datetime:
        """Move forward by `delta` or by the keyword amounts; returns the new time."""
        if delta is not None and not isinstance(delta, timedelta):
            raise TypeError(f"advance() takes a timedelta, not {type(delta).__name__}")
        step = (delta or timedelta()) + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if step < timedelta(0):
            raise ClockError(f"the simulated clock only moves forward; advance() got {step}")
        with self._lock:
            self._now = self._now + step
            now = self._now
        self._notify(now)
        return now

    def move_to(self, when: datetime) -> datetime:
        """Jump to an aware datetime at or after the current simulated time."""
        target = as_utc(when, "move_to() target")
        with self._lock:
            if target < self._now:
                raise ClockError(
                    f"the simulated clock only moves forward: it is {self._now.isoformat()}, "
                    f"move_to() asked for {target.isoformat()}"
                )
            self._now = target
        self._notify(target)
        return target

    def subscribe(self, listener: Callable[[datetime], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[datetime], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, now: datetime) -> None:
        for listener in list(self._listeners):
            listener(now)

    def __repr__(self) -> str:
        return f"<Clock {self._now.isoformat()}>"
