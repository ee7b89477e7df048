"""Bad input to the plugin's own API gets a clear error naming what is wrong, never a traceback
from inside the plugin, and changes nothing."""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from pytest_kmsrotate import ClockError, SeedingError
from pytest_kmsrotate._core.clock import LATEST
from pytest_kmsrotate._pytest_plugin.settings import SettingsError, resolve

UTC = timezone.utc
FILE_NAME = os.fsdecode(b"report-\xff.csv")
LATEST_TEXT = "9989-12-23T23:59:59.999999+00:00"
WHY = "the fake dates work up to 3660 days ahead (rotation periods, deletion windows) and datetime ends at year 9999"


@pytest.mark.parametrize(("ref", "shown"), [(None, "NoneType (None)"), (123, "int (123)"), (b"k", "bytes (b'k')")])
def test_key_takes_a_reference_or_a_handle(kms_rotation: Any, ref: Any, shown: str) -> None:
    with pytest.raises(TypeError) as excinfo:
        kms_rotation.key(ref)
    assert str(excinfo.value) == f"key() takes a key ID, key ARN, alias name, alias ARN or KeyHandle, not {shown}"


@pytest.mark.parametrize("status", ["500", 200, 302, 600, True, 500.0])
def test_inject_fault_takes_an_http_error_status(kms_rotation: Any, status: Any) -> None:
    with pytest.raises(ValueError) as excinfo:
        kms_rotation.inject_fault("ListKeys", "KMSInternalException", status=status)
    assert str(excinfo.value) == (
        "inject_fault: status must be an HTTP error status, a whole number from 400 to 599 "
        f"(None: AWS's own, 500 for KMSInternalException), got {status!r}"
    )
    assert list(kms_rotation.engine.faults) == []


def test_inject_fault_with_a_valid_status_sends_it(kms_rotation: Any) -> None:
    kms_rotation.inject_fault("ListKeys", "KMSInternalException", status=503, times=None)
    client = boto3.client("kms", region_name="us-east-1", config=boto3.session.Config(retries={"max_attempts": 1}))
    with pytest.raises(client.exceptions.KMSInternalException) as excinfo:
        client.list_keys()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


