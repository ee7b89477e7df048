"""Multi-Region keys: ReplicateKey, UpdatePrimaryRegion and rotation across replicas (spec §12)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest

from tests._rotation_support import expect_error, ok, wait_for_replica


@pytest.fixture
def west(kms_rotation: Any) -> Any:
    return boto3.client("kms", region_name="us-west-2")


@pytest.fixture
def primary(kms: Any) -> dict[str, Any]:
    return kms.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]  # type: ignore[no-any-return]


def status(client: Any, key: str) -> dict[str, Any]:
    got = ok("GetKeyRotationStatus", client.get_key_rotation_status(KeyId=key))
    del got["ResponseMetadata"]
    return got


def test_replicate_key(kms: Any, west: Any, primary: dict[str, Any]) -> None:
    got = ok("ReplicateKey", kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2",
                                                Description="replica", Tags=[{"TagKey": "a", "TagValue": "b"}]))
    meta = got["ReplicaKeyMetadata"]
    assert meta["KeyId"] == primary["KeyId"]
    assert meta["Arn"] == primary["Arn"].replace("us-east-1", "us-west-2")
    assert (meta["Description"], meta["MultiRegionConfiguration"]["MultiRegionKeyType"]) == ("replica", "REPLICA")
    assert "CurrentKeyMaterialId" not in meta
    assert got["ReplicaTags"] == [{"TagKey": "a", "TagValue": "b"}]
    assert (meta["KeyState"], meta["Enabled"]) == ("Creating", False)  # as AWS answers (issue 15, deviation 1)
    described = wait_for_replica(west, primary["KeyId"])
    assert (described["KeyState"], described["Enabled"]) == ("Enabled", True)
    assert described["CurrentKeyMaterialId"] == primary["CurrentKeyMaterialId"]


def test_replicate_key_refusals(kms: Any, west: Any, primary: dict[str, Any]) -> None:
    call = kms.replicate_key
    expect_error(call, "ValidationException", "us-east-1 cannot have a replica because it contains the primary.",
                 KeyId=primary["KeyId"], ReplicaRegion="us-east-1")
    expect_error(call, "ValidationException",
                 "The replica key Region must be in the same AWS partition as the primary key Region.",
                 KeyId=primary["KeyId"], ReplicaRegion="cn-north-1")
    expect_error(call, "ValidationException", "Region us-invalid-1 is not a valid Region or multi-Region keys are "
                 "not supported in Region us-invalid-1.", KeyId=primary["KeyId"], ReplicaRegion="us-invalid-1")
    expect_error(call, "InvalidArnException", "Key Aliases are not supported for this operation.",
                 KeyId="alias/x", ReplicaRegion="us-west-2")
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    expect_error(call, "AlreadyExistsException", "You can create only one replica of each primary key in each AWS "
                 "Region.", KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    replica_arn = primary["Arn"].replace("us-east-1", "us-west-2")
    expect_error(west.replicate_key, "UnsupportedOperationException",
                 f"{replica_arn} is not a multi-region primary key.", KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")
    kms.disable_key(KeyId=primary["KeyId"])
    expect_error(call, "DisabledException", f"{primary['Arn']} is disabled.",
                 KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")


@pytest.mark.parametrize(("op", "name"), [("enable_key_rotation", "EnableKeyRotation"),
                                          ("disable_key_rotation", "DisableKeyRotation"),
                                          ("rotate_key_on_demand", "RotateKeyOnDemand")])
def test_rotation_ops_refused_on_replicas(kms: Any, west: Any, primary: dict[str, Any], op: str, name: str) -> None:
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    replica_arn = primary["Arn"].replace("us-east-1", "us-west-2")
    expect_error(getattr(west, op), "UnsupportedOperationException",
                 f"{replica_arn} is a multi-region replica key which is not valid for {name}.", KeyId=replica_arn)


def test_replica_mirrors_status_and_every_rotation(kms: Any, kms_rotation: Any, west: Any,
                                                   primary: dict[str, Any]) -> None:
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    kms.enable_key_rotation(KeyId=primary["KeyId"], RotationPeriodInDays=90)
    replica_arn = primary["Arn"].replace("us-east-1", "us-west-2")
    assert status(west, primary["KeyId"]) == status(kms, primary["KeyId"]) | {"KeyId": replica_arn}
    kms.rotate_key_on_demand(KeyId=primary["KeyId"])
    kms_rotation.clock.advance(days=100)
    here = kms.list_key_rotations(KeyId=primary["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    there = west.list_key_rotations(KeyId=primary["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert len(here) == 3
    assert there == [e | {"KeyId": replica_arn} for e in here]


def test_update_primary_region_keeps_status(kms: Any, kms_rotation: Any, west: Any, primary: dict[str, Any]) -> None:
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    kms.enable_key_rotation(KeyId=primary["KeyId"], RotationPeriodInDays=90)
    before = status(kms, primary["KeyId"])
    ok("UpdatePrimaryRegion", kms.update_primary_region(KeyId=primary["KeyId"], PrimaryRegion="us-west-2"))
    new_primary = west.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert new_primary["MultiRegionKeyType"] == "PRIMARY"
    assert status(west, primary["KeyId"])["NextRotationDate"] == before["NextRotationDate"]
    expect_error(kms.enable_key_rotation, "UnsupportedOperationException",
                 f"{primary['Arn']} is a multi-region replica key which is not valid for EnableKeyRotation.",
                 KeyId=primary["KeyId"])
    kms_rotation.clock.advance(days=1)
    west.enable_key_rotation(KeyId=primary["KeyId"], RotationPeriodInDays=100)
    assert status(kms, primary["KeyId"])["NextRotationDate"] == kms_rotation.clock.now() + timedelta(days=100)


def test_update_primary_region_refusals(kms: Any, west: Any, primary: dict[str, Any]) -> None:
    ok("UpdatePrimaryRegion", kms.update_primary_region(KeyId=primary["KeyId"], PrimaryRegion="us-east-1"))
    expect_error(kms.update_primary_region, "ValidationException",
                 f"{primary['KeyId']} does not have a replica key in the specified Region.",
                 KeyId=primary["KeyId"], PrimaryRegion="eu-west-1")
    expect_error(kms.update_primary_region, "InvalidArnException", "Key Aliases are not supported for this operation.",
                 KeyId="alias/x", PrimaryRegion="us-west-2")
    kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
    replica_arn = primary["Arn"].replace("us-east-1", "us-west-2")
    expect_error(west.update_primary_region, "KMSInvalidStateException",
                 f"{replica_arn} is not a multi-Region primary key.", KeyId=replica_arn, PrimaryRegion="us-east-1")
