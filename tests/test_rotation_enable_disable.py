"""EnableKeyRotation / DisableKeyRotation: schedule rules (spec §2, §3) and refusals (§7, §8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.model import CREATING, UNAVAILABLE, UPDATING
from tests._key_stores import connected_store
from tests._rotation_support import NON_SYMMETRIC, ROOT, expect_error, external_key, ok, set_fields
from tests.conftest import error_of


def status(kms: Any, key: str) -> dict[str, Any]:
    return ok("GetKeyRotationStatus", kms.get_key_rotation_status(KeyId=key))


def test_enable_defaults_to_365_days_from_now(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    ok("EnableKeyRotation", kms.enable_key_rotation(KeyId=symmetric_key["KeyId"]))
    got = status(kms, symmetric_key["KeyId"])
    assert got["RotationPeriodInDays"] == 365
    assert got["NextRotationDate"] == kms_rotation.clock.now() + timedelta(days=365)


@pytest.mark.parametrize("period", [90, 180, 2560])
def test_enable_with_period_sets_next_from_now(kms: Any, kms_rotation: Any, symmetric_key: Any, period: int) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["Arn"], RotationPeriodInDays=period)
    got = status(kms, symmetric_key["Arn"])
    assert (got["KeyRotationEnabled"], got["RotationPeriodInDays"]) == (True, period)
    assert got["NextRotationDate"] == kms_rotation.clock.now() + timedelta(days=period)


def test_different_period_restarts_schedule_from_this_call(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=90)
    kms_rotation.clock.advance(days=10)
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=2560)
    got = status(kms, symmetric_key["KeyId"])
    assert got["RotationPeriodInDays"] == 2560
    assert got["NextRotationDate"] == kms_rotation.clock.now() + timedelta(days=2560)


@pytest.mark.parametrize("again", [{}, {"RotationPeriodInDays": 2560}])
def test_same_or_omitted_period_changes_nothing(kms: Any, kms_rotation: Any, symmetric_key: Any,
                                                again: dict[str, int]) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=2560)
    before = status(kms, symmetric_key["KeyId"])
    kms_rotation.clock.advance(days=3)
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], **again)
    after = status(kms, symmetric_key["KeyId"])
    assert (after["RotationPeriodInDays"], after["NextRotationDate"]) == (2560, before["NextRotationDate"])


def test_disable_forgets_custom_period(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=90)
    ok("DisableKeyRotation", kms.disable_key_rotation(KeyId=symmetric_key["KeyId"]))
    got = status(kms, symmetric_key["KeyId"])
    del got["ResponseMetadata"]
    assert got == {"KeyRotationEnabled": False, "KeyId": symmetric_key["Arn"]}
    kms_rotation.clock.advance(days=1)
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"])
    got = status(kms, symmetric_key["KeyId"])
    assert got["RotationPeriodInDays"] == 365
    assert got["NextRotationDate"] == kms_rotation.clock.now() + timedelta(days=365)


def test_period_above_2560_is_refused_by_server_validation(kms: Any, symmetric_key: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=2561)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: "
        "Member must have value less than or equal to 2560",
    )


@pytest.mark.parametrize("op", ["enable_key_rotation", "disable_key_rotation"])
@pytest.mark.parametrize("alias", ["alias/mine", "arn:aws:kms:us-east-1:111122223333:alias/mine",
                                   "alias/does-not-exist", "arn:aws:kms:eu-west-1:111122223333:alias/x"])
def test_aliases_refused_before_lookup(kms: Any, symmetric_key: Any, op: str, alias: str) -> None:
    kms.create_alias(AliasName="alias/mine", TargetKeyId=symmetric_key["KeyId"])
    expect_error(getattr(kms, op), "InvalidArnException", "Key Aliases are not supported for this operation.",
                 KeyId=alias)


@pytest.mark.parametrize("op", ["enable_key_rotation", "disable_key_rotation"])
def test_unknown_key(kms: Any, kms_rotation: Any, op: str) -> None:
    kid = "0b0b0b0b-1111-4222-8333-444444444444"
    expect_error(getattr(kms, op), "NotFoundException",
                 f"Key 'arn:aws:kms:us-east-1:111122223333:key/{kid}' does not exist", KeyId=kid)


@pytest.mark.parametrize(("op", "name"), [("enable_key_rotation", "EnableKeyRotation"),
                                          ("disable_key_rotation", "DisableKeyRotation")])
def test_disabled_key(kms: Any, symmetric_key: Any, op: str, name: str) -> None:
    kms.disable_key(KeyId=symmetric_key["KeyId"])
    expect_error(getattr(kms, op), "DisabledException", f"{symmetric_key['Arn']} is disabled.",
                 KeyId=symmetric_key["KeyId"])


@pytest.mark.parametrize(("spec", "usage"), NON_SYMMETRIC)
def test_disabled_checked_before_key_spec(kms: Any, spec: str, usage: str) -> None:
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=arn)
    expect_error(kms.enable_key_rotation, "DisabledException", f"{arn} is disabled.", KeyId=arn)


@pytest.mark.parametrize("op", ["enable_key_rotation", "disable_key_rotation"])
def test_pending_deletion(kms: Any, symmetric_key: Any, op: str) -> None:
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=7)
    expect_error(getattr(kms, op), "KMSInvalidStateException", f"{symmetric_key['Arn']} is pending deletion.",
                 KeyId=symmetric_key["KeyId"])


@pytest.mark.parametrize(("spec", "usage"), NON_SYMMETRIC)
def test_enable_on_non_symmetric_key_sends_no_message(kms: Any, spec: str, usage: str) -> None:
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    expect_error(kms.enable_key_rotation, "UnsupportedOperationException", None, KeyId=arn)


@pytest.mark.parametrize(("spec", "usage"), NON_SYMMETRIC)
def test_disable_on_non_symmetric_key_is_a_no_op(kms: Any, spec: str, usage: str) -> None:
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    ok("DisableKeyRotation", kms.disable_key_rotation(KeyId=arn))
    assert status(kms, arn)["KeyRotationEnabled"] is False


@pytest.mark.parametrize("op", ["enable_key_rotation", "disable_key_rotation"])
@pytest.mark.parametrize("imported", [True, False], ids=["imported", "pending-import"])
def test_external_origin_checked_before_pending_import(kms: Any, kms_rotation: Any, op: str, imported: bool) -> None:
    arn = external_key(kms, kms_rotation, imported=imported)
    expect_error(getattr(kms, op), "UnsupportedOperationException",
                 f"{arn} origin is EXTERNAL which is not valid for this operation.", KeyId=arn)


@pytest.mark.parametrize(("op", "name"), [("enable_key_rotation", "EnableKeyRotation"),
                                          ("disable_key_rotation", "DisableKeyRotation")])
def test_aws_managed_key_is_access_denied(kms: Any, op: str, name: str) -> None:
    arn = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    expect_error(getattr(kms, op), "AccessDeniedException",
                 f"User: {ROOT} is not authorized to perform: kms:{name} on resource: {arn} "
                 f"because no resource-based policy allows the kms:{name} action", KeyId=arn)


@pytest.mark.parametrize("op", ["enable_key_rotation", "disable_key_rotation"])
def test_custom_key_store_key_is_unsupported(kms: Any, kms_rotation: Any, op: str) -> None:
    arn = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=connected_store(kms))["KeyMetadata"]["Arn"]
    message = f"{arn} origin is AWS_CLOUDHSM which is not valid for this operation."
    expect_error(getattr(kms, op), "UnsupportedOperationException", message, KeyId=arn)
    set_fields(kms_rotation, arn, key_state=UNAVAILABLE)  # a disconnected store
    expect_error(getattr(kms, op), "UnsupportedOperationException", message, KeyId=arn)


def test_creating_state_is_invalid(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    set_fields(kms_rotation, symmetric_key["Arn"], key_state=CREATING)
    expect_error(kms.enable_key_rotation, "KMSInvalidStateException", f"{symmetric_key['Arn']} is creating.",
                 KeyId=symmetric_key["Arn"])


def test_updating_state_allows_rotation_settings(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    set_fields(kms_rotation, symmetric_key["Arn"], key_state=UPDATING)
    ok("EnableKeyRotation", kms.enable_key_rotation(KeyId=symmetric_key["Arn"]))
    ok("DisableKeyRotation", kms.disable_key_rotation(KeyId=symmetric_key["Arn"]))
