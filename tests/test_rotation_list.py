"""ListKeyRotations: modes, entry fields, order, paging and refusals (spec §6)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._rotation_support import NON_SYMMETRIC, expect_error, external_key, ok
from tests.conftest import error_of


def listing(kms: Any, key: str, **params: Any) -> dict[str, Any]:
    return ok("ListKeyRotations", kms.list_key_rotations(KeyId=key, **params))


def test_new_key_lists_nothing_by_default(kms: Any, symmetric_key: Any) -> None:
    got = listing(kms, symmetric_key["KeyId"])
    assert (got["Rotations"], got["Truncated"], "NextMarker" in got) == ([], False, False)


def test_all_key_material_adds_the_initial_material_without_dates(kms: Any, kms_rotation: Any,
                                                                  symmetric_key: Any) -> None:
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    kms_rotation.clock.advance(days=1)
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    entries = listing(kms, symmetric_key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert entries[0] == {"KeyId": symmetric_key["Arn"], "KeyMaterialId": symmetric_key["CurrentKeyMaterialId"],
                          "KeyMaterialState": "NON_CURRENT"}
    assert [set(e) for e in entries[1:]] == [
        {"KeyId", "KeyMaterialId", "KeyMaterialState", "RotationDate", "RotationType"}] * 2
    assert [e["KeyMaterialState"] for e in entries] == ["NON_CURRENT", "NON_CURRENT", "CURRENT"]
    assert entries[1]["RotationDate"] < entries[2]["RotationDate"]  # oldest first
    assert listing(kms, symmetric_key["KeyId"])["Rotations"] == entries[1:]


def test_external_entries_carry_import_fields(kms: Any, kms_rotation: Any) -> None:
    arn = external_key(kms, kms_rotation, imported=True, pending=True)
    entries = listing(kms, arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [e["KeyMaterialState"] for e in entries] == ["CURRENT", "PENDING_ROTATION"]
    assert entries[1]["ImportState"] == "IMPORTED"
    assert entries[1]["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert entries[1]["KeyMaterialDescription"] == "next"
    assert "RotationDate" not in entries[1]
    assert listing(kms, arn)["Rotations"] == []


def test_external_pending_import_lists_empty(kms: Any, kms_rotation: Any) -> None:
    arn = external_key(kms, kms_rotation, imported=False)
    assert listing(kms, arn, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"] == []


@pytest.mark.parametrize(("spec", "usage"), NON_SYMMETRIC)
@pytest.mark.parametrize("mode", ["ROTATIONS_ONLY", "ALL_KEY_MATERIAL"])
def test_non_symmetric_keys_list_empty(kms: Any, spec: str, usage: str, mode: str) -> None:
    arn = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["Arn"]
    assert listing(kms, arn, IncludeKeyMaterial=mode)["Rotations"] == []


@pytest.mark.parametrize("change", ["disable_key", "schedule_key_deletion"])
def test_works_while_disabled_or_pending_deletion(kms: Any, symmetric_key: Any, change: str) -> None:
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    getattr(kms, change)(KeyId=symmetric_key["KeyId"])
    assert len(listing(kms, symmetric_key["KeyId"])["Rotations"]) == 1


@pytest.mark.parametrize("alias", ["alias/mine", "arn:aws:kms:us-east-1:111122223333:alias/mine"])
def test_alias_refused(kms: Any, symmetric_key: Any, alias: str) -> None:
    kms.create_alias(AliasName="alias/mine", TargetKeyId=symmetric_key["KeyId"])
    expect_error(kms.list_key_rotations, "InvalidArnException",
                 "Key Aliases are not supported for this operation.", KeyId=alias)


def test_limit_above_1000_is_a_validation_error(kms: Any, symmetric_key: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.list_key_rotations(KeyId=symmetric_key["KeyId"], Limit=1001)
    assert error_of(excinfo) == ("ValidationException", "1 validation error detected: Value '1001' at 'limit' "
                                 "failed to satisfy constraint: Member must have value less than or equal to 1000")


@pytest.mark.kms_rotation(on_demand_limit=1000)
def test_many_rotations_at_one_instant_page_exactly_once(kms: Any, symmetric_key: Any) -> None:
    for _ in range(250):
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    everything = listing(kms, symmetric_key["KeyId"], Limit=1000)["Rotations"]
    assert len({e["RotationDate"] for e in everything}) == 1 and len(everything) == 250
    default = listing(kms, symmetric_key["KeyId"])
    assert (len(default["Rotations"]), default["Truncated"]) == (100, True)
    seen: list[str] = []
    params: dict[str, Any] = {"Limit": 7}
    while True:
        got = listing(kms, symmetric_key["KeyId"], **params)
        assert 0 < len(got["Rotations"]) <= 7
        seen += [e["KeyMaterialId"] for e in got["Rotations"]]
        if not got["Truncated"]:
            assert "NextMarker" not in got
            break
        params["Marker"] = got["NextMarker"]
    assert seen == [e["KeyMaterialId"] for e in everything]
    paginator = kms.get_paginator("list_key_rotations")
    pages = list(paginator.paginate(KeyId=symmetric_key["KeyId"], PaginationConfig={"PageSize": 7}))
    assert [e["KeyMaterialId"] for p in pages for e in p["Rotations"]] == seen
    assert len(pages) == 36


def test_foreign_or_forged_marker_is_refused_without_message(kms: Any) -> None:
    a, b = (kms.create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    for key in (a, b):
        for _ in range(3):
            kms.rotate_key_on_demand(KeyId=key)
    marker = listing(kms, a, Limit=1)["NextMarker"]
    assert len(listing(kms, a, Limit=1, Marker=marker)["Rotations"]) == 1
    for key, bad in ((b, marker), (a, marker[:-2] + "xx"), (a, "not-a-marker")):
        expect_error(kms.list_key_rotations, "InvalidMarkerException", None, KeyId=key, Marker=bad)
    expect_error(kms.list_key_rotations, "InvalidMarkerException", None, KeyId=a, Marker=marker,
                 IncludeKeyMaterial="ALL_KEY_MATERIAL")
