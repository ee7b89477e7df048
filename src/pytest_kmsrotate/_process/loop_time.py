"""Virtual time for asyncio event loops in the test's thread (opt-in: `async_time=True`).

A loop that runs in the thread that started the fake reads the fake's simulated clock as its
`loop.time()`. When the loop has nothing to do but wait for its next timer (`asyncio.sleep`,
`wait_for`/`asyncio.timeout` deadlines, `call_later`), it polls its file descriptors once and, if
nothing is ready, advances the simulated clock to the timer instead of waiting: an
`await asyncio.sleep(5)` moves the clock by exactly 5 s at once, as `time.sleep(5)` does in the
test's thread. The idea is looptime's (virtual loop time that jumps to the next timer when idle).

Real waits must not be cut short. While the loop has file descriptors of its own registered
(sockets, pipes, a subprocess's pipes), or work in its executor (`run_in_executor`,
`asyncio.to_thread`, `getaddrinfo`), or a child process still running, it waits for real, so
`wait_for(reader.read(), 5)` times out after 5 real seconds, not at once. Such real waits do not
move the simulated clock (a blocking read in the test's thread does not either); the loop's own
time runs on by them. What cannot be seen is another thread that will wake the loop with
`call_soon_threadsafe`/`run_coroutine_threadsafe`: a timeout guarding such work would fire at
once. That is why this is opt-in (docs/time.md).

Loops in other threads keep real time. A loop outlives the fake it ran under (pytest-asyncio can
share one across tests): once the fake stops, its time runs on at the real pace from where the
virtual time left it, so it never goes back.
"""

from __future__ import annotations

import asyncio
import asyncio.base_events
import selectors
import threading
import weakref
from datetime import timedelta
from typing import Any

from .._core.clock import Clock
from .simulated_time import real_monotonic

_lock = threading.Lock()
_owners: list[tuple[int, Clock]] = []  # active async_time fakes: (thread that started it, clock)
_installed = False
_STATE = "_kms_rotation_time"
_JOBS = "_kms_rotation_jobs"
_CHILDREN = "_kms_rotation_children"


def _clock_for(thread: int) -> Clock | None:
    for owner, clock in reversed(_owners):
        if owner == thread:
            return clock
    return None


class _LoopClock:
    """A loop's time: `base` + simulated time since `clock_base` + real waits while bound, else real + `offset`."""

    __slots__ = ("base", "clock", "clock_base", "offset", "thread")

    def __init__(self, thread: int, now: float) -> None:
        self.thread = thread
        self.clock: Clock | None = None
        self.base = self.offset = 0.0
        self.clock_base: Any = None
        self.unbind(now)

    def current(self) -> float:
        if self.clock is None:
            return real_monotonic() + self.offset
        return self.base + self.offset + float((self.clock.now() - self.clock_base).total_seconds())

    def bind(self, clock: Clock, now: float) -> None:
        self.clock, self.base, self.clock_base, self.offset = clock, now, clock.now(), 0.0

    def unbind(self, now: float) -> None:
        self.clock, self.offset = None, now - real_monotonic()

    def follow(self) -> float:
        clock = _clock_for(self.thread)
        if clock is not self.clock:
            now = self.current()
            if clock is None:
                self.unbind(now)
            else:
                self.bind(clock, now)
        return self.current()


def _advance(clock: Clock, seconds: float) -> None:
    # Whole microseconds (the clock's resolution), never zero: a jump must reach the timer.
    clock.advance(timedelta(microseconds=max(1, round(seconds * 1_000_000))))


def _real_work_pending(loop: Any, selector: selectors.BaseSelector) -> bool:
    registered = selector.get_map()
    own_pipe = getattr(loop, "_ssock", None)
    own = 1 if own_pipe is not None and own_pipe.fileno() in registered else 0
    if len(registered) > own or loop.__dict__.get(_JOBS):
        return True
    return any(child.get_returncode() is None for child in loop.__dict__.get(_CHILDREN, ()))


class _VirtualSelector:
    """The loop's selector, skipping idle waits for timers while its loop is bound to a clock."""

    def __init__(self, loop: Any, real: selectors.BaseSelector, state: _LoopClock) -> None:
        self._loop = weakref.ref(loop)
        self._real = real
        self._state = state

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def select(self, timeout: float | None = None) -> Any:
        clock, loop = self._state.clock, self._loop()
        if clock is None or loop is None or timeout is None or timeout <= 0:
            return self._real.select(timeout)
        if _real_work_pending(loop, self._real):
            started = real_monotonic()
            events = self._real.select(timeout)
            self._state.offset += real_monotonic() - started
            return events
        events = self._real.select(0)
        if not events:
            _advance(clock, timeout)
        return events


def _virtualize(loop: Any, thread: int) -> _LoopClock:
    state = _LoopClock(thread, real_monotonic())
    loop.__dict__[_STATE] = state
    loop._selector = _VirtualSelector(loop, loop._selector, state)
    loop._clock_resolution = max(loop._clock_resolution, 1e-6)  # the simulated clock has microseconds
    return state


def _loop_time(self: Any) -> float:
    state: _LoopClock | None = self.__dict__.get(_STATE)
    if state is None:
        thread = threading.get_ident()
        if (not _owners or _clock_for(thread) is None or asyncio.events._get_running_loop() is not self
                or not isinstance(getattr(self, "_selector", None), selectors.BaseSelector)):
            return real_monotonic()
        state = _virtualize(self, thread)
    return state.follow()


def _install() -> None:
    global _installed
    base = asyncio.base_events.BaseEventLoop
    original_run_in_executor = base.run_in_executor

    def run_in_executor(self: Any, executor: Any, func: Any, *args: Any) -> Any:
        future = original_run_in_executor(self, executor, func, *args)
        jobs: set[Any] = self.__dict__.setdefault(_JOBS, set())
        jobs.add(future)
        future.add_done_callback(jobs.discard)
        return future

    base.time = _loop_time  # type: ignore[method-assign]
    base.run_in_executor = run_in_executor  # type: ignore[method-assign,assignment]
    unix = getattr(asyncio, "unix_events", None)
    selector_loop = getattr(unix, "_UnixSelectorEventLoop", None)
    if selector_loop is not None:
        original_subprocess = selector_loop._make_subprocess_transport

        async def make_subprocess_transport(self: Any, *args: Any, **kwargs: Any) -> Any:
            transport = await original_subprocess(self, *args, **kwargs)
            self.__dict__.setdefault(_CHILDREN, weakref.WeakSet()).add(transport)
            return transport

        selector_loop._make_subprocess_transport = make_subprocess_transport
    _installed = True


class LoopTimePatch:
    """While installed, loops run in the installing thread use `clock` as their time."""

    def __init__(self, clock: Clock) -> None:
        self._entry = (threading.get_ident(), clock)

    def install(self) -> None:
        # Installed once per process and left in place: a loop that read virtual time must keep
        # reading a continuous time after the fake stops (unbound loops read the real clock).
        with _lock:
            if not _installed:
                _install()
            _owners.append(self._entry)

    def uninstall(self) -> None:
        with _lock:
            if self._entry in _owners:
                _owners.remove(self._entry)
