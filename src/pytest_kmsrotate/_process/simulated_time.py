"""The process's time functions read the simulated clock of the innermost active fake.

What each function returns while a fake is active (docs/time.md is the user-facing table):

- wall clock, every thread: `time.time()`, `time.time_ns()`, `datetime.now(tz)`, `datetime.utcnow()`,
  `date.today()`, `datetime.today()`, `time.localtime()`, `time.gmtime()`, `time.ctime()`,
  `time.asctime()`, `time.strftime(fmt)`, `time.clock_gettime(CLOCK_REALTIME)` give the simulated
  instant. It is frozen between moves. Naive results are in the process's local zone, computed by
  CPython from the simulated timestamp exactly as it does from the real one, so local and UTC views
  always agree.
- monotonic, every thread: `time.monotonic()`, `time.perf_counter()` (and `_ns`,
  `clock_gettime(CLOCK_MONOTONIC)`) run at the real pace plus every move of the simulated clock
  since the fake started. They never go back, they still measure real elapsed time, and a
  `deadline = monotonic() + 300` loop that sleeps ends as soon as the sleeps reach the deadline.
- callers that must measure real time read the real functions: pytest itself, pluggy, xdist,
  pytest-timeout for everything; and for the monotonic clocks also the standard library's own
  timeout machinery (threading, queue, subprocess, selectors, asyncio, concurrent.futures,
  socket, ...), so a `queue.get(timeout=5)` never times out early because a test slept for an hour.
  asyncio loops read real time unless `async_time` virtualises them (loop_time.py).

Nothing is patched while no fake is active: the builtins are CPython's own again, so tests that
do not use the fake see exactly the real functions, types and zone. Applying and restoring costs
microseconds (builtin_swap.py), so there is no per-test sweep of `sys.modules`.
"""

from __future__ import annotations

import sys
import threading
import time
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

from .._core.clock import Clock
from .builtin_swap import BuiltinSwap, TypeAttributeSwap

# Callers whose time measures the test run, not the code under test.
REAL_TIME_CALLERS: tuple[str, ...] = ("_pytest.", "pytest.", "pluggy", "xdist", "execnet", "pytest_timeout",
                                      "pytest_kmsrotate._process.", "coverage", "hypothesis")
# ... and, for monotonic clocks only, the machinery whose timeouts guard real waits.
REAL_MONOTONIC_CALLERS: tuple[str, ...] = (
    *REAL_TIME_CALLERS, "threading", "queue", "subprocess", "selectors", "asyncio.", "concurrent.",
    "multiprocessing.", "socket", "ssl", "socketserver", "http.", "urllib3.", "anyio.", "trio", "sniffio")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)
_UTCNOW_DEPRECATED = sys.version_info >= (3, 12)


class _Active:
    __slots__ = ("clock", "last", "owner")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last = clock.now()
        self.owner = threading.get_ident()

    def on_move(self, now: datetime) -> None:
        global _moved, _moved_ns
        with _lock:
            step = now - self.last
            if step > timedelta(0):
                self.last = now
                _moved += step.total_seconds()
                _moved_ns += step // _US * 1000


_lock = threading.RLock()
_active: list[_Active] = []
_moved = 0.0  # seconds the simulated clocks moved while active: the monotonic clocks' lead
_moved_ns = 0


def _caller_is(prefixes: tuple[str, ...]) -> bool:
    # Frames: 0 this function, 1 _simulated/_following_monotonic, 2 the replacement, 3 whoever
    # called the time function. freezegun's own wrappers are looked through, so that its "ignore"
    # list and ours agree.
    frame = sys._getframe(3)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not name.startswith("freezegun"):
            return bool(name.startswith(prefixes))
        frame = frame.f_back  # type: ignore[assignment]
    return False


def _simulated() -> datetime | None:
    """The innermost active fake's instant, or None when the caller should see real time."""
    innermost = _active[-1:]  # one read: another thread may stop the last fake meanwhile
    if not innermost or _caller_is(REAL_TIME_CALLERS):
        return None
    return innermost[0].clock.now()


def _following_monotonic() -> bool:
    return bool(_active) and not _caller_is(REAL_MONOTONIC_CALLERS)


def _nanoseconds(when: datetime) -> int:
    return (when - _EPOCH) // _US * 1000


# -- the replacements; each calls CPython's own function for anything but "now" --------------------

def _time(*args: Any, **kwargs: Any) -> Any:
    now = None if args or kwargs else _simulated()
    return _real["time"](*args, **kwargs) if now is None else now.timestamp()


def _time_ns(*args: Any, **kwargs: Any) -> Any:
    now = None if args or kwargs else _simulated()
    return _real["time_ns"](*args, **kwargs) if now is None else _nanoseconds(now)


def _monotonic_like(name: str, nanoseconds: bool) -> Any:
    def replacement(*args: Any, **kwargs: Any) -> Any:
        real = _real[name](*args, **kwargs)
        if args or kwargs or not _following_monotonic():
            return real
        return real + (_moved_ns if nanoseconds else _moved)
    replacement.__name__ = replacement.__qualname__ = name
    return replacement


def _struct_time(name: str) -> Any:
    def replacement(*args: Any, **kwargs: Any) -> Any:
        now = _simulated() if not kwargs and (not args or (len(args) == 1 and args[0] is None)) else None
        return _real[name](*args, **kwargs) if now is None else _real[name](now.timestamp())
    replacement.__name__ = replacement.__qualname__ = name
    return replacement


def _asctime(*args: Any, **kwargs: Any) -> Any:
    now = None if args or kwargs else _simulated()
    return _real["asctime"]() if now is None else _real["asctime"](_real["localtime"](now.timestamp()))


