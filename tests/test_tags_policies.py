"""TagResource, UntagResource, ListResourceTags; GetKeyPolicy, PutKeyPolicy, ListKeyPolicies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import assert_matches_output_shape, error_of

ACCOUNT = "111122223333"


def _tags(kms: Any, key_id: str, **params: Any) -> dict[str, Any]:
    response = kms.list_resource_tags(KeyId=key_id, **params)
    assert_matches_output_shape("ListResourceTags", response)
    return response  # type: ignore[no-any-return]


def test_tag_untag_and_list(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    response = kms.tag_resource(
        KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "a"}, {"TagKey": "env", "TagValue": "dev"}]
    )
    assert_matches_output_shape("TagResource", response)
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "b"}])  # overwrites
    listed = _tags(kms, key_id)
    assert {k: v for k, v in listed.items() if k != "ResponseMetadata"} == {
        "Tags": [{"TagKey": "team", "TagValue": "b"}, {"TagKey": "env", "TagValue": "dev"}],
        "Truncated": False,
    }
    response = kms.untag_resource(KeyId=key_id, TagKeys=["team", "never-set"])
    assert_matches_output_shape("UntagResource", response)
    assert _tags(kms, key_id)["Tags"] == [{"TagKey": "env", "TagValue": "dev"}]


def test_list_resource_tags_pages(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    tags = [{"TagKey": f"k{i}", "TagValue": str(i)} for i in range(5)]
    kms.tag_resource(KeyId=key_id, Tags=tags)
    first = _tags(kms, key_id, Limit=2)
    assert (first["Tags"], first["Truncated"]) == (tags[:2], True)
    second = _tags(kms, key_id, Limit=2, Marker=first["NextMarker"])
    third = _tags(kms, key_id, Limit=2, Marker=second["NextMarker"])
    assert second["Tags"] + third["Tags"] == tags[2:]
    assert third["Truncated"] is False and "NextMarker" not in third
    with pytest.raises(ClientError) as excinfo:
        kms.list_resource_tags(KeyId=key_id, Marker="garbage")
    assert error_of(excinfo) == ("InvalidMarkerException", "")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ([{"TagKey": "aws:team", "TagValue": "x"}], ("TagException", "Tags beginning with aws: are reserved")),
        ([{"TagKey": "AWS:team", "TagValue": "x"}], ("TagException", "Tags beginning with aws: are reserved")),
        (
            [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}],
            ("TagException", "Duplicate tag keys"),
        ),
        (
            [{"TagKey": f"k{i}", "TagValue": ""} for i in range(51)],
            ("TagException", "Too many tags"),
        ),
        (
            [{"TagKey": "k" * 129, "TagValue": "v"}],
            (
                "ValidationException",
                f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.tagKey' failed to "
                "satisfy constraint: Member must have length less than or equal to 128",
            ),
        ),
    ],
)
def test_tag_resource_errors(kms: Any, symmetric_key: dict[str, Any], tags: list[Any], expected: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.tag_resource(KeyId=symmetric_key["KeyId"], Tags=tags)
    assert error_of(excinfo) == expected
    assert _tags(kms, symmetric_key["KeyId"])["Tags"] == []


def test_fifty_tags_is_the_limit_across_calls(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{i}", "TagValue": ""} for i in range(50)])
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "k0", "TagValue": "new"}])  # overwrite is fine
    with pytest.raises(ClientError) as excinfo:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "one-more", "TagValue": ""}])
    assert error_of(excinfo) == ("TagException", "Too many tags")


def test_untag_reserved_key_is_refused(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.untag_resource(KeyId=symmetric_key["KeyId"], TagKeys=["aws:cloudformation:stack-name"])
    assert error_of(excinfo) == ("TagException", "Tags beginning with aws: are reserved")


def test_tags_of_a_missing_key(kms: Any) -> None:
    missing = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        kms.list_resource_tags(KeyId=missing)
    assert error_of(excinfo) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:{ACCOUNT}:key/{missing}' does not exist",
    )


# -- key policies ------------------------------------------------------------------------------


def test_new_key_has_the_default_key_policy(kms: Any, symmetric_key: dict[str, Any]) -> None:
    response = kms.get_key_policy(KeyId=symmetric_key["KeyId"])
    assert_matches_output_shape("GetKeyPolicy", response)
    assert response["PolicyName"] == "default"
    assert json.loads(response["Policy"]) == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def test_put_key_policy_is_stored_verbatim(kms: Any, symmetric_key: dict[str, Any]) -> None:
    policy = '{\n  "Version": "2012-10-17",\n  "Statement": [ ]\n}'
    response = kms.put_key_policy(KeyId=symmetric_key["Arn"], PolicyName="default", Policy=policy)
    assert_matches_output_shape("PutKeyPolicy", response)
    assert kms.get_key_policy(KeyId=symmetric_key["KeyId"], PolicyName="default")["Policy"] == policy


def test_put_key_policy_without_policy_name_defaults(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.put_key_policy(KeyId=symmetric_key["KeyId"], Policy='{"Statement": []}')
    assert kms.get_key_policy(KeyId=symmetric_key["KeyId"])["Policy"] == '{"Statement": []}'


def test_list_key_policies(kms: Any, symmetric_key: dict[str, Any]) -> None:
    response = kms.list_key_policies(KeyId=symmetric_key["KeyId"])
    assert_matches_output_shape("ListKeyPolicies", response)
    assert (response["PolicyNames"], response["Truncated"]) == (["default"], False)


def test_policy_errors(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.get_key_policy(KeyId=key_id, PolicyName="other")
    assert error_of(excinfo) == ("NotFoundException", "No such policy exists")
    with pytest.raises(ClientError) as excinfo:
        kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy="not json")
    assert error_of(excinfo) == ("MalformedPolicyDocumentException", "The policy is not a valid JSON document.")
    assert json.loads(kms.get_key_policy(KeyId=key_id)["Policy"])["Id"] == "key-default-1"
