"""What the sleep patch does in threads other than the test's (issues 4 and 12; see sleep.py).

The thread that started the fake, and botocore's retry loop in any thread, advance the
simulated clock instead of sleeping. A `time.sleep(n)` in another thread pauses for at most
1 ms for real (so pollers do not spin) and moves the clock to its wake time, simulated now + n,
unless another thread already moved it past. A spy installed as `time.sleep` before the fake
starts sees exactly the real pauses.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from pytest_kmsrotate import KmsRotation


class SleepSpy:
    """Stands in for the real `time.sleep`: records who really slept, and sleeps (briefly)."""

    def __init__(self, real: Callable[[float], None]) -> None:
        self.real = real
        self.calls: list[tuple[int, float]] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append((threading.get_ident(), seconds))
        self.real(min(seconds, 0.01))


@pytest.fixture
def spied_fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[KmsRotation, SleepSpy]]:
    spy = SleepSpy(time.sleep)
    monkeypatch.setattr(time, "sleep", spy)
    with KmsRotation() as fake:
        yield fake, spy


def run_in_thread(target: Callable[[], Any]) -> tuple[int, list[Any]]:
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(target()))
    worker.start()
    worker.join(30)
    assert not worker.is_alive()
    assert worker.ident is not None
    return worker.ident, result


def test_the_test_thread_never_really_sleeps(spied_fake: tuple[KmsRotation, SleepSpy]) -> None:
    fake, spy = spied_fake
    before = fake.clock.now()
    time.sleep(3600)
    assert spy.calls == []
    assert fake.clock.now() - before == timedelta(hours=1)


def test_a_worker_threads_sleep_moves_the_clock_to_its_wake_time(
        spied_fake: tuple[KmsRotation, SleepSpy]) -> None:
    fake, spy = spied_fake
    before = fake.clock.now()
    ident, _ = run_in_thread(lambda: time.sleep(3600))
    assert spy.calls == [(ident, 0.001)]  # a real pause of 1 ms, not an hour
    assert fake.clock.now() - before == timedelta(hours=1)
    ident, _ = run_in_thread(lambda: time.sleep(0.0005))
    assert spy.calls[-1] == (ident, 0.0005)
    assert fake.clock.now() - before == timedelta(hours=1, microseconds=500)


def test_workers_sleeping_side_by_side_do_not_add_up(spied_fake: tuple[KmsRotation, SleepSpy]) -> None:
    fake, _ = spied_fake
    before = fake.clock.now()
    start = threading.Barrier(4)

    def sleeper() -> None:
        start.wait(10)
        time.sleep(60)

    workers = [threading.Thread(target=sleeper) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert not any(worker.is_alive() for worker in workers)
    # Each wakes 60 s after the moment it fell asleep; the clock is never moved by 4 x 60 s at once,
    # and at least 60 s passed.
    assert timedelta(seconds=60) <= fake.clock.now() - before <= timedelta(seconds=240)


def test_botocore_retries_in_a_worker_thread_move_the_clock_without_sleeping(
        spied_fake: tuple[KmsRotation, SleepSpy], caplog: pytest.LogCaptureFixture) -> None:
    fake, spy = spied_fake
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    fake.inject_fault("DescribeKey", "KMSInternalException", times=2)
    before = fake.clock.now()
    with caplog.at_level(logging.DEBUG, logger="botocore.endpoint"):
        _, [response] = run_in_thread(lambda: kms.describe_key(KeyId=key))
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    slept = [float(r.args[0]) for r in caplog.records  # type: ignore[index, arg-type]
             if r.getMessage().startswith("Response received to retry, sleeping for")]
    assert len(slept) == 2
    assert spy.calls == []  # nobody really slept
    assert fake.clock.now() - before == sum((timedelta(seconds=s) for s in slept), timedelta())


def test_worker_threads_sleep_for_real_when_the_patch_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    spy = SleepSpy(time.sleep)
    monkeypatch.setattr(time, "sleep", spy)
    with KmsRotation(patch_sleep=False) as fake:
        before = fake.clock.now()
        time.sleep(0.001)
        ident, _ = run_in_thread(lambda: time.sleep(0.002))
        assert spy.calls == [(threading.get_ident(), 0.001), (ident, 0.002)]
        assert fake.clock.now() == before
