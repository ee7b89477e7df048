"""The on-demand completion delay per key (kms_keys / create_key field) and per call (issue 17)."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from pytest_kmsrotate import KmsRotation, SeedingError


def _rotate(kms_rotation: KmsRotation, key: str) -> None:
    boto3.client("kms", region_name="us-east-1").rotate_key_on_demand(KeyId=key)


@pytest.mark.kms_rotation(on_demand_delay=60)
def test_a_key_with_its_own_delay_completes_on_its_own_time(kms_rotation: KmsRotation) -> None:
    slow = kms_rotation.create_key(on_demand_delay=timedelta(hours=1))
    usual = kms_rotation.create_key()
    _rotate(kms_rotation, slow.key_id)
    _rotate(kms_rotation, usual.key_id)
    kms_rotation.clock.advance(seconds=60)
    assert (slow.on_demand_rotation_in_progress, usual.on_demand_rotation_in_progress) == (True, False)
    kms_rotation.clock.advance(minutes=59)
    assert not slow.on_demand_rotation_in_progress
    assert [r.date - slow.rotations[0].date for r in slow.rotations] == [timedelta(0)]
    assert slow.rotations[0].date == kms_rotation.config.start + timedelta(hours=1)


def test_zero_per_key_completes_at_once_under_a_test_delay() -> None:
    with KmsRotation(freeze_time=False) as fake:
        fake.next_on_demand_delay(0)  # unused: no rotation yet
        key = fake.create_key(on_demand_delay=0)
        _rotate(fake, key.key_id)
        assert [r.type for r in key.rotations] == ["ON_DEMAND"]


def test_the_next_call_delay_applies_once(kms_rotation: KmsRotation) -> None:
    a = kms_rotation.create_key()
    b = kms_rotation.create_key()
    kms_rotation.next_on_demand_delay(timedelta(minutes=5))
    _rotate(kms_rotation, a.key_id)
    _rotate(kms_rotation, b.key_id)
    assert (a.on_demand_rotation_in_progress, len(b.rotations)) == (True, 1)
    kms_rotation.clock.advance(minutes=5)
    assert [r.date for r in a.rotations] == [kms_rotation.config.start + timedelta(minutes=5)]


def test_the_marker_field_sets_the_key_delay(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3
        import pytest

        @pytest.mark.kms_keys(alias="alias/slow", on_demand_delay=600)
        def test_slow(kms_rotation):
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms_rotation.key("alias/slow")
            kms.rotate_key_on_demand(KeyId=key.key_id)
            assert key.on_demand_rotation_in_progress
            kms_rotation.clock.advance(seconds=600)
            assert not key.on_demand_rotation_in_progress

        @pytest.mark.kms_keys(alias="alias/bad", on_demand_delay="soon")
        def test_bad(kms_rotation):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    assert [ln for ln in result.stdout.lines if ln.startswith("pytest-kmsrotate: ")] == [
        "pytest-kmsrotate: @pytest.mark.kms_keys key #1: on_demand_delay must be seconds or a timedelta, got 'soon'"]


def test_bad_delays_are_refused_with_the_reason(kms_rotation: KmsRotation) -> None:
    with pytest.raises(SeedingError, match=r"^create_key: on_demand_delay must not be negative, got -1$"):
        kms_rotation.create_key(on_demand_delay=-1)
    with pytest.raises(ValueError, match=r"^next_on_demand_delay\(delay\) must be seconds or a timedelta, got 'x'$"):
        kms_rotation.next_on_demand_delay("x")  # type: ignore[arg-type]


def test_a_checkpoint_keeps_the_next_delay_and_the_key_delays() -> None:
    with KmsRotation(freeze_time=False) as fake:
        key = fake.create_key(on_demand_delay=30)
        checkpoint = fake.checkpoint()
        fake.next_on_demand_delay(600)
        fake.restore(checkpoint)
        _rotate(fake, key.key_id)
        fake.clock.advance(seconds=30)
        assert [r.type for r in key.rotations] == ["ON_DEMAND"]
