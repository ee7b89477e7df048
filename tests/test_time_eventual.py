"""Eventual consistency of on-demand rotation, and sleeping under a simulated clock (spec §4, §10; issue 4).

With `on_demand_delay`, an on-demand rotation is in progress for that long: GetKeyRotationStatus
shows OnDemandRotationStartDate while ListKeyRotations and DescribeKey still show the old state.
`time.sleep` in the test's thread and botocore's retry back-off move the simulated clock instead.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig

from pytest_kmsrotate import KmsRotation
from tests._rotation_support import ok

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


def status(kms: Any, key: str) -> dict[str, Any]:
    got = ok("GetKeyRotationStatus", kms.get_key_rotation_status(KeyId=key))
    del got["ResponseMetadata"]
    return got


def on_demand_dates(kms: Any, key: str) -> list[datetime]:
    listed = ok("ListKeyRotations", kms.list_key_rotations(KeyId=key))["Rotations"]
    return [e["RotationDate"] for e in listed if e["RotationType"] == "ON_DEMAND"]


def current_material(kms: Any, key: str) -> str:
    return ok("DescribeKey", kms.describe_key(KeyId=key))["KeyMetadata"]["CurrentKeyMaterialId"]  # type: ignore[no-any-return]


def assert_in_progress_then_done(kms: Any, fake: KmsRotation, key: dict[str, Any], delay: timedelta) -> None:
    """Start an on-demand rotation now; it shows as in progress until exactly `delay` later."""
    old = current_material(kms, key["KeyId"])
    started = fake.clock.now()
    ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=key["KeyId"]))

    fake.clock.advance(delay - MS)
    assert status(kms, key["KeyId"]) == {"KeyRotationEnabled": False, "KeyId": key["Arn"],
                                         "OnDemandRotationStartDate": started}
    assert on_demand_dates(kms, key["KeyId"]) == []
    assert current_material(kms, key["KeyId"]) == old
    assert fake.key(key["KeyId"]).on_demand_rotation_in_progress

    fake.clock.advance(MS)
    assert status(kms, key["KeyId"]) == {"KeyRotationEnabled": False, "KeyId": key["Arn"]}
    # RotationDate is the completion time, not the request time (spec §10).
    assert on_demand_dates(kms, key["KeyId"]) == [started + delay]
    assert current_material(kms, key["KeyId"]) != old
    assert not fake.key(key["KeyId"]).on_demand_rotation_in_progress


@pytest.mark.kms_rotation(on_demand_delay=120)
def test_delay_in_seconds_holds_the_old_state_until_start_plus_delay(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    assert kms_rotation.config.on_demand_delay == timedelta(seconds=120)
    assert_in_progress_then_done(kms, kms_rotation, symmetric_key, timedelta(seconds=120))


@pytest.mark.kms_rotation(on_demand_delay=timedelta(minutes=7, milliseconds=500))
def test_delay_as_a_timedelta(kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    assert_in_progress_then_done(kms, kms_rotation, symmetric_key, timedelta(minutes=7, milliseconds=500))


def test_default_delay_completes_at_once(kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert "OnDemandRotationStartDate" not in status(kms, symmetric_key["KeyId"])
    assert on_demand_dates(kms, symmetric_key["KeyId"]) == [START]


def test_delay_from_the_ini_option(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkms_rotation_on_demand_delay = 90\n")
    pytester.makepyfile(
        """
        from datetime import timedelta
        import boto3

        def test_ini(kms_rotation):
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            started = kms_rotation.clock.now()
            kms.rotate_key_on_demand(KeyId=key)
            assert kms.get_key_rotation_status(KeyId=key)["OnDemandRotationStartDate"] == started
            kms_rotation.clock.advance(seconds=89)
            assert kms.list_key_rotations(KeyId=key)["Rotations"] == []
            kms_rotation.clock.advance(seconds=1)
            [entry] = kms.list_key_rotations(KeyId=key)["Rotations"]
            assert entry["RotationDate"] == started + timedelta(seconds=90)
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_a_repeat_call_joins_the_rotation_in_progress(kms: Any, kms_rotation: KmsRotation,
                                                      symmetric_key: dict[str, Any]) -> None:
    key = symmetric_key["KeyId"]
    kms.rotate_key_on_demand(KeyId=key)
    kms_rotation.clock.advance(seconds=100)
    ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=key))
    assert status(kms, key)["OnDemandRotationStartDate"] == START
    kms_rotation.clock.advance(days=1)
    assert on_demand_dates(kms, key) == [START + timedelta(seconds=300)]
    assert kms_rotation.key(key).on_demand_rotations_used == 1


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_complete_rotations_finishes_every_rotation_in_progress_now(kms: Any, kms_rotation: KmsRotation) -> None:
    keys = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)]
    for key in keys[:2]:
        kms.rotate_key_on_demand(KeyId=key)
    kms_rotation.clock.advance(seconds=10)
    assert kms_rotation.complete_rotations() == 2
    for key in keys[:2]:
        assert "OnDemandRotationStartDate" not in status(kms, key)
        assert on_demand_dates(kms, key) == [START + timedelta(seconds=10)]
    assert on_demand_dates(kms, keys[2]) == []
    assert kms_rotation.complete_rotations() == 0
    # The planned completion at start + delay finds nothing left to do: no second rotation.
    kms_rotation.clock.advance(days=1)
    for key in keys[:2]:
        assert on_demand_dates(kms, key) == [START + timedelta(seconds=10)]
    assert len(kms_rotation.events.where(name="RotateKey")) == 2


