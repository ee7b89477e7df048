"""The simulated clock: the only source of time for the core."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .defaults import DEFAULT_START

# How far past its own time the fake must be able to date the work a move sets off: ten years is
# beyond every plan KMS makes (rotation periods end at 2560 days, deletion windows at 30 days,
# import ValidTo at 365 days). A move that would leave less room is refused before anything
# changes, so an automatic rotation never fails to date its successor (OverflowError) mid-settle.
PLANNING_HORIZON = timedelta(days=3660)
LATEST = datetime.max.replace(tzinfo=timezone.utc) - PLANNING_HORIZON


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


_WHY_LATEST = (f"the fake dates work up to {PLANNING_HORIZON.days} days ahead (rotation periods, deletion "
               "windows) and datetime ends at year 9999")


def check_plannable(when: datetime, what: str) -> datetime:
    """`when`, if the fake can still date work that far ahead of it; else ClockError."""
    if when > LATEST:
        raise ClockError(
            f"{what} {when.isoformat()} is past the latest simulated time, {LATEST.isoformat()}: {_WHY_LATEST}"
        )
    return when


def _amount(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"advance() takes {name} as a number, not {type(value).__name__} ({value!r})")
    if not math.isfinite(value):
        raise ClockError(f"advance() takes a finite number of {name}, got {value!r}")
    return value


class Clock:
    """A monotonic simulated clock.

    Listeners are told about every move, after it happened and outside the lock, so an adapter
    (freezegun, the engine's scheduler) can follow without the clock knowing about either.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._now = check_plannable(as_utc(start, "start"), "the start")
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
        amounts = {name: _amount(value, name) for name, value in
                   (("days", days), ("hours", hours), ("minutes", minutes), ("seconds", seconds))}
        try:
            step = (delta or timedelta()) + timedelta(**amounts)
        except OverflowError:
            given = ", ".join(f"{name}={value!r}" for name, value in amounts.items() if value)
            raise ClockError(f"advance({given}) is a step too large for any date; the clock did not move") from None
        if step < timedelta(0):
            raise ClockError(f"the simulated clock only moves forward; advance() got {step}")
        with self._lock:
            if step > LATEST - self._now:
                raise ClockError(f"advance({step}) from {self._now.isoformat()} would pass the latest simulated "
                                 f"time, {LATEST.isoformat()}: {_WHY_LATEST}; the clock did not move")
            self._now = self._now + step
            now = self._now
        self._notify(now)
        return now

    def move_to(self, when: datetime) -> datetime:
        """Jump to an aware datetime at or after the current simulated time."""
        target = check_plannable(as_utc(when, "move_to() target"), "move_to() target")
        with self._lock:
            if target < self._now:
                raise ClockError(
                    f"the simulated clock only moves forward: it is {self._now.isoformat()}, "
                    f"move_to() asked for {target.isoformat()}"
                )
            self._now = target
        self._notify(target)
        return target

    def restore(self, when: datetime) -> datetime:
        """Put the clock back to `when`, the checkpoint's time (snapshot.restore only: the one
        move backwards, because the whole fake goes back with it)."""
        target = check_plannable(as_utc(when, "restore() target"), "restore() target")
        with self._lock:
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
