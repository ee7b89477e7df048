"""CreateAlias, UpdateAlias, DeleteAlias and ListAliases through a real boto3 client."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import assert_matches_output_shape, error_of, sent_no_message

ARN_PREFIX = "arn:aws:kms:us-east-1:111122223333"


def _aliases(kms: Any, **params: Any) -> list[dict[str, Any]]:
    """The aliases that point at a key (AWS also lists its predefined, unassociated alias/aws/*)."""
    response = kms.list_aliases(**params)
    assert_matches_output_shape("ListAliases", response)
    return [a for a in response["Aliases"] if "TargetKeyId" in a]


def _predefined(kms: Any) -> list[dict[str, Any]]:
    return [a for page in kms.get_paginator("list_aliases").paginate() for a in page["Aliases"]
            if "TargetKeyId" not in a]


def test_create_alias_and_list_it(kms: Any, kms_rotation: Any, symmetric_key: dict[str, Any]) -> None:
    response = kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["Arn"])
    assert_matches_output_shape("CreateAlias", response)
    now = kms_rotation.clock.now()
    assert _aliases(kms) == [
        {
            "AliasName": "alias/orders",
            "AliasArn": f"{ARN_PREFIX}:alias/orders",
            "TargetKeyId": symmetric_key["KeyId"],
            "CreationDate": now,
            "LastUpdatedDate": now,
        }
    ]


def test_create_alias_errors(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    cases = [
        (
            {"AliasName": "orders"},
            (
                "ValidationException",
                'Alias must start with the prefix "alias/". Please see '
                "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
            ),
        ),
        (
            {"AliasName": "alias/orders"},
            ("AlreadyExistsException", f"An alias with the name {ARN_PREFIX}:alias/orders already exists"),
        ),
        (
            {"AliasName": "alias/other", "TargetKeyId": "alias/orders"},
            ("ValidationException", "Aliases must refer to keys. Not aliases"),
        ),
        (
            {"AliasName": "alias/other", "TargetKeyId": "11111111-2222-4333-8444-555555555555"},
            ("NotFoundException", f"Key '{ARN_PREFIX}:key/11111111-2222-4333-8444-555555555555' does not exist"),
        ),
        (
            {"AliasName": "alias/bad$name"},
            (
                "ValidationException",
                "1 validation error detected: Value 'alias/bad$name' at 'aliasName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
            ),
        ),
    ]
    for params, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            kms.create_alias(**{"TargetKeyId": symmetric_key["KeyId"], **params})
        assert error_of(excinfo) == expected, params


@pytest.mark.parametrize("method", ["create_alias", "update_alias"])
def test_aliases_under_alias_aws_are_reserved(kms: Any, symmetric_key: dict[str, Any], method: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(kms, method)(AliasName="alias/aws/s3", TargetKeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == ("NotAuthorizedException", "")
    assert sent_no_message(excinfo)


def test_delete_of_a_reserved_alias_is_refused(kms: Any) -> None:
    kms.describe_key(KeyId="alias/aws/s3")  # materialises it
    with pytest.raises(ClientError) as excinfo:
        kms.delete_alias(AliasName="alias/aws/s3")
    assert error_of(excinfo) == ("NotAuthorizedException", "")
    assert [a["AliasName"] for a in _aliases(kms)] == ["alias/aws/s3"]


def test_create_alias_for_a_key_pending_deletion(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{symmetric_key['Arn']} is pending deletion.")


def test_update_alias_repoints_it(kms: Any, kms_rotation: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    created = kms_rotation.clock.now()
    kms_rotation.clock.advance(hours=1)
    other = kms.create_key()["KeyMetadata"]
    response = kms.update_alias(AliasName="alias/orders", TargetKeyId=other["KeyId"])
    assert_matches_output_shape("UpdateAlias", response)
    [entry] = _aliases(kms)
    assert entry["TargetKeyId"] == other["KeyId"]
    assert (entry["CreationDate"], entry["LastUpdatedDate"]) == (created, created + timedelta(hours=1))
    assert kms.describe_key(KeyId="alias/orders")["KeyMetadata"]["KeyId"] == other["KeyId"]


def test_update_alias_errors(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.update_alias(AliasName="alias/missing", TargetKeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == ("NotFoundException", f"Alias {ARN_PREFIX}:alias/missing is not found.")
    kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.update_alias(AliasName="alias/orders", TargetKeyId=signing["KeyId"])
    assert error_of(excinfo) == (
        "ValidationException",
        f"Alias {ARN_PREFIX}:alias/orders cannot be changed from a key of type SYMMETRIC_DEFAULT with key "
        "usage ENCRYPT_DECRYPT to a key of type ECC_NIST_P256 with key usage SIGN_VERIFY.",
    )


def test_delete_alias(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    assert_matches_output_shape("DeleteAlias", kms.delete_alias(AliasName="alias/orders"))
    assert _aliases(kms) == []
    with pytest.raises(ClientError) as excinfo:
        kms.delete_alias(AliasName="alias/orders")
    assert error_of(excinfo) == ("NotFoundException", f"Alias {ARN_PREFIX}:alias/orders is not found.")
    assert kms.describe_key(KeyId=symmetric_key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_list_aliases_filters_by_key(kms: Any, symmetric_key: dict[str, Any]) -> None:
    other = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/a", TargetKeyId=symmetric_key["KeyId"])
    kms.create_alias(AliasName="alias/b", TargetKeyId=other["KeyId"])
    kms.create_alias(AliasName="alias/c", TargetKeyId=symmetric_key["KeyId"])
    assert [a["AliasName"] for a in _aliases(kms, KeyId=symmetric_key["KeyId"])] == ["alias/a", "alias/c"]
    assert [a["AliasName"] for a in _aliases(kms, KeyId=other["Arn"])] == ["alias/b"]
    with pytest.raises(ClientError) as excinfo:
        kms.list_aliases(KeyId="alias/a")
    assert error_of(excinfo) == ("InvalidArnException", "Key Aliases are not supported for this operation.")
    with pytest.raises(ClientError) as excinfo:
        kms.list_aliases(KeyId="11111111-2222-4333-8444-555555555555")
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key '{ARN_PREFIX}:key/11111111-2222-4333-8444-555555555555' does not exist",
    )


def test_list_aliases_pages(kms: Any, symmetric_key: dict[str, Any]) -> None:
    names = [f"alias/n{i}" for i in range(5)]
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=symmetric_key["KeyId"])
    first = kms.list_aliases(Limit=2)
    assert_matches_output_shape("ListAliases", first)
    assert first["Truncated"] is True
    pages = list(kms.get_paginator("list_aliases").paginate(PaginationConfig={"PageSize": 2}))
    listed = [a["AliasName"] for p in pages for a in p["Aliases"]]
    assert all(len(p["Aliases"]) == 2 for p in pages[:-1])
    assert [n for n in listed if not n.startswith("alias/aws/")] == names
    assert listed == sorted(listed) and len(listed) == len(set(listed))
    with pytest.raises(ClientError) as excinfo:
        kms.list_aliases(Marker="garbage")
    assert error_of(excinfo) == ("InvalidMarkerException", "")


def test_aliases_are_scoped_by_region(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    west = boto3.client("kms", region_name="us-west-2")
    assert _aliases(west) == []
    with pytest.raises(ClientError) as excinfo:
        west.describe_key(KeyId="alias/orders")
    assert error_of(excinfo) == (
        "NotFoundException",
        "Alias arn:aws:kms:us-west-2:111122223333:alias/orders is not found.",
    )
    with pytest.raises(ClientError) as excinfo:
        west.describe_key(KeyId=f"{ARN_PREFIX}:alias/orders")
    assert error_of(excinfo) == ("NotFoundException", "Invalid arn us-east-1")
    west_key = west.create_key()["KeyMetadata"]
    west.create_alias(AliasName="alias/orders", TargetKeyId=west_key["KeyId"])  # same name, other region
    assert west.describe_key(KeyId="alias/orders")["KeyMetadata"]["Arn"] == west_key["Arn"]


def test_predefined_aws_aliases_are_listed_without_a_target(kms: Any) -> None:
    """Issue 15, deviation 2: AWS lists alias/aws/* aliases it has not yet associated with a key."""
    predefined = _predefined(kms)
    assert {"AliasName": "alias/aws/s3", "AliasArn": f"{ARN_PREFIX}:alias/aws/s3"} in predefined
    assert all(set(a) == {"AliasName", "AliasArn"} and a["AliasName"].startswith("alias/aws/") for a in predefined)
    s3 = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]  # associates it with its key
    assert "alias/aws/s3" not in {a["AliasName"] for a in _predefined(kms)}
    [entry] = [a for a in _aliases(kms) if a["AliasName"] == "alias/aws/s3"]
    assert entry["TargetKeyId"] == s3["KeyId"]
    assert _aliases(kms, KeyId=s3["KeyId"]) == [entry]  # a key's aliases: no predefined ones


@pytest.mark.parametrize("name", ["alias/a:b", "alias/é", "alias/a b"])
def test_alias_names_allow_only_alphanumerics_slash_underscore_dash(kms: Any, symmetric_key: dict[str, Any],
                                                                    name: str) -> None:
    """Issue 15, deviation 6: the model's pattern allows ':', AWS does not."""
    for call in (lambda: kms.create_alias(AliasName=name, TargetKeyId=symmetric_key["KeyId"]),
                 lambda: kms.update_alias(AliasName=name, TargetKeyId=symmetric_key["KeyId"]),
                 lambda: kms.delete_alias(AliasName=name)):
        with pytest.raises(ClientError) as excinfo:
            call()
        code, message = error_of(excinfo)
        assert code == "ValidationException" and f"Value '{name}' at 'aliasName' failed to satisfy" in message
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/a:b", TargetKeyId=symmetric_key["KeyId"])
    assert error_of(excinfo)[1] == (
        "1 validation error detected: Value 'alias/a:b' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_-]+$")
