"""The schedule the engine runs before every call: automatic and delayed on-demand rotations (§3, §4)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest


def entries(kms: Any, key: str) -> list[tuple[Any, str]]:
    return [(e["RotationDate"], e["RotationType"]) for e in kms.list_key_rotations(KeyId=key)["Rotations"]]


def test_each_due_rotation_lands_at_its_own_instant(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    start = kms_rotation.clock.now()
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=90)
    kms_rotation.clock.advance(days=275)
    assert entries(kms, symmetric_key["KeyId"]) == [(start + timedelta(days=90 * n), "AUTOMATIC") for n in (1, 2, 3)]
    status = kms.get_key_rotation_status(KeyId=symmetric_key["KeyId"])
    assert status["NextRotationDate"] == start + timedelta(days=360)


def test_disabled_key_does_not_rotate_and_re_enable_rotates_at_once(kms: Any, kms_rotation: Any,
                                                                     symmetric_key: Any) -> None:
    start = kms_rotation.clock.now()
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key(KeyId=symmetric_key["KeyId"])
    kms_rotation.clock.advance(days=200)
    assert entries(kms, symmetric_key["KeyId"]) == []
    kms.enable_key(KeyId=symmetric_key["KeyId"])
    enabled_at = kms_rotation.clock.now()
    kms_rotation.clock.advance(days=1)
    assert entries(kms, symmetric_key["KeyId"]) == [(enabled_at, "AUTOMATIC")]
    status = kms.get_key_rotation_status(KeyId=symmetric_key["KeyId"])
    assert status["NextRotationDate"] == enabled_at + timedelta(days=90) != start + timedelta(days=90)


def test_pending_deletion_pauses_rotation(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=90)
    kms_rotation.clock.advance(days=85)
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=30)
    kms_rotation.clock.advance(days=20)
    kms.cancel_key_deletion(KeyId=symmetric_key["KeyId"])
    assert entries(kms, symmetric_key["KeyId"]) == []


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_delayed_on_demand_completes_at_start_plus_delay(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    started = kms_rotation.clock.now()
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    kms_rotation.clock.advance(seconds=299)
    assert entries(kms, symmetric_key["KeyId"]) == []
    kms_rotation.clock.advance(days=3)
    assert entries(kms, symmetric_key["KeyId"]) == [(started + timedelta(seconds=300), "ON_DEMAND")]