@pytest.mark.parametrize(("value", "message"), [
    (float("nan"), "must be a finite number of seconds, got nan"),
    (float("inf"), "must be a finite number of seconds, got inf"),
    ("nan", "must be a finite number of seconds, got 'nan'"),
    (1e300, "must be at most 3660 days (316224000 seconds), got 1e+300"),
    (timedelta(days=4000), "must be at most 3660 days (316224000 seconds), got datetime.timedelta(days=4000)"),
])
def test_on_demand_delay_names_the_setting(value: Any, message: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        resolve({}, {"on_demand_delay": value})
    assert str(excinfo.value) == f"kms_rotation(on_demand_delay=...) {message}"
    with pytest.raises(SettingsError) as excinfo:
        resolve({"on_demand_delay": str(value)}, {})
    assert str(excinfo.value).startswith("kms_rotation_on_demand_delay must be")


def test_a_start_the_schedule_cannot_plan_from_is_refused() -> None:
    with pytest.raises(SettingsError) as excinfo:
        resolve({}, {"start": "9999-12-01T00:00:00Z"})
    assert str(excinfo.value) == (
        f"kms_rotation(start=...) must be at or before {LATEST_TEXT} (the fake dates work up to 3660 days ahead "
        "of its clock), got '9999-12-01T00:00:00Z'"
    )


@pytest.mark.parametrize(("region", "works"), [
    ("xx", False), ("us east", False), ("us-east", False), ("moon-base-1", False),
    ("us-east-1", True), ("cn-north-1", True), ("us-gov-west-1", True), ("ap-southeast-7", True),
])
def test_regions_must_have_the_shape_of_an_aws_region(kms_rotation: Any, region: str, works: bool) -> None:
    if works:
        assert kms_rotation.create_key(region=region).region == region
        assert resolve({}, {"region": region})["region"] == region
        return
    with pytest.raises(SeedingError) as excinfo:
        kms_rotation.create_key(region=region)
    assert str(excinfo.value) == f"create_key: region must be an AWS region name such as 'us-east-1', got {region!r}"
    with pytest.raises(SettingsError) as settings_error:
        resolve({}, {"region": region})
    assert str(settings_error.value) == (
        f"kms_rotation(region=...) must be an AWS region name such as us-east-1, got {region!r}")
    with pytest.raises(SeedingError) as excinfo:
        kms_rotation.create_key(multi_region=True, replica_regions=[region])
    assert str(excinfo.value) == (
        f"create_key: replica_regions must be a list of AWS region names such as ['eu-west-1'], got [{region!r}]")
    assert kms_rotation.keys == []


@pytest.mark.parametrize(("policy", "message"), [
    ({"Statement": object()}, "Object of type object is not JSON serializable"),
    ({"Version": math.nan}, "Out of range float values are not JSON compliant"),
    ({1j: "x"}, "keys must be str, int, float, bool or None, not complex"),
])
def test_a_policy_mapping_must_hold_json_values(kms_rotation: Any, policy: Any, message: str) -> None:
    with pytest.raises(SeedingError) as excinfo:
        kms_rotation.create_key(policy=policy)
    assert str(excinfo.value) == (
        "create_key: policy must be a JSON string or a mapping of JSON values "
        f"(str, int, float, bool, None, list, dict): {message}"
    )


@pytest.mark.parametrize(("fields", "name"), [
    ({"description": FILE_NAME}, "description"),
    ({"alias": "alias/" + FILE_NAME}, "alias"),
    ({"tags": {"file": FILE_NAME}}, "tag 'file'"),
    ({"tags": {FILE_NAME: "v"}}, "a tag key"),
    ({"policy": FILE_NAME}, "policy"),
])
def test_a_lone_surrogate_in_a_seeded_string_is_refused(kms_rotation: Any, fields: dict[str, Any], name: str) -> None:
    with pytest.raises(SeedingError) as excinfo:
        kms_rotation.create_key(**fields)
    value = next(iter(fields.values()))
    bad = value if isinstance(value, str) else FILE_NAME
    assert str(excinfo.value) == (
        f"create_key: {name} must be Unicode text, but {bad!r} holds a lone surrogate "
        "(AWS refuses it: SerializationException)")
    assert kms_rotation.keys == []


# -- the clock -------------------------------------------------------------------------------


def _rotating(kms_rotation: Any) -> Any:
    return kms_rotation.create_key(rotation_period_in_days=2560)


def test_move_to_past_the_latest_plannable_time_is_refused_before_anything_changes(kms_rotation: Any) -> None:
    key = _rotating(kms_rotation)
    now, due = kms_rotation.clock.now(), key.next_rotation_date
    with pytest.raises(ClockError) as excinfo:
        kms_rotation.clock.move_to(datetime(9999, 12, 1, tzinfo=UTC))
    assert str(excinfo.value) == (
        f"move_to() target 9999-12-01T00:00:00+00:00 is past the latest simulated time, {LATEST_TEXT}: {WHY}")
    assert (kms_rotation.clock.now(), key.next_rotation_date, key.rotations) == (now, due, [])


def test_advance_past_the_latest_plannable_time_is_refused_before_anything_changes(kms_rotation: Any) -> None:
    key = _rotating(kms_rotation)
    now, due = kms_rotation.clock.now(), key.next_rotation_date
    with pytest.raises(ClockError) as excinfo:
        kms_rotation.clock.advance(days=3_650_000)
    assert str(excinfo.value) == (
        f"advance(3650000 days, 0:00:00) from 2024-01-01T00:00:00+00:00 would pass the latest simulated time, "
        f"{LATEST_TEXT}: {WHY}; the clock did not move")
    assert (kms_rotation.clock.now(), key.next_rotation_date, key.rotations) == (now, due, [])


def test_the_latest_plannable_time_itself_still_plans_the_next_rotation(kms_rotation: Any) -> None:
    key = _rotating(kms_rotation)
    kms_rotation.clock.move_to(LATEST)
    assert len(key.rotations) == (LATEST - datetime(2024, 1, 1, tzinfo=UTC)).days // 2560
    assert key.next_rotation_date > kms_rotation.clock.now()


@pytest.mark.parametrize(("amount", "error", "message"), [
    ({"days": True}, TypeError, "advance() takes days as a number, not bool (True)"),
    ({"hours": "3"}, TypeError, "advance() takes hours as a number, not str ('3')"),
    ({"minutes": None}, TypeError, "advance() takes minutes as a number, not NoneType (None)"),
    ({"days": math.nan}, ClockError, "advance() takes a finite number of days, got nan"),
    ({"seconds": math.inf}, ClockError, "advance() takes a finite number of seconds, got inf"),
    ({"seconds": 1e300}, ClockError,
     "advance(seconds=1e+300) is a step too large for any date; the clock did not move"),
])
def test_advance_takes_finite_numbers(kms_rotation: Any, amount: dict[str, Any], error: type, message: str) -> None:
    now = kms_rotation.clock.now()
    with pytest.raises(error) as excinfo:
        kms_rotation.clock.advance(**amount)
    assert str(excinfo.value) == message
    assert kms_rotation.clock.now() == now
