"""Automatic rotation as the simulated clock passes NextRotationDate (spec §3, §12; issue 4).

Every rotation lands at its scheduled instant, whichever way time moved and whichever view
of the key looks first; disabled and pending-deletion keys wait; deletion completes on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from pytest_kmsrotate import KmsRotation
from tests._rotation_support import expect_error, ok
from tests.test_import_material import import_material

MS = timedelta(milliseconds=1)
START = datetime(2024, 1, 1, tzinfo=timezone.utc)


def rotations(kms: Any, key: str, **params: Any) -> list[tuple[datetime, str, str]]:
    listed = ok("ListKeyRotations", kms.list_key_rotations(KeyId=key, **params))["Rotations"]
    return [(e["RotationDate"], e["RotationType"], e["KeyMaterialId"]) for e in listed]


def dates(kms: Any, key: str) -> list[tuple[datetime, str]]:
    return [(when, kind) for when, kind, _ in rotations(kms, key)]


def status(kms: Any, key: str) -> dict[str, Any]:
    got = ok("GetKeyRotationStatus", kms.get_key_rotation_status(KeyId=key))
    del got["ResponseMetadata"]
    return got


def current_material(kms: Any, key: str) -> str:
    return ok("DescribeKey", kms.describe_key(KeyId=key))["KeyMetadata"]["CurrentKeyMaterialId"]  # type: ignore[no-any-return]


def not_found(arn: str) -> str:
    return f"Key '{arn}' does not exist"


# -- the exact instant ---------------------------------------------------------------------------


def test_rotation_happens_at_the_scheduled_instant_not_a_millisecond_before(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    key = symmetric_key["KeyId"]
    ok("EnableKeyRotation", kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90))
    first = current_material(kms, key)
    due = START + timedelta(days=90)
    assert status(kms, key)["NextRotationDate"] == due

    kms_rotation.clock.move_to(due - MS)
    assert dates(kms, key) == []
    assert current_material(kms, key) == first

    kms_rotation.clock.advance(MS)
    [(when, kind, material)] = rotations(kms, key)
    assert (when, kind) == (due, "AUTOMATIC")
    assert material != first
    assert current_material(kms, key) == material
    assert status(kms, key) == {"KeyRotationEnabled": True, "KeyId": symmetric_key["Arn"],
                                "RotationPeriodInDays": 90, "NextRotationDate": due + timedelta(days=90)}
    states = {e["KeyMaterialId"]: e["KeyMaterialState"] for e in kms.list_key_rotations(
        KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]}
    assert states == {first: "NON_CURRENT", material: "CURRENT"}


def _advance(fake: KmsRotation, days: int) -> None:
    fake.clock.advance(days=days)


def _move_to(fake: KmsRotation, days: int) -> None:
    fake.clock.move_to(fake.clock.now() + timedelta(days=days))


def _sleep(fake: KmsRotation, days: int) -> None:
    time.sleep(days * 86400)  # the test's thread: advances the simulated clock, returns at once


@pytest.mark.parametrize("move", [_advance, _move_to, _sleep], ids=["advance", "move_to", "time.sleep"])
def test_one_jump_across_several_periods_rotates_once_per_period_each_at_its_own_date(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any],
        move: Callable[[KmsRotation, int], None]) -> None:
    key = symmetric_key["KeyId"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    move(kms_rotation, 365)
    got = rotations(kms, key)
    assert [(when, kind) for when, kind, _ in got] == [
        (START + timedelta(days=90 * n), "AUTOMATIC") for n in (1, 2, 3, 4)]
    assert len({material for _, _, material in got}) == 4
    assert current_material(kms, key) == got[-1][2]
    assert status(kms, key)["NextRotationDate"] == START + timedelta(days=450)


def _seen_by_list(kms: Any, fake: KmsRotation, key: dict[str, Any]) -> Any:
    return [when for when, _ in dates(kms, key["KeyId"])]


def _seen_by_describe(kms: Any, fake: KmsRotation, key: dict[str, Any]) -> Any:
    return current_material(kms, key["KeyId"])


def _seen_by_status(kms: Any, fake: KmsRotation, key: dict[str, Any]) -> Any:
    return status(kms, key["KeyId"])["NextRotationDate"]


def _seen_by_handle(kms: Any, fake: KmsRotation, key: dict[str, Any]) -> Any:
    handle = fake.key(key["KeyId"])
    return [r.date for r in handle.rotations], handle.current_material_id, handle.next_rotation_date


@pytest.mark.parametrize("observe", [_seen_by_list, _seen_by_describe, _seen_by_status, _seen_by_handle],
                         ids=["ListKeyRotations", "DescribeKey", "GetKeyRotationStatus", "KeyHandle"])
def test_whichever_view_looks_first_sees_every_due_rotation(
        kms: Any, kms_rotation: KmsRotation, observe: Callable[[Any, KmsRotation, dict[str, Any]], Any]) -> None:
    # Two identical keys: one is looked at first through `observe`, the other only afterwards.
    first, second = (kms.create_key()["KeyMetadata"] for _ in range(2))
    for key in (first, second):
        kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=100)
    kms_rotation.clock.advance(days=250)
    seen_first = observe(kms, kms_rotation, first)
    handle = kms_rotation.key(first["KeyId"])
    assert [r.date for r in handle.rotations] == [START + timedelta(days=100), START + timedelta(days=200)]
    assert [r.type for r in handle.rotations] == ["AUTOMATIC", "AUTOMATIC"]
    assert handle.current_material_id == handle.rotations[-1].material_id
    assert handle.next_rotation_date == START + timedelta(days=300)
    # The other key, untouched until now, reads the same: nothing depended on who looked first.
    assert [r.date for r in kms_rotation.key(second["KeyId"]).rotations] == [r.date for r in handle.rotations]
    assert seen_first == observe(kms, kms_rotation, first)


# -- on-demand rotations never move the schedule (the seed example) -------------------------------


@pytest.mark.kms_rotation(start="2022-04-15T00:00:00Z")
def test_seed_example_on_demand_on_april_10_keeps_the_april_14_rotation_and_every_730_days(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    # "a rotation period of 730 days ... scheduled to automatically rotate on April 14, 2024, and you
    # perform an on-demand rotation on April 10, 2024, the key will automatically rotate, as
    # scheduled, on April 14, 2024 and every 730 days thereafter" (RotateKeyOnDemand, API reference).
    key = symmetric_key["KeyId"]
    april_14 = datetime(2024, 4, 14, tzinfo=timezone.utc)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=730)
    assert status(kms, key)["NextRotationDate"] == april_14

    kms_rotation.clock.move_to(datetime(2024, 4, 10, tzinfo=timezone.utc))
    ok("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=key))
    assert status(kms, key)["NextRotationDate"] == april_14

    kms_rotation.clock.move_to(april_14 + timedelta(days=730 * 3))
    assert dates(kms, key) == [
        (datetime(2024, 4, 10, tzinfo=timezone.utc), "ON_DEMAND"),
        (april_14, "AUTOMATIC"),
        (april_14 + timedelta(days=730), "AUTOMATIC"),
        (april_14 + timedelta(days=1460), "AUTOMATIC"),
        (april_14 + timedelta(days=2190), "AUTOMATIC"),
    ]
    assert status(kms, key)["NextRotationDate"] == april_14 + timedelta(days=2920)


# -- key state: Disabled, PendingDeletion, deleted -----------------------------------------------


def test_disabled_key_misses_its_date_then_enable_key_rotates_at_once_and_restarts_the_schedule(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    key = symmetric_key["KeyId"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    ok("DisableKey", kms.disable_key(KeyId=key))
    kms_rotation.clock.advance(days=200)
    assert dates(kms, key) == []
    # Rotation status is untouched while disabled (spec §3 rule 6, OBS).
    assert status(kms, key)["NextRotationDate"] == START + timedelta(days=90)

    ok("EnableKey", kms.enable_key(KeyId=key))
    enabled_at = START + timedelta(days=200)
    assert dates(kms, key) == [(enabled_at, "AUTOMATIC")]
    assert status(kms, key)["NextRotationDate"] == enabled_at + timedelta(days=90)
    kms_rotation.clock.advance(days=180)
    assert dates(kms, key) == [(enabled_at + timedelta(days=90 * n), "AUTOMATIC") for n in (0, 1, 2)]


def test_enable_key_before_the_date_keeps_the_schedule(kms: Any, kms_rotation: KmsRotation,
                                                       symmetric_key: dict[str, Any]) -> None:
    key = symmetric_key["KeyId"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    kms.disable_key(KeyId=key)
    kms_rotation.clock.advance(days=30)
    kms.enable_key(KeyId=key)
    assert dates(kms, key) == []
    assert status(kms, key)["NextRotationDate"] == START + timedelta(days=90)
    kms_rotation.clock.advance(days=60)
    assert dates(kms, key) == [(START + timedelta(days=90), "AUTOMATIC")]


def test_pending_deletion_pauses_rotation_and_cancel_key_deletion_restores_it(
        kms: Any, kms_rotation: KmsRotation, symmetric_key: dict[str, Any]) -> None:
    key, arn = symmetric_key["KeyId"], symmetric_key["Arn"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    before = status(kms, key)
    kms_rotation.clock.advance(days=80)
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=30)
    assert status(kms, key) == {"KeyRotationEnabled": False, "KeyId": arn}
    kms_rotation.clock.advance(days=20)  # past the rotation date, inside the deletion window
    assert dates(kms, key) == []

    ok("CancelKeyDeletion", kms.cancel_key_deletion(KeyId=key))
    assert status(kms, key) == before
    assert kms_rotation.key(key).state == "Disabled"
    assert dates(kms, key) == []
    kms.enable_key(KeyId=key)
    assert dates(kms, key) == [(START + timedelta(days=100), "AUTOMATIC")]


def test_deletion_completes_at_deletion_date_and_takes_the_alias(kms: Any, kms_rotation: KmsRotation,
                                                                  symmetric_key: dict[str, Any]) -> None:
    key, arn = symmetric_key["KeyId"], symmetric_key["Arn"]
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=key)
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    deletion = ok("ScheduleKeyDeletion", kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7))
    assert deletion["DeletionDate"] == START + timedelta(days=7)
    handle = kms_rotation.key(key)

    kms_rotation.clock.move_to(START + timedelta(days=7) - MS)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert handle.exists

    kms_rotation.clock.advance(MS)
    assert not handle.exists
    expect_error(kms.describe_key, "NotFoundException", not_found(arn), KeyId=key)
    expect_error(kms.describe_key, "NotFoundException", "Alias arn:aws:kms:us-east-1:111122223333:alias/doomed "
                 "is not found.", KeyId="alias/doomed")
    expect_error(kms.get_key_rotation_status, "NotFoundException", not_found(arn), KeyId=key)
    assert "alias/doomed" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert key not in [k["KeyId"] for k in kms.list_keys()["Keys"]]
    # A deleted key never rotates: nothing is left to run when its dates pass.
    kms_rotation.clock.advance(days=400)
    assert [e for e in kms_rotation.events.where(name="RotateKey")] == []


# -- AWS managed keys ------------------------------------------------------------------------------


def test_aws_managed_keys_rotate_every_year(kms: Any, kms_rotation: KmsRotation) -> None:
    managed = ok("DescribeKey", kms.describe_key(KeyId="alias/aws/s3"))["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    kms_rotation.clock.advance(days=365 * 3)
    assert dates(kms, managed["KeyId"]) == [(START + timedelta(days=365 * n), "AUTOMATIC") for n in (1, 2, 3)]
    # What GetKeyRotationStatus reports stays the observed `false` (spec §3 rule 9).
    assert status(kms, managed["KeyId"]) == {"KeyRotationEnabled": False, "KeyId": managed["Arn"]}


# -- multi-Region ----------------------------------------------------------------------------------


def test_automatic_rotations_of_a_primary_reach_its_replicas(kms: Any, kms_rotation: KmsRotation) -> None:
    west = boto3.client("kms", region_name="us-west-2")
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    kms.enable_key_rotation(KeyId=primary["KeyId"], RotationPeriodInDays=90)
    kms_rotation.clock.advance(days=200)
    here = rotations(kms, primary["KeyId"])
    there = rotations(west, primary["KeyId"])
    assert [(when, kind) for when, kind, _ in here] == [(START + timedelta(days=90), "AUTOMATIC"),
                                                        (START + timedelta(days=180), "AUTOMATIC")]
    assert there == here
    assert current_material(west, primary["KeyId"]) == current_material(kms, primary["KeyId"]) == here[-1][2]
    assert status(west, primary["KeyId"])["NextRotationDate"] == START + timedelta(days=270)
    # One rotation of the family, logged once, for the primary.
    assert len(kms_rotation.events.where(name="RotateKey")) == 2


def test_rotation_survives_the_deletion_of_the_former_primary(kms: Any, kms_rotation: KmsRotation) -> None:
    west = boto3.client("kms", region_name="us-west-2")
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    kms.enable_key_rotation(KeyId=primary["KeyId"], RotationPeriodInDays=90)
    kms.update_primary_region(KeyId=primary["KeyId"], PrimaryRegion="us-west-2")
    kms.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=7)  # now a replica
    kms_rotation.clock.advance(days=100)
    expect_error(kms.describe_key, "NotFoundException", not_found(primary["Arn"]), KeyId=primary["KeyId"])
    assert dates(west, primary["KeyId"]) == [(START + timedelta(days=90), "AUTOMATIC")]


# -- imported material expiry ----------------------------------------------------------------------


def test_imported_material_expires_as_the_clock_passes_valid_to(kms: Any, kms_rotation: KmsRotation) -> None:
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
    valid_to = START + timedelta(days=10)
    import_material(kms, key, bytes(range(32)), ExpirationModel="KEY_MATERIAL_EXPIRES", ValidTo=valid_to)
    assert kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"

    kms_rotation.clock.move_to(valid_to - MS)
    assert kms_rotation.key(key).state == "Enabled"
    kms_rotation.clock.advance(MS)
    assert kms_rotation.key(key).state == "PendingImport"
    metadata = kms.describe_key(KeyId=key)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingImport"
    [entry] = kms.list_key_rotations(KeyId=key, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert entry["ImportState"] == "PENDING_IMPORT"
