"""Every ARN the fake makes or accepts uses the region's partition, read from botocore's endpoint data."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._protocol.partitions import partition_of
from tests.conftest import assert_matches_output_shape, error_of

CASES = [("us-west-2", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")]
OTHER = {"aws": "aws-cn", "aws-cn": "aws", "aws-us-gov": "aws"}


def test_partitions_come_from_botocore() -> None:
    from botocore.loaders import create_loader

    data = create_loader().load_data("endpoints")
    for partition in data["partitions"]:
        for region in partition["regions"]:
            assert partition_of(region) == partition["partition"], region


@pytest.mark.parametrize(("region", "partition"), CASES)
def test_arns_made_and_accepted_in_the_regions_partition(region: str, partition: str) -> None:
    with KmsRotation(Config(region=region)) as fake:
        kms = boto3.client("kms", region_name=region)
        created = kms.create_key()
        assert_matches_output_shape("CreateKey", created)
        key_id = created["KeyMetadata"]["KeyId"]
        arn = created["KeyMetadata"]["Arn"]
        assert arn == f"arn:{partition}:kms:{region}:111122223333:key/{key_id}"
        policy = json.loads(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
        assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:{partition}:iam::111122223333:root"}
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["Arn"] == arn
        rotated = kms.rotate_key_on_demand(KeyId=arn)
        assert_matches_output_shape("RotateKeyOnDemand", rotated)
        assert rotated["KeyId"] == arn
        kms.create_alias(AliasName="alias/app", TargetKeyId=key_id)
        aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
        assert [a["AliasArn"] for a in aliases] == [f"arn:{partition}:kms:{region}:111122223333:alias/app"]
        assert kms.describe_key(KeyId=aliases[0]["AliasArn"])["KeyMetadata"]["Arn"] == arn
        assert fake.key(arn).arn == arn


@pytest.mark.parametrize(("region", "partition"), CASES)
def test_an_arn_of_another_partition_names_no_key(region: str, partition: str) -> None:
    with KmsRotation(Config(region=region)):
        kms = boto3.client("kms", region_name=region)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        wrong = f"arn:{OTHER[partition]}:kms:{region}:111122223333:key/{key_id}"
        for call in (kms.describe_key, kms.rotate_key_on_demand):
            with pytest.raises(kms.exceptions.NotFoundException) as excinfo:
                call(KeyId=wrong)
            assert error_of(excinfo) == ("NotFoundException", f"Key '{wrong}' does not exist")


def test_a_replica_stays_in_its_primarys_partition() -> None:
    with KmsRotation(Config(region="cn-north-1")):
        kms = boto3.client("kms", region_name="cn-north-1")
        key = kms.create_key(MultiRegion=True)["KeyMetadata"]
        replica: Any = kms.replicate_key(KeyId=key["KeyId"], ReplicaRegion="cn-northwest-1")
        assert_matches_output_shape("ReplicateKey", replica)
        assert replica["ReplicaKeyMetadata"]["Arn"] == f"arn:aws-cn:kms:cn-northwest-1:111122223333:key/{key['KeyId']}"
        west = boto3.client("kms", region_name="cn-northwest-1")
        assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == replica["ReplicaKeyMetadata"]["Arn"]


@pytest.mark.parametrize(("region", "partition"), CASES)
def test_the_callers_arn_in_cloudtrail_and_aws_managed_policies_use_the_partition(region: str, partition: str) -> None:
    with KmsRotation(Config(region=region)) as fake:
        kms = boto3.client("kms", region_name=region)
        managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
        policy = json.loads(kms.get_key_policy(KeyId=managed["KeyId"], PolicyName="default")["Policy"])
        root = f"arn:{partition}:iam::111122223333:root"
        assert [s["Principal"] for s in policy["Statement"]][-1] == {"AWS": root}
        records = fake.events.cloudtrail
        assert {r["userIdentity"]["arn"] for r in records if "arn" in r["userIdentity"]} == {root}
