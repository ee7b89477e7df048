"""What a test sees when it uses freezegun (or pytest-freezer) itself while the fake is active.

The fake's clock is the source of truth for KMS; freezegun is only how the code under test sees
it. freezegun keeps a stack of freezes and `datetime.now()` answers from the innermost one.
These tests pin docs/time.md.
"""

from __future__ import annotations

import textwrap

import pytest


def _run(pytester: pytest.Pytester, code: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_it=textwrap.dedent(code))
    return pytester.runpytest_subprocess("-p", "no:randomly", "-q", *args)


def test_a_freeze_inside_the_fake_changes_what_the_code_sees_not_kms(pytester: pytest.Pytester) -> None:
    result = _run(pytester, """
        import time
        from datetime import datetime, timedelta, timezone

        import boto3
        import freezegun


        def test_inner_freeze(kms_rotation):
            kms = boto3.client("kms", region_name="us-east-1")
            start = kms_rotation.clock.now()
            with freezegun.freeze_time("2030-06-01") as frozen:
                assert datetime.now(timezone.utc) == datetime(2030, 6, 1, tzinfo=timezone.utc)
                # KMS timestamps come from the fake's clock, not from the test's freeze.
                assert kms.create_key()["KeyMetadata"]["CreationDate"] == start
                # Neither clock drives the other while the inner freeze is active.
                frozen.tick(timedelta(days=5))
                assert kms_rotation.clock.now() == start
                kms_rotation.clock.advance(days=1)
                time.sleep(3600)  # the test's thread: advances the fake's clock
                assert datetime.now(timezone.utc) == datetime(2030, 6, 6, tzinfo=timezone.utc)
            assert kms_rotation.clock.now() == start + timedelta(days=1, hours=1)
            # Leaving the inner freeze, the code sees the fake's clock again, where it is now.
            assert datetime.now(timezone.utc) == kms_rotation.clock.now()
    """)
    result.assert_outcomes(passed=1)


