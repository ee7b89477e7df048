"""Every time source agrees with the simulated clock in every thread; outside a fake all are real.

Pins the tables in docs/time.md (issue 12). Worker threads run under a join timeout so that a
regression fails instead of hanging.
"""

from __future__ import annotations

import ctypes
import datetime as datetime_module
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from time import monotonic as bound_monotonic
from time import time as bound_time
from typing import Any

import pytest

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._core.clock import DEFAULT_START

pytestmark = pytest.mark.timeout(60)


def in_thread(target: Callable[[], Any]) -> Any:
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(target())
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(30)
    assert not worker.is_alive(), "the worker hung"
    if errors:
        raise errors[0]
    return result[0]


def wall_readings() -> dict[str, Any]:
    """Every wall-clock source, each turned into an aware UTC datetime where it is one."""
    local = datetime.now()
    return {
        "datetime.now(utc)": datetime.now(timezone.utc),
        "datetime.now()": local.astimezone(timezone.utc),
        "datetime.today()": datetime.today().astimezone(timezone.utc),
        "datetime.utcnow()": datetime.utcnow().replace(tzinfo=timezone.utc),
        "time.time()": datetime.fromtimestamp(time.time(), timezone.utc),
        "from time import time": datetime.fromtimestamp(bound_time(), timezone.utc),
        "time.time_ns()": datetime.fromtimestamp(time.time_ns() // 1000 / 1e6, timezone.utc),
        "time.clock_gettime(REALTIME)": datetime.fromtimestamp(time.clock_gettime(time.CLOCK_REALTIME),
                                                               timezone.utc),
        "time.localtime()": datetime.fromtimestamp(time.mktime(time.localtime()), timezone.utc),
        "time.gmtime()": datetime(*time.gmtime()[:6], tzinfo=timezone.utc),
        "time.ctime()": datetime.strptime(time.ctime(), "%a %b %d %H:%M:%S %Y").astimezone(timezone.utc),
        "time.asctime()": datetime.strptime(time.asctime(), "%a %b %d %H:%M:%S %Y").astimezone(timezone.utc),
        "time.strftime()": datetime.strptime(time.strftime("%Y-%m-%d %H:%M:%S"),
                                             "%Y-%m-%d %H:%M:%S").astimezone(timezone.utc),
        "date.today()": date.today(),
    }


def expected(now: datetime) -> dict[str, Any]:
    return {name: (now.astimezone().date() if name == "date.today()" else now) for name in wall_readings()}


@pytest.mark.kms_rotation(start="2024-03-01T00:00:00Z")
def test_every_wall_clock_source_reads_the_simulated_instant(kms_rotation: KmsRotation) -> None:
    kms_rotation.clock.advance(days=89, hours=5, seconds=7)
    assert wall_readings() == expected(kms_rotation.clock.now())
    assert time.time_ns() == int(kms_rotation.clock.now().timestamp()) * 10**9


def test_worker_threads_read_the_same_wall_clock(kms_rotation: KmsRotation) -> None:
    kms_rotation.clock.advance(days=3)
    assert in_thread(wall_readings) == expected(kms_rotation.clock.now())
    # A worker moving the clock (a sleep) is seen by the test's thread at once, and vice versa.
    in_thread(lambda: time.sleep(60))
    assert time.time() == (DEFAULT_START + timedelta(days=3, minutes=1)).timestamp()
    assert in_thread(time.time) == time.time()


def test_the_result_types_are_the_real_ones(kms_rotation: KmsRotation) -> None:
    assert type(datetime.now()) is datetime
    assert type(datetime.now(timezone.utc)) is datetime
    assert type(date.today()) is date
    assert datetime_module.datetime is datetime  # the real class, not a stand-in
    assert datetime.now().tzinfo is None

    class Sub(datetime):
        pass

    assert type(Sub.now()) is Sub
    assert Sub.now() == datetime.now()


def test_bad_arguments_raise_the_real_errors_under_the_fake(kms_rotation: KmsRotation) -> None:
    with pytest.raises(TypeError, match="tzinfo argument must be None or of a tzinfo subclass"):
        datetime.now(5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        time.localtime("x")  # type: ignore[arg-type]
    assert time.localtime(0) == time.localtime(0.0)  # an explicit time is not the simulated one
    assert time.gmtime(86400)[:3] == (1970, 1, 2)


@pytest.mark.parametrize("where", ["test thread", "worker thread"])
def test_a_monotonic_deadline_loop_ends_without_real_waiting(kms_rotation: KmsRotation, where: str) -> None:
    def poll() -> int:
        rounds = 0
        deadline = time.monotonic() + 300
        perf_deadline = time.perf_counter() + 300
        while time.monotonic() < deadline or time.perf_counter() < perf_deadline:
            rounds += 1
            time.sleep(5)
        return rounds

    started = kms_rotation.clock.now()
    real_started = time.clock_gettime(time.CLOCK_MONOTONIC_RAW)  # not simulated
    rounds = poll() if where == "test thread" else in_thread(poll)
    assert rounds == 60
    assert kms_rotation.clock.now() - started == timedelta(seconds=300)
    assert time.clock_gettime(time.CLOCK_MONOTONIC_RAW) - real_started < 10


def test_monotonic_runs_at_the_real_pace_plus_the_moves(kms_rotation: KmsRotation) -> None:
    before, bound_before = time.monotonic(), bound_monotonic()
    kms_rotation.clock.advance(hours=2)
    time.sleep(0.5)  # the test's thread: a move, not a wait
    assert 7200.5 <= time.monotonic() - before < 7200.5 + 5
    assert 7200.5 <= bound_monotonic() - bound_before < 7200.5 + 5
    assert 7200.5 * 1e9 <= time.monotonic_ns() - before * 1e9 < (7200.5 + 5) * 1e9
    t0 = time.perf_counter()
    deadline = time.clock_gettime(time.CLOCK_MONOTONIC_RAW) + 0.05
    while time.clock_gettime(time.CLOCK_MONOTONIC_RAW) < deadline:
        pass
    assert time.perf_counter() - t0 >= 0.05  # still measures real work


def test_the_standard_librarys_timeouts_stay_real(kms_rotation: KmsRotation) -> None:
    import queue

    waiting: queue.Queue[int] = queue.Queue()
    threading.Timer(0.2, lambda: (kms_rotation.clock.advance(days=1), waiting.put(1))).start()
    # queue.get measures its timeout with time.monotonic: the day the clock jumps must not cut it short.
    assert waiting.get(timeout=30) == 1


def test_nothing_is_patched_outside_a_fake() -> None:
    with KmsRotation():
        assert time.time() == DEFAULT_START.timestamp()
    assert_real_time()


def test_a_fake_in_another_test_leaves_this_one_real(pytester: pytest.Pytester) -> None:
    import inspect

    header = "import ctypes, time\nfrom datetime import date, datetime, timedelta, timezone\n"
    pytester.makeconftest(header + "_REAL_NOW = datetime.__dict__['now']\n_REAL_UTCNOW = datetime.__dict__['utcnow']\n"
                          + inspect.getsource(assert_real_time))
    pytester.makepyfile(
        """
        from conftest import assert_real_time

        def test_1_uses_the_fake(kms_rotation):
            kms_rotation.clock.advance(days=10)

        def test_2_does_not():
            assert_real_time()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q", timeout=120)
    result.assert_outcomes(passed=2)


def assert_real_time() -> None:
    """The time functions are CPython's own and read the real clock in the real zone."""
    raw = time.clock_gettime(time.CLOCK_REALTIME)
    assert abs(time.time() - raw) < 5
    assert abs(datetime.now(timezone.utc).timestamp() - raw) < 5
    assert abs(datetime.now().timestamp() - raw) < 5  # naive local, read back in the local zone
    assert type(datetime.now()) is datetime
    assert type(date.today()) is date
    assert datetime.now().astimezone().utcoffset() == timedelta(seconds=time.localtime().tm_gmtoff)
    assert datetime.__dict__["now"] is _REAL_NOW and datetime.__dict__["utcnow"] is _REAL_UTCNOW
    for name in ("time", "time_ns", "monotonic", "perf_counter", "localtime", "gmtime", "strftime"):
        function = getattr(time, name)
        assert type(function).__name__ == "builtin_function_or_method"
        assert function.__self__ is time, name  # the method table and self are CPython's again
    assert ctypes.c_void_p.from_address(id(time.time) + 6 * 8).value, "time.time lost its fast path"


_REAL_NOW = datetime.__dict__["now"]
_REAL_UTCNOW = datetime.__dict__["utcnow"]


def test_starting_and_stopping_while_other_threads_read_the_time() -> None:
    """The builtins change while other threads call them: no call may fail or see a torn state."""
    stop = threading.Event()
    failures: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                time.time(), time.monotonic(), time.perf_counter_ns(), time.localtime(), datetime.now()
                bound_time(), bound_monotonic(), time.strftime("%Y")
        except BaseException as error:
            failures.append(error)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for _ in range(100):
            with KmsRotation():
                time.time()
    finally:
        stop.set()
        for thread in readers:
            thread.join(30)
    assert failures == []
    assert_real_time()