# -- sleeping --------------------------------------------------------------------------------------


def wait_for_rotation(kms: Any, key: str) -> int:
    """What application code does: poll until the rotation is no longer in progress."""
    polls = 0
    while "OnDemandRotationStartDate" in kms.get_key_rotation_status(KeyId=key):
        polls += 1
        time.sleep(5)
    return polls


@pytest.mark.kms_rotation(on_demand_delay=120)
def test_a_polling_loop_with_sleep_finishes_at_once_at_start_plus_delay(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    started = kms_rotation.clock.now()
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert wait_for_rotation(kms, symmetric_key["KeyId"]) == 24  # 24 x 5 s of simulated time
    assert kms_rotation.clock.now() == started + timedelta(seconds=120)
    assert on_demand_dates(kms, symmetric_key["KeyId"]) == [started + timedelta(seconds=120)]


@pytest.mark.kms_rotation(on_demand_delay=120, patch_sleep=False)
def test_without_the_sleep_patch_sleeping_does_not_move_the_clock(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    time.sleep(0.01)  # a real (short) sleep
    assert kms_rotation.clock.now() == START
    assert "OnDemandRotationStartDate" in status(kms, symmetric_key["KeyId"])


@pytest.mark.parametrize("mode", ["legacy", "standard"])
def test_botocore_retry_back_off_moves_the_simulated_clock(kms_rotation: KmsRotation, mode: str,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    kms = boto3.client("kms", region_name="us-east-1", config=BotoConfig(retries={"mode": mode}))
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms_rotation.inject_fault("GetKeyRotationStatus", "KMSInternalException", times=2)
    before = kms_rotation.clock.now()
    with caplog.at_level(logging.DEBUG, logger="botocore.endpoint"):
        response = ok("GetKeyRotationStatus", kms.get_key_rotation_status(KeyId=key))
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    # botocore's own account of the back-off it slept, read from its debug log.
    slept = [float(r.args[0]) for r in caplog.records  # type: ignore[index, arg-type]
             if r.getMessage().startswith("Response received to retry, sleeping for")]
    assert len(slept) == 2 and all(s > 0 for s in slept)
    assert kms_rotation.clock.now() - before == sum((timedelta(seconds=s) for s in slept), timedelta())
    outcomes = [(c.operation, c.ok) for c in kms_rotation.calls if c.operation == "GetKeyRotationStatus"]
    assert outcomes == [("GetKeyRotationStatus", False), ("GetKeyRotationStatus", False),
                        ("GetKeyRotationStatus", True)]