def test_freezer_requested_before_the_fake_is_overridden_by_it(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_freezer")
    result = _run(pytester, """
        from datetime import datetime, timedelta, timezone


        def test_freezer_first(freezer, kms_rotation):
            start = kms_rotation.clock.now()
            assert datetime.now(timezone.utc) == start
            freezer.move_to("2031-01-01")  # the fake's freeze is innermost: no visible effect
            assert datetime.now(timezone.utc) == start
            kms_rotation.clock.advance(days=1)
            assert datetime.now(timezone.utc) == start + timedelta(days=1)
    """)
    result.assert_outcomes(passed=1)


def test_freezer_requested_after_the_fake_hides_the_clock(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_freezer")
    result = _run(pytester, """
        from datetime import datetime, timedelta, timezone


        def test_freezer_after(kms_rotation, freezer):
            start = kms_rotation.clock.now()
            assert datetime.now(timezone.utc) == start  # freezer froze "now", the fake's now
            kms_rotation.clock.advance(days=1)
            assert datetime.now(timezone.utc) == start  # the code no longer follows the fake
            freezer.move_to("2031-01-01")
            assert datetime.now(timezone.utc) == datetime(2031, 1, 1, tzinfo=timezone.utc)
            assert kms_rotation.clock.now() == start + timedelta(days=1)
    """)
    result.assert_outcomes(passed=1)


def test_freeze_time_false_leaves_time_to_the_test(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_freezer")
    result = _run(pytester, """
        from datetime import datetime, timezone

        import boto3
        import pytest


        @pytest.mark.kms_rotation(freeze_time=False, start="2024-01-01T00:00:00Z")
        def test_own_freeze(kms_rotation, freezer):
            freezer.move_to("2031-01-01")
            assert datetime.now(timezone.utc) == datetime(2031, 1, 1, tzinfo=timezone.utc)
            kms = boto3.client("kms", region_name="us-east-1")
            created = kms.create_key()["KeyMetadata"]["CreationDate"]
            assert created == datetime(2024, 1, 1, tzinfo=timezone.utc)  # still the fake's clock
    """)
    result.assert_outcomes(passed=1)


def test_freeze_time_false_lets_real_time_through(pytester: pytest.Pytester) -> None:
    result = _run(pytester, """
        from datetime import datetime, timezone

        import pytest


        @pytest.mark.kms_rotation(freeze_time=False)
        def test_real_time(kms_rotation):
            assert datetime.now(timezone.utc).year >= 2025
            assert kms_rotation.clock.now() == datetime(2024, 1, 1, tzinfo=timezone.utc)
    """)
    result.assert_outcomes(passed=1)


# -- follow_freezegun=True: the fake's clock follows the test's freezegun moves -----------------------

def test_follow_freezegun_follows_freezer_moves_forward(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_freezer")
    result = _run(pytester, """
        from datetime import datetime, timedelta, timezone

        import boto3
        import pytest


        @pytest.mark.kms_rotation(follow_freezegun=True, start="2024-01-01T00:00:00Z")
        def test_follow(kms_rotation, freezer):
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
            freezer.tick(timedelta(days=1))
            assert kms_rotation.clock.now() == datetime(2024, 1, 2, tzinfo=timezone.utc)
            freezer.move_to("2024-04-01")
            assert kms_rotation.clock.now() == datetime(2024, 4, 1, tzinfo=timezone.utc)
            assert datetime.now(timezone.utc) == kms_rotation.clock.now()
            # The existing suite's time travel now rotates keys.
            assert len(kms.list_key_rotations(KeyId=key)["Rotations"]) == 1
    """)
    result.assert_outcomes(passed=1)


def test_follow_freezegun_follows_a_freeze_started_before_the_fake(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_freezer")
    result = _run(pytester, """
        from datetime import datetime, timedelta, timezone

        import pytest


        @pytest.mark.kms_rotation(follow_freezegun=True, start="2024-01-01T00:00:00Z")
        def test_follow(freezer, kms_rotation):
            freezer.move_to("2030-01-01")
            assert kms_rotation.clock.now() == datetime(2030, 1, 1, tzinfo=timezone.utc)
            assert datetime.now(timezone.utc) == kms_rotation.clock.now()
            kms_rotation.clock.advance(days=1)  # the fake's own freeze is innermost and follows the clock
            assert datetime.now(timezone.utc) == datetime(2030, 1, 2, tzinfo=timezone.utc)
    """)
    result.assert_outcomes(passed=1)


def test_follow_freezegun_follows_freeze_time_blocks_and_ticks(pytester: pytest.Pytester) -> None:
    result = _run(pytester, """
        from datetime import datetime, timedelta, timezone

        import freezegun
        import pytest
        from pytest_kmsrotate import ClockError


        @pytest.mark.kms_rotation(follow_freezegun=True, start="2024-01-01T00:00:00Z")
        def test_follow(kms_rotation):
            with freezegun.freeze_time("2024-06-01") as frozen:
                assert kms_rotation.clock.now() == datetime(2024, 6, 1, tzinfo=timezone.utc)
                frozen.tick(3600)
                assert kms_rotation.clock.now() == datetime(2024, 6, 1, 1, tzinfo=timezone.utc)
                with pytest.raises(ClockError, match="follow_freezegun: freezegun moved to 2024-05-01T00:00:00"
                                   r"\\+00:00, before the simulated clock \\(2024-06-01T01:00:00\\+00:00\\)"):
                    frozen.move_to("2024-05-01")
                # Refused moves leave both clocks where they were.
                assert datetime.now(timezone.utc) == datetime(2024, 6, 1, 1, tzinfo=timezone.utc)
                assert kms_rotation.clock.now() == datetime(2024, 6, 1, 1, tzinfo=timezone.utc)
            with pytest.raises(ClockError, match="only moves forward"):
                with freezegun.freeze_time("2020-01-01"):
                    pass
            assert datetime.now(timezone.utc) == kms_rotation.clock.now()  # the refused freeze is undone
    """)
    result.assert_outcomes(passed=1)


def test_without_follow_freezegun_the_clocks_stay_apart(pytester: pytest.Pytester) -> None:
    result = _run(pytester, """
        from datetime import datetime, timezone

        import freezegun


        def test_apart(kms_rotation):
            with freezegun.freeze_time("2030-01-01") as frozen:
                frozen.tick(3600)
            with freezegun.freeze_time("2020-01-01"):
                pass  # going back is fine: the fake does not follow
            assert kms_rotation.clock.now() == datetime(2024, 1, 1, tzinfo=timezone.utc)
    """)
    result.assert_outcomes(passed=1)


def test_asyncio_runs_inside_the_fakes_own_freezegun_freeze(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_freezer")
    result = _run(pytester, """
        import asyncio


        def test_loop(freezer, kms_rotation):
            # The fake's freeze on top of the freezer's keeps the loop's clock real (real_asyncio).
            asyncio.run(asyncio.wait_for(asyncio.sleep(0.01), timeout=5))
    """, "-p", "timeout", "--timeout=60")
    result.assert_outcomes(passed=1)


def test_the_first_fake_of_a_session_starting_under_a_freeze_leaves_every_later_fake_whole(
    pytester: pytest.Pytester,
) -> None:
    # The time swaps are built once per process, by the first fake; here that fake starts inside
    # a freeze the test began, so the time module's attributes are freezegun's at that moment.
    result = _run(pytester, """
        import time
        from datetime import datetime, timezone

        import freezegun
        from pytest_kmsrotate import KmsRotation


        def test_a_first_fake_under_a_freeze():
            freeze = freezegun.freeze_time("2020-01-01")
            freeze.start()
            try:
                with KmsRotation():
                    pass
            finally:
                freeze.stop()


        def test_the_next_fake_and_the_time_after_it():
            assert type(time.time).__name__ == "builtin_function_or_method"
            with KmsRotation() as fake:
                assert time.time() == fake.clock.now().timestamp()
                assert datetime.now(timezone.utc) == fake.clock.now()
                assert type(datetime.now()) is datetime
            assert type(time.time).__name__ == "builtin_function_or_method"
            assert time.time() > 1.7e9 and datetime.now(timezone.utc).year >= 2025
    """)
    result.assert_outcomes(passed=2)
