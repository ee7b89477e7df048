"""RotateKeyOnDemand: effect, cap, conflict window, coalescing and refusals in AWS's order (spec §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pytest_kmsrotate._core.model import CREATING, PENDING_IMPORT, UNAVAILABLE, UPDATING
from pytest_kmsrotate._core.rotation import CONFLICT_MESSAGE
from tests._key_stores import connected_store
from tests._rotation_support import NON_SYMMETRIC, ROOT, expect_error, external_key, key_of, ok, set_fields


def rotations(kms: Any, key: str, **params: Any) -> list[dict[str, Any]]:
    return ok("ListKeyRotations", kms.list_key_rotations(KeyId=key, **params))["Rotations"]  # type: ignore[no-any-return]


def limit_message(arn: str) -> str:
    return ("The on-demand rotations limit has been reached for the given keyId. "
            f"No more on-demand rotations can be performed for this key: {arn}")


def test_returns_arn_and_makes_new_material_current(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    before = symmetric_key["CurrentKeyMaterialId"]
    got = ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"]))
    assert got["KeyId"] == symmetric_key["Arn"]
    entries = rotations(kms, symmetric_key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert [(e["KeyMaterialId"] == before, e["KeyMaterialState"]) for e in entries] == [
        (True, "NON_CURRENT"), (False, "CURRENT")]
    assert (entries[1]["RotationType"], entries[1]["RotationDate"]) == ("ON_DEMAND", kms_rotation.clock.now())
    after = kms.describe_key(KeyId=symmetric_key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert after == entries[1]["KeyMaterialId"]


def test_does_not_move_next_rotation_date(kms: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=730)
    before = kms.get_key_rotation_status(KeyId=symmetric_key["KeyId"])["NextRotationDate"]
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=symmetric_key["KeyId"])["NextRotationDate"] == before


def test_default_cap_is_ten(kms: Any, symmetric_key: Any) -> None:
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    expect_error(kms.rotate_key_on_demand, "LimitExceededException", limit_message(symmetric_key["Arn"]),
                 KeyId=symmetric_key["KeyId"])
    assert len(rotations(kms, symmetric_key["KeyId"])) == 10


@pytest.mark.kms_rotation(on_demand_limit=25)
def test_cap_is_configurable(kms: Any, symmetric_key: Any) -> None:
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    expect_error(kms.rotate_key_on_demand, "LimitExceededException", limit_message(symmetric_key["Arn"]),
                 KeyId=symmetric_key["KeyId"])


@pytest.mark.kms_rotation(on_demand_limit=2)
def test_cap_counts_per_key_over_its_life_not_automatic_rotations(kms: Any, kms_rotation: Any) -> None:
    a, b = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    kms.enable_key_rotation(KeyId=a, RotationPeriodInDays=90)
    kms.rotate_key_on_demand(KeyId=a)
    kms_rotation.clock.advance(days=365)  # four automatic rotations
    kms.rotate_key_on_demand(KeyId=a)
    expect_error(kms.rotate_key_on_demand, "LimitExceededException", limit_message(a), KeyId=a)
    kms.rotate_key_on_demand(KeyId=b)


@pytest.mark.kms_rotation(on_demand_limit=2, on_demand_delay=60)
def test_repeat_call_while_in_progress_coalesces_and_uses_no_quota(kms: Any, kms_rotation: Any,
                                                                   symmetric_key: Any) -> None:
    for _ in range(5):
        ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"]))
    # Still the old state while in progress (spec §10).
    assert rotations(kms, symmetric_key["KeyId"]) == []
    kms_rotation.clock.advance(seconds=60)
    entries = rotations(kms, symmetric_key["KeyId"])
    assert [e["RotationDate"] for e in entries] == [kms_rotation.clock.now()]
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])  # the second counted rotation
    kms_rotation.clock.advance(seconds=60)
    expect_error(kms.rotate_key_on_demand, "LimitExceededException", limit_message(symmetric_key["Arn"]),
                 KeyId=symmetric_key["KeyId"])


@pytest.mark.kms_rotation(on_demand_delay=100)
def test_in_progress_rotation_completes_even_if_key_disabled(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    kms.disable_key(KeyId=symmetric_key["KeyId"])
    kms_rotation.clock.advance(seconds=100)
    assert [e["RotationType"] for e in rotations(kms, symmetric_key["KeyId"])] == ["ON_DEMAND"]


@pytest.mark.parametrize(("minutes", "conflict"), [(19, True), (20, True), (21, False)])
def test_conflict_within_20_minutes_of_automatic_rotation(kms: Any, kms_rotation: Any, symmetric_key: Any,
                                                          minutes: int, conflict: bool) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=90)
    kms_rotation.clock.advance(timedelta(days=90) - timedelta(minutes=minutes))
    if conflict:
        expect_error(kms.rotate_key_on_demand, "ConflictException", CONFLICT_MESSAGE, KeyId=symmetric_key["KeyId"])
    else:
        ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"]))


@pytest.mark.kms_rotation(on_demand_limit=0)
def test_conflict_checked_before_cap(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=90)
    kms_rotation.clock.advance(timedelta(days=90) - timedelta(minutes=5))
    expect_error(kms.rotate_key_on_demand, "ConflictException", CONFLICT_MESSAGE, KeyId=symmetric_key["KeyId"])


@pytest.mark.parametrize("alias", ["alias/mine", "arn:aws:kms:us-east-1:111122223333:alias/mine", "alias/nope"])
def test_alias_refused(kms: Any, symmetric_key: Any, alias: str) -> None:
    kms.create_alias(AliasName="alias/mine", TargetKeyId=symmetric_key["KeyId"])
    expect_error(kms.rotate_key_on_demand, "InvalidArnException",
                 "Key Aliases are not supported for this operation.", KeyId=alias)


def test_unknown_key(kms: Any) -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/0b0b0b0b-1111-4222-8333-444444444444"
    expect_error(kms.rotate_key_on_demand, "NotFoundException", f"Key '{arn}' does not exist", KeyId=arn)


@pytest.mark.parametrize(("spec", "usage"), [("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"), *NON_SYMMETRIC])
def test_disabled_checked_before_key_spec(kms: Any, spec: str, usage: str) -> None:
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    kms.disable_key(KeyId=arn)
    expect_error(kms.rotate_key_on_demand, "DisabledException", f"{arn} is disabled.", KeyId=arn)


@pytest.mark.parametrize(("spec", "usage"), NON_SYMMETRIC)
def test_non_symmetric_sends_no_message(kms: Any, spec: str, usage: str) -> None:
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    expect_error(kms.rotate_key_on_demand, "UnsupportedOperationException", None, KeyId=arn)


def test_pending_deletion(kms: Any, symmetric_key: Any) -> None:
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=7)
    expect_error(kms.rotate_key_on_demand, "KMSInvalidStateException", f"{symmetric_key['Arn']} is pending deletion.",
                 KeyId=symmetric_key["KeyId"])


def test_external_pending_import_checked_before_pending_material(kms: Any, kms_rotation: Any) -> None:
    arn = external_key(kms, kms_rotation, imported=False)
    expect_error(kms.rotate_key_on_demand, "KMSInvalidStateException", f"{arn} is pending import.", KeyId=arn)
    arn = external_key(kms, kms_rotation, imported=True, pending=True)
    set_fields(kms_rotation, arn, key_state=PENDING_IMPORT)
    expect_error(kms.rotate_key_on_demand, "KMSInvalidStateException", f"{arn} is pending import.", KeyId=arn)


def test_external_without_pending_material(kms: Any, kms_rotation: Any) -> None:
    arn = external_key(kms, kms_rotation, imported=True)
    expect_error(kms.rotate_key_on_demand, "KMSInvalidStateException",
                 f"No available key material pending rotation for the key: {arn}.", KeyId=arn)


def test_external_promotes_pending_material(kms: Any, kms_rotation: Any) -> None:
    arn = external_key(kms, kms_rotation, imported=True, pending=True)
    pending_id = key_of(kms_rotation, arn).lineage.materials[1].material_id
    ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=arn))
    entries = rotations(kms, arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    assert [(e["KeyMaterialState"], e.get("RotationType")) for e in entries] == [
        ("NON_CURRENT", None), ("CURRENT", "ON_DEMAND")]
    assert entries[1]["KeyMaterialId"] == pending_id
    assert entries[1]["ImportState"] == "IMPORTED" and entries[1]["KeyMaterialDescription"] == "next"
    expect_error(kms.rotate_key_on_demand, "KMSInvalidStateException",
                 f"No available key material pending rotation for the key: {arn}.", KeyId=arn)


def test_aws_managed_key_is_access_denied(kms: Any) -> None:
    arn = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    expect_error(kms.rotate_key_on_demand, "AccessDeniedException",
                 f"User: {ROOT} is not authorized to perform: kms:RotateKeyOnDemand on resource: {arn} "
                 "because no resource-based policy allows the kms:RotateKeyOnDemand action", KeyId=arn)


@pytest.mark.parametrize("state", [None, UNAVAILABLE])
def test_custom_key_store_key_is_unsupported(kms: Any, kms_rotation: Any, state: str | None) -> None:
    arn = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=connected_store(kms))["KeyMetadata"]["Arn"]
    if state:
        set_fields(kms_rotation, arn, key_state=state)
    expect_error(kms.rotate_key_on_demand, "UnsupportedOperationException",
                 f"{arn} origin is AWS_CLOUDHSM which is not valid for this operation.", KeyId=arn)


def test_creating_and_updating_states(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    set_fields(kms_rotation, symmetric_key["Arn"], key_state=CREATING)
    expect_error(kms.rotate_key_on_demand, "KMSInvalidStateException", f"{symmetric_key['Arn']} is creating.",
                 KeyId=symmetric_key["Arn"])
    set_fields(kms_rotation, symmetric_key["Arn"], key_state=UPDATING)
    ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=symmetric_key["Arn"]))
