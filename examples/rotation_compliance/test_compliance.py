"""The compliance job's own tests: they use only the public pytest-kmsrotate API."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from compliance import enforce_rotation_policy, reencrypt_stale, rotate_compromised


@pytest.fixture
def kms(kms_rotation):
    return boto3.client("kms", region_name="us-east-1")


def test_keys_without_rotation_get_it_and_out_of_scope_keys_are_left_alone(kms):
    plain = kms.create_key()["KeyMetadata"]["KeyId"]
    lazy = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=lazy, RotationPeriodInDays=2560)
    kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)

    report = enforce_rotation_policy(kms, max_period_days=180)

    assert sorted(report.fixed) == sorted([plain, lazy])
    for key in (plain, lazy):
        status = kms.get_key_rotation_status(KeyId=key)
        assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 180)
    assert kms.get_key_rotation_status(KeyId=disabled)["KeyRotationEnabled"] is False


def test_a_second_run_changes_nothing(kms):
    kms.create_key()
    enforce_rotation_policy(kms)
    assert enforce_rotation_policy(kms).fixed == []


@pytest.mark.kms_rotation(on_demand_limit=2)
def test_compromised_keys_rotate_until_the_quota_runs_out(kms):
    key = kms.create_key(Tags=[{"TagKey": "compromised", "TagValue": "true"}])["KeyMetadata"]["KeyId"]
    safe = kms.create_key()["KeyMetadata"]["KeyId"]

    assert rotate_compromised(kms).rotated == [key]
    assert rotate_compromised(kms).rotated == [key]
    third = rotate_compromised(kms)

    assert third.rotated == []
    assert third.skipped == {key: "on-demand rotation quota used up: needs a new key"}
    assert len(kms.list_key_rotations(KeyId=key)["Rotations"]) == 2
    assert kms.list_key_rotations(KeyId=safe)["Rotations"] == []


def test_a_rotation_due_within_twenty_minutes_is_reported_not_forced(kms, kms_rotation):
    key = kms.create_key(Tags=[{"TagKey": "compromised", "TagValue": "true"}])["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    kms_rotation.clock.advance(days=90, minutes=-10)

    report = rotate_compromised(kms)

    assert report.skipped == {key: "automatic rotation imminent: retry after it"}


def test_old_ciphertexts_are_moved_to_the_newest_material(kms, kms_rotation):
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    old = [kms.encrypt(KeyId=key, Plaintext=f"record {n}".encode())["CiphertextBlob"] for n in range(3)]
    kms_rotation.clock.advance(timedelta(days=91))  # one automatic rotation

    fresh = reencrypt_stale(kms, key, old)

    current = kms.describe_key(KeyId=key)["KeyMetadata"]["CurrentKeyMaterialId"]
    assert [kms.decrypt(CiphertextBlob=b)["KeyMaterialId"] for b in fresh] == [current] * 3
    assert [kms.decrypt(CiphertextBlob=b)["Plaintext"] for b in fresh] == [f"record {n}".encode() for n in range(3)]
    assert reencrypt_stale(kms, key, fresh) == fresh
