"""GetKeyRotationStatus: fields per key kind and state (spec §2, §3, §8)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from tests._key_stores import connected_store
from tests._rotation_support import NON_SYMMETRIC, expect_error, external_key, ok


def status(kms: Any, key: str) -> dict[str, Any]:
    got = ok("GetKeyRotationStatus", kms.get_key_rotation_status(KeyId=key))
    del got["ResponseMetadata"]
    return got


def test_new_key_answers_arn_and_false_even_for_a_bare_id(kms: Any, symmetric_key: Any) -> None:
    assert status(kms, symmetric_key["KeyId"]) == {"KeyRotationEnabled": False, "KeyId": symmetric_key["Arn"]}


def test_enabled_shows_period_and_next_date(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=100)
    assert status(kms, symmetric_key["KeyId"]) == {
        "KeyRotationEnabled": True, "KeyId": symmetric_key["Arn"], "RotationPeriodInDays": 100,
        "NextRotationDate": kms_rotation.clock.now() + timedelta(days=100),
    }


def test_disabled_key_keeps_its_status(kms: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=100)
    before = status(kms, symmetric_key["KeyId"])
    kms.disable_key(KeyId=symmetric_key["KeyId"])
    assert status(kms, symmetric_key["KeyId"]) == before


def test_pending_deletion_reads_false_and_cancel_restores(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    kms.enable_key_rotation(KeyId=symmetric_key["KeyId"], RotationPeriodInDays=100)
    before = status(kms, symmetric_key["KeyId"])
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=7)
    assert status(kms, symmetric_key["KeyId"]) == {"KeyRotationEnabled": False, "KeyId": symmetric_key["Arn"]}
    kms_rotation.clock.advance(days=1)
    kms.cancel_key_deletion(KeyId=symmetric_key["KeyId"])
    assert status(kms, symmetric_key["KeyId"]) == before


@pytest.mark.kms_rotation(on_demand_delay=120)
def test_on_demand_start_date_while_in_progress(kms: Any, kms_rotation: Any, symmetric_key: Any) -> None:
    started = kms_rotation.clock.now()
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert status(kms, symmetric_key["KeyId"])["OnDemandRotationStartDate"] == started
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=7)
    assert status(kms, symmetric_key["KeyId"]) == {
        "KeyRotationEnabled": False, "KeyId": symmetric_key["Arn"], "OnDemandRotationStartDate": started}
    kms_rotation.clock.advance(seconds=120)
    assert "OnDemandRotationStartDate" not in status(kms, symmetric_key["KeyId"])


@pytest.mark.parametrize(("spec", "usage"), NON_SYMMETRIC)
def test_non_symmetric_keys_read_false(kms: Any, spec: str, usage: str) -> None:
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    assert status(kms, arn) == {"KeyRotationEnabled": False, "KeyId": arn}


@pytest.mark.parametrize("imported", [True, False], ids=["imported", "pending-import"])
def test_external_keys_read_false(kms: Any, kms_rotation: Any, imported: bool) -> None:
    arn = external_key(kms, kms_rotation, imported=imported)
    assert status(kms, arn) == {"KeyRotationEnabled": False, "KeyId": arn}


def test_aws_managed_key_reads_false_by_default(kms: Any) -> None:
    arn = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
    assert status(kms, arn) == {"KeyRotationEnabled": False, "KeyId": arn}


def test_aws_managed_status_is_configurable() -> None:
    import boto3

    with KmsRotation(Config(aws_managed_rotation_status=True)):
        kms = boto3.client("kms", region_name="us-east-1")
        arn = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]["Arn"]
        assert status(kms, arn)["KeyRotationEnabled"] is True


def test_custom_key_store_key_is_unsupported(kms: Any) -> None:
    arn = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=connected_store(kms))["KeyMetadata"]["Arn"]
    expect_error(kms.get_key_rotation_status, "UnsupportedOperationException",
                 f"{arn} origin is AWS_CLOUDHSM which is not valid for this operation.", KeyId=arn)


@pytest.mark.parametrize("alias", ["alias/mine", "arn:aws:kms:us-east-1:111122223333:alias/mine"])
def test_alias_refused(kms: Any, symmetric_key: Any, alias: str) -> None:
    kms.create_alias(AliasName="alias/mine", TargetKeyId=symmetric_key["KeyId"])
    expect_error(kms.get_key_rotation_status, "InvalidArnException",
                 "Key Aliases are not supported for this operation.", KeyId=alias)
