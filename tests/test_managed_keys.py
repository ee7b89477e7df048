"""AWS managed keys: `alias/aws/<service>` materialises a KeyManager AWS key on first use."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.engine import Engine
from pytest_kmsrotate._core.managed import aws_managed_lookup
from pytest_kmsrotate._core.resolve import resolve_key
from pytest_kmsrotate._core.state import Request
from tests.conftest import assert_matches_output_shape, error_of

ARN_PREFIX = "arn:aws:kms:us-east-1:111122223333"


def test_describe_key_materialises_the_managed_key(kms: Any, kms_rotation: Any) -> None:
    assert kms.list_keys()["Keys"] == []
    response = kms.describe_key(KeyId="alias/aws/rds")
    assert_matches_output_shape("DescribeKey", response)
    meta = response["KeyMetadata"]
    assert meta["KeyManager"] == "AWS"
    assert meta["Description"] == "Default key that protects my RDS database volumes when no other key is defined"
    assert (meta["KeySpec"], meta["KeyUsage"], meta["Origin"], meta["KeyState"]) == (
        "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_KMS", "Enabled"
    )
    assert meta["CreationDate"] == kms_rotation.clock.now()
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [meta["KeyId"]]
    [alias] = [a for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a]  # not the predefined ones
    assert (alias["AliasName"], alias["AliasArn"], alias["TargetKeyId"]) == (
        "alias/aws/rds", f"{ARN_PREFIX}:alias/aws/rds", meta["KeyId"]
    )


def test_the_same_managed_key_comes_back(kms: Any) -> None:
    first = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    again = kms.describe_key(KeyId=f"{ARN_PREFIX}:alias/aws/s3")["KeyMetadata"]
    assert first == again
    assert kms.describe_key(KeyId=first["KeyId"])["KeyMetadata"] == first
    assert len(kms.list_keys()["Keys"]) == 1


def test_each_service_and_region_has_its_own_key(kms: Any) -> None:
    s3 = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    sqs = kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]
    west = boto3.client("kms", region_name="us-west-2").describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert len({s3["Arn"], sqs["Arn"], west["Arn"]}) == 3
    assert west["Arn"].startswith("arn:aws:kms:us-west-2:")
    assert sqs["Description"] == "Default key that protects my sqs data when no other key is defined"


def test_unknown_service_alias_is_not_found(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId="alias/aws/not-a-service")
    assert error_of(excinfo) == ("NotFoundException", f"Alias {ARN_PREFIX}:alias/aws/not-a-service is not found.")
    assert kms.list_keys()["Keys"] == []


def test_key_only_operations_do_not_materialise(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key(KeyId="alias/aws/s3")
    assert error_of(excinfo) == ("InvalidArnException", "Key Aliases are not supported for this operation.")
    assert kms.list_keys()["Keys"] == []


def test_managed_key_policy_is_an_auto_policy(kms: Any) -> None:
    key_id = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyId"]
    assert '"Id": "auto-ssm-1"' in kms.get_key_policy(KeyId=key_id)["Policy"]


def test_resolver_hook_for_other_operations() -> None:
    engine = Engine()
    request = Request("Encrypt", {}, "eu-west-1", engine.config.account_id, engine.clock.now())
    key = resolve_key(engine.state, request, "alias/aws/lambda", alias_lookup=aws_managed_lookup)
    assert (key.key_manager, key.region) == ("AWS", "eu-west-1")
    assert resolve_key(engine.state, request, "alias/aws/lambda", alias_lookup=aws_managed_lookup) is key
    assert aws_managed_lookup(engine.state, request, "alias/customer") is None