def _strftime(*args: Any, **kwargs: Any) -> Any:
    now = _simulated() if len(args) == 1 and not kwargs else None
    if now is None:
        return _real["strftime"](*args, **kwargs)
    return _real["strftime"](args[0], _real["localtime"](now.timestamp()))


def _clock_gettime_like(name: str, nanoseconds: bool) -> Any:
    def replacement(*args: Any, **kwargs: Any) -> Any:
        real = _real[name](*args, **kwargs)
        if len(args) != 1 or kwargs or not _active:
            return real
        if args[0] == time.CLOCK_REALTIME:
            now = _simulated()
            return real if now is None else (_nanoseconds(now) if nanoseconds else now.timestamp())
        if args[0] == time.CLOCK_MONOTONIC and _following_monotonic():
            return real + (_moved_ns if nanoseconds else _moved)
        return real
    replacement.__name__ = replacement.__qualname__ = name
    return replacement


def _now(cls: type[datetime], tz: Any = None) -> datetime:
    now = _simulated()
    if now is None:
        return _real_now.__get__(None, cls)(tz)  # type: ignore[no-any-return]
    # What CPython does with the real clock: the local zone for a naive result, tz.fromutc otherwise.
    return cls.fromtimestamp(now.timestamp(), tz)


def _utcnow(cls: type[datetime]) -> datetime:
    now = _simulated()
    if now is None:
        return _real_utcnow.__get__(None, cls)()  # type: ignore[no-any-return]
    if _UTCNOW_DEPRECATED:
        warnings.warn("datetime.datetime.utcnow() is deprecated and scheduled for removal in a future "
                      "version. Use timezone-aware objects to represent datetimes in UTC: "
                      "datetime.datetime.now(datetime.UTC).", DeprecationWarning, stacklevel=2)
    return cls.fromtimestamp(now.timestamp(), timezone.utc).replace(tzinfo=None)


def _cpython_own(name: str) -> Any:
    """CPython's own `time.<name>`, even while freezegun has replaced the module attribute.

    The swaps are built once per process, when the first fake starts; if a freeze the test
    started is active then (the fake then follows it), `time.time` is freezegun's function, and
    swapping that would hand freezegun's functions out as the "real" ones to every later fake.
    freezegun keeps CPython's own as `freezegun.api.real_<name>`.
    """
    for candidate in (getattr(time, name), getattr(sys.modules.get("freezegun.api"), f"real_{name}", None)):
        if type(candidate).__name__ == "builtin_function_or_method" and getattr(candidate, "__self__", None) is time:
            return candidate
    return getattr(time, name)  # someone else's replacement: swapped as found (BuiltinSwap falls back)


def _cpython_datetime() -> type[datetime]:
    """The real `datetime.datetime`, even while freezegun's class stands in for it here.

    Looked up at each use, never kept in a module global: a freezegun freeze started later (the
    fake's own, when it follows a user's freeze) rewrites every module global that holds the real
    class, this module's included.
    """
    return next(cls for cls in datetime.__mro__ if cls.__module__ == "datetime" and cls.__qualname__ == "datetime")


def _swaps() -> list[BuiltinSwap | TypeAttributeSwap]:
    plain = {"time": _time, "time_ns": _time_ns, "asctime": _asctime, "strftime": _strftime}
    for name in ("monotonic", "perf_counter"):
        plain[name] = _monotonic_like(name, nanoseconds=False)
        plain[name + "_ns"] = _monotonic_like(name + "_ns", nanoseconds=True)
    for name in ("localtime", "gmtime", "ctime"):
        plain[name] = _struct_time(name)
    if hasattr(time, "clock_gettime"):
        plain["clock_gettime"] = _clock_gettime_like("clock_gettime", nanoseconds=False)
        plain["clock_gettime_ns"] = _clock_gettime_like("clock_gettime_ns", nanoseconds=True)
    swaps: list[BuiltinSwap | TypeAttributeSwap] = []
    for name, replacement in plain.items():
        swap = BuiltinSwap(time, name, replacement, func=_cpython_own(name))
        _real[name] = swap.original
        swaps.append(swap)
    swaps.append(TypeAttributeSwap(_cpython_datetime(), "now", classmethod(_now)))
    swaps.append(TypeAttributeSwap(_cpython_datetime(), "utcnow", classmethod(_utcnow)))
    return swaps


_real: dict[str, Any] = {}
_real_now: Any = _cpython_datetime().__dict__["now"]
_real_utcnow: Any = _cpython_datetime().__dict__["utcnow"]
_all_swaps: list[BuiltinSwap | TypeAttributeSwap] | None = None
# date.today() and datetime.today() need no swap: CPython computes them from time.time().


def real_time() -> float:
    """The real wall clock, whatever is active (for the plugin's own use)."""
    return float(_real["time"]()) if _real else time.time()


def real_monotonic() -> float:
    return float(_real["monotonic"]()) if _real else time.monotonic()


class TimePatch:
    """While installed, the process's time functions read `clock` (see the module docstring)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entry: _Active | None = None

    def install(self) -> None:
        global _all_swaps
        with _lock:
            if _all_swaps is None:
                _all_swaps = _swaps()
            if not _active:
                for swap in _all_swaps:
                    swap.apply()
            self._entry = _Active(self._clock)
            _active.append(self._entry)
        self._clock.subscribe(self._entry.on_move)

    def uninstall(self) -> None:
        global _moved, _moved_ns
        if self._entry is not None:
            self._clock.unsubscribe(self._entry.on_move)
        with _lock:
            if self._entry in _active:
                _active.remove(self._entry)
            if not _active and _all_swaps is not None:
                for swap in reversed(_all_swaps):
                    swap.restore()
                _moved, _moved_ns = 0.0, 0
