"""datetime/time follow the simulated clock; time.sleep moves it instead of blocking."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._core.clock import DEFAULT_START
from pytest_kmsrotate._core.config import Config


def test_code_under_test_reads_the_simulated_time(kms_rotation: KmsRotation) -> None:
    assert datetime.now(timezone.utc) == DEFAULT_START
    assert datetime.utcnow() == DEFAULT_START.replace(tzinfo=None)
    assert time.time() == DEFAULT_START.timestamp()
    kms_rotation.clock.advance(days=400, seconds=1)
    assert datetime.now(timezone.utc) == DEFAULT_START + timedelta(days=400, seconds=1)
    assert date.today() == (DEFAULT_START + timedelta(days=400)).date()
    assert time.time() == (DEFAULT_START + timedelta(days=400, seconds=1)).timestamp()


def test_time_is_real_again_after_the_fake_stops() -> None:
    with KmsRotation():
        assert datetime.now(timezone.utc) == DEFAULT_START
    assert datetime.now(timezone.utc).year >= 2025


def test_freezing_can_be_switched_off() -> None:
    with KmsRotation(freeze_time=False) as fake:
        assert datetime.now(timezone.utc).year >= 2025
        assert fake.clock.now() == DEFAULT_START


@pytest.mark.kms_rotation(start="2024-04-01T00:00:00Z")
def test_the_start_marker_sets_both_clocks(kms_rotation: KmsRotation) -> None:
    assert kms_rotation.clock.now() == datetime(2024, 4, 1, tzinfo=timezone.utc)
    assert datetime.now(timezone.utc) == datetime(2024, 4, 1, tzinfo=timezone.utc)


def test_sleep_in_the_test_thread_advances_the_clock_at_once(kms_rotation: KmsRotation) -> None:
    before = kms_rotation.clock.now()
    for _ in range(1000):
        time.sleep(3600)  # a thousand hours would be 41 days of real waiting
    assert kms_rotation.clock.now() - before == timedelta(hours=1000)
    with pytest.raises(ValueError, match="sleep length must be non-negative"):
        time.sleep(-1)


@pytest.mark.kms_rotation(patch_sleep=False)
def test_sleep_patching_can_be_switched_off(kms_rotation: KmsRotation) -> None:
    before = kms_rotation.clock.now()
    time.sleep(0.01)
    assert kms_rotation.clock.now() == before


def test_other_threads_sleeps_move_the_clock_without_waiting(kms_rotation: KmsRotation) -> None:
    before = kms_rotation.clock.now()
    worker = threading.Thread(target=time.sleep, args=(86400,))
    worker.start()
    worker.join(5)
    assert not worker.is_alive()
    assert kms_rotation.clock.now() - before == timedelta(days=1)


def test_sleep_is_restored_after_the_fake_stops() -> None:
    real = time.sleep
    with KmsRotation(Config()):
        assert time.sleep is not real
    assert time.sleep is real


def test_pytest_durations_stay_real_while_time_is_frozen(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_frozen(kms_rotation):
            kms_rotation.clock.advance(days=3650)
        """
    )
    result = pytester.runpytest("--durations=0", "-vv", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    durations = [line for line in result.outlines if "test_frozen" in line and "s " in line and "call" in line]
    assert durations, result.outlines
    assert float(durations[0].split("s ", 1)[0]) < 60, durations
