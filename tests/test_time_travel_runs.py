"""A long clock jump rotates each key a run at a time (issue 17); the result is the same as
walking the clock there step by step, and the event log still reads in time order."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import pairwise

import boto3

from pytest_kmsrotate import KmsRotation


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
