"""A long clock jump rotates each key a run at a time (issue 17); the result is the same as
walking the clock there step by step, and the event log still reads in time order."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

import boto3
import pytest

from pytest_kmsrotate import Config, KmsRotation


def _advance(jumps: list[int]) -> tuple[list[list[tuple[str, object]]], list[dict[str, object]], list[str]]:
    with KmsRotation(freeze_time=False, patch_sleep=False) as fake:
        kms = boto3.client("kms", region_name="us-east-1")
        keys = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)]
        for key, period in zip(keys, (90, 91, 365), strict=True):
            kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=period)
        for days in jumps:
            fake.clock.advance(days=days)
        kms.list_keys()  # a call: the rotations so far reach the event log
        per_key = [[(r.type, r.date) for r in fake.key(key).rotations] for key in keys]
        ids = [m for key in keys for m in fake.key(key).material_ids]
        rotations = [e for e in fake.events if e.get("eventName") == "RotateKey"]
    return per_key, rotations, ids


def test_one_jump_rotates_as_many_small_steps_do() -> None:
    jumped, jumped_events, ids = _advance([3650])
    stepped, stepped_events, _ = _advance([10] * 365)
    assert jumped == stepped
    assert [len(k) for k in jumped] == [40, 40, 10]
    times = [e["eventTime"] for e in jumped_events]
    assert times == sorted(times) and len(times) == 90
    assert [e["eventTime"] for e in stepped_events] == times
    assert len(set(ids)) == len(ids) == 93
    assert all(re.fullmatch(r"[0-9a-f]{64}", m) for m in ids)


def test_a_jump_gives_the_same_material_ids_on_every_run() -> None:
    assert _advance([3650])[2] == _advance([3650])[2]


def test_rotation_dates_are_a_period_apart() -> None:
    per_key, _, _ = _advance([3650])
    for dates, period in zip(per_key, (90, 91, 365), strict=True):
        gaps = {b[1] - a[1] for a, b in pairwise(dates)}  # type: ignore[operator]
        assert gaps == {timedelta(days=period)}


def test_material_of_a_long_jump_is_real_and_decrypts_what_it_encrypted() -> None:
    """A run's materials are built when read: each one still encrypts under its own secret,
    a ciphertext made before the jump opens after it, and listing shows one CURRENT material."""
    with KmsRotation(freeze_time=False, patch_sleep=False) as fake:
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
        fake.clock.advance(days=95)
        early = kms.encrypt(KeyId=key, Plaintext=b"early")["CiphertextBlob"]  # under the first rotation's material
        fake.clock.advance(days=3650)
        middle = kms.encrypt(KeyId=key, Plaintext=b"middle")["CiphertextBlob"]
        fake.clock.advance(days=3650)
        listed = kms.list_key_rotations(KeyId=key, Limit=1000)["Rotations"]
        assert [r["KeyMaterialState"] for r in listed].count("CURRENT") == 1
        assert listed[-1]["KeyMaterialState"] == "CURRENT"
        assert len({r["KeyMaterialId"] for r in listed}) == len(listed) == 82
        assert kms.decrypt(CiphertextBlob=early)["Plaintext"] == b"early"
        assert kms.decrypt(CiphertextBlob=middle)["Plaintext"] == b"middle"
        # The blob names its material after the key ARN (primitives.py: version, u16 length, ARN, ID).
        used = [blob[3 + int.from_bytes(blob[1:3], "big"):][:32].hex() for blob in (early, middle)]
        assert used[0] == listed[0]["KeyMaterialId"] and used[1] in {r["KeyMaterialId"] for r in listed[1:-1]}
        material_ids = fake.key(key).material_ids
        assert material_ids == [material_ids[0], *(r["KeyMaterialId"] for r in listed)]


def test_another_fake_with_the_same_names_refuses_a_long_jumps_ciphertext() -> None:
    """The material a jump leaves CURRENT is keyed by its fake's realm, as every made material is:
    a fake that names its keys and materials alike (same seed) still cannot open the blob."""
    blobs, names = [], []
    for _ in range(2):
        with KmsRotation(Config(seed="same"), freeze_time=False, patch_sleep=False) as fake:
            kms = boto3.client("kms", region_name="us-east-1")
            key = kms.create_key()["KeyMetadata"]["KeyId"]
            kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
            fake.clock.advance(days=3650)
            names.append(fake.key(key).material_ids)
            blobs.append(kms.encrypt(KeyId=key, Plaintext=b"x")["CiphertextBlob"])
            assert kms.decrypt(CiphertextBlob=blobs[-1])["Plaintext"] == b"x"
            if len(blobs) == 2:
                with pytest.raises(kms.exceptions.InvalidCiphertextException):
                    kms.decrypt(CiphertextBlob=blobs[0])
    assert names[0] == names[1]
