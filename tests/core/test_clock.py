"""The simulated clock: forward only, aware UTC, listeners told of every move."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_kmsrotate._core.clock import DEFAULT_START, Clock, ClockError


def test_starts_where_told_and_reads_as_aware_utc() -> None:
    start = datetime(2024, 4, 1, 2, 0, tzinfo=timezone(timedelta(hours=2)))
    clock = Clock(start)
    assert clock.now() == datetime(2024, 4, 1, 0, 0, tzinfo=timezone.utc)
    assert clock.now().tzinfo is timezone.utc


def test_default_start_is_fixed() -> None:
    assert Clock().now() == DEFAULT_START == datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_advance_by_timedelta_and_keywords_adds_up() -> None:
    clock = Clock()
    clock.advance(timedelta(days=1), hours=2)
    clock.advance(minutes=3, seconds=4.5)
    assert clock.now() - DEFAULT_START == timedelta(days=1, hours=2, minutes=3, seconds=4.5)


def test_move_to_jumps_forward() -> None:
    clock = Clock()
    target = datetime(2030, 1, 1, tzinfo=timezone.utc)
    assert clock.move_to(target) == target == clock.now()


def test_moving_backwards_is_refused_and_changes_nothing() -> None:
    clock = Clock()
    with pytest.raises(ClockError, match=r"only moves forward; advance\(\) got -1 day"):
        clock.advance(days=-1)
    with pytest.raises(ClockError, match="it is 2024-01-01T00:00:00\\+00:00, move_to\\(\\) asked for 2023"):
        clock.move_to(datetime(2023, 1, 1, tzinfo=timezone.utc))
    assert clock.now() == DEFAULT_START


def test_naive_datetimes_and_wrong_types_are_refused() -> None:
    clock = Clock()
    with pytest.raises(ValueError, match="must be timezone-aware"):
        clock.move_to(datetime(2030, 1, 1))
    with pytest.raises(TypeError, match="must be a datetime, not str"):
        clock.move_to("2030-01-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a timedelta, not int"):
        clock.advance(5)  # type: ignore[arg-type]
    assert clock.now() == DEFAULT_START


def test_listeners_hear_every_move_until_unsubscribed() -> None:
    clock = Clock()
    heard: list[datetime] = []
    clock.subscribe(heard.append)
    clock.advance(days=1)
    clock.move_to(DEFAULT_START + timedelta(days=3))
    clock.unsubscribe(heard.append)
    clock.advance(days=1)
    assert heard == [DEFAULT_START + timedelta(days=1), DEFAULT_START + timedelta(days=3)]


@given(st.lists(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4000)), max_size=20))
def test_time_never_goes_backwards(steps: list[timedelta]) -> None:
    clock = Clock()
    seen = [clock.now()]
    for step in steps:
        seen.append(clock.advance(step))
    assert seen == sorted(seen)
    assert clock.now() - DEFAULT_START == sum(steps, timedelta())
