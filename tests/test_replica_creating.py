"""ReplicateKey answers with the replica Creating, for `replication_delay` (issue 15, deviation 1)."""

from __future__ import annotations

import time
from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate import Config, KmsRotation
from tests.conftest import assert_matches_output_shape, error_of


def test_a_replica_is_creating_until_the_delay_has_passed() -> None:
    with KmsRotation(Config(replication_delay=timedelta(seconds=30))):
        east, west = (boto3.client("kms", region_name=r) for r in ("us-east-1", "us-west-2"))
        primary = east.create_key(MultiRegion=True)["KeyMetadata"]
        response = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
        assert_matches_output_shape("ReplicateKey", response)
        replica = response["ReplicaKeyMetadata"]
        assert (replica["KeyState"], replica["Enabled"]) == ("Creating", False)
        assert west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]["KeyState"] == "Creating"
        with pytest.raises(ClientError) as excinfo:
            west.encrypt(KeyId=replica["Arn"], Plaintext=b"p")
        assert error_of(excinfo) == ("KMSInvalidStateException", f"{replica['Arn']} is creating.")
        time.sleep(29)  # the fake's sleep moves its clock: polling goes through the delay
        assert west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]["KeyState"] == "Creating"
        time.sleep(1)
        meta = west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]
        assert (meta["KeyState"], meta["Enabled"]) == ("Enabled", True)
        blob = west.encrypt(KeyId=replica["Arn"], Plaintext=b"p")["CiphertextBlob"]
        assert east.decrypt(CiphertextBlob=blob)["Plaintext"] == b"p"


def test_an_imported_material_replica_waits_for_its_import_after_creating() -> None:
    with KmsRotation(Config(replication_delay=timedelta(seconds=20))) as fake:
        east, west = (boto3.client("kms", region_name=r) for r in ("us-east-1", "us-west-2"))
        primary = east.create_key(MultiRegion=True, Origin="EXTERNAL")["KeyMetadata"]
        replica = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
        assert replica["KeyState"] == "Creating"
        fake.clock.advance(seconds=20)
        assert west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]["KeyState"] == "PendingImport"


def test_the_default_delay_is_zero() -> None:
    assert Config().replication_delay == timedelta(0)


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="replication_delay must be a timedelta >= 0"):
        Config(replication_delay=timedelta(seconds=-1))
