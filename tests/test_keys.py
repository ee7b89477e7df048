"""Key inventory through a real boto3 client: CreateKey, DescribeKey, ListKeys, life cycle."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.keyspecs import KEY_SPECS
from tests._key_stores import connected_store
from tests._model import modelled, modelled_pairs
from tests.conftest import assert_matches_output_shape, error_of, sent_no_message

ACCOUNT = "111122223333"
ARN_PREFIX = f"arn:aws:kms:us-east-1:{ACCOUNT}"
ALIAS_REFUSED = ("InvalidArnException", "Key Aliases are not supported for this operation.")

# Every KeySpec x KeyUsage AWS accepts outside China (SM2 is China-only; tested below).
ACCEPTED = [
    (spec, usage)
    for spec, info in KEY_SPECS.items()
    if not info.china_regions_only
    for usage in info.key_usages
]
ALGORITHM_FIELDS = {
    "ENCRYPT_DECRYPT": "EncryptionAlgorithms",
    "SIGN_VERIFY": "SigningAlgorithms",
    "GENERATE_VERIFY_MAC": "MacAlgorithms",
    "KEY_AGREEMENT": "KeyAgreementAlgorithms",
    "ENCAPSULATE_DECAPSULATE": "EncapsulationAlgorithms",
}


def _describe(kms: Any, ref: str) -> dict[str, Any]:
    response = kms.describe_key(KeyId=ref)
    assert_matches_output_shape("DescribeKey", response)
    return response["KeyMetadata"]  # type: ignore[no-any-return]


# -- CreateKey ---------------------------------------------------------------------------------


def test_create_key_defaults_to_a_symmetric_encryption_key(kms: Any) -> None:
    response = kms.create_key()
    assert_matches_output_shape("CreateKey", response)
    meta = response["KeyMetadata"]
    key_id = meta["KeyId"]
    assert meta["Arn"] == f"{ARN_PREFIX}:key/{key_id}"
    assert {k: v for k, v in meta.items() if k not in ("KeyId", "Arn", "CreationDate", "CurrentKeyMaterialId")} == {
        "AWSAccountId": ACCOUNT,
        "Enabled": True,
        "Description": "",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False,
    }
    assert len(meta["CurrentKeyMaterialId"]) == 64
    assert _describe(kms, key_id) == meta


@pytest.mark.parametrize(("spec", "usage"), modelled_pairs(ACCEPTED))
def test_create_key_accepts_every_spec_and_usage_aws_accepts(kms: Any, spec: str, usage: str) -> None:
    response = kms.create_key(KeySpec=spec, KeyUsage=usage)
    assert_matches_output_shape("CreateKey", response)
    meta = _describe(kms, response["KeyMetadata"]["KeyId"])
    assert (meta["KeySpec"], meta["CustomerMasterKeySpec"], meta["KeyUsage"]) == (spec, spec, usage)
    algorithm_fields = {f for f in ALGORITHM_FIELDS.values() if f in meta}
    assert algorithm_fields == {ALGORITHM_FIELDS[usage]}
    assert meta[ALGORITHM_FIELDS[usage]]
    # Spec §11: only symmetric encryption keys show their current key material.
    assert ("CurrentKeyMaterialId" in meta) == (spec == "SYMMETRIC_DEFAULT")


@pytest.mark.parametrize(
    ("spec", "usage"),
    modelled_pairs((spec, usage) for spec, info in KEY_SPECS.items() for usage in ALGORITHM_FIELDS
                   if usage not in info.key_usages),
)
def test_create_key_refuses_usages_a_spec_does_not_have(kms: Any, spec: str, usage: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec=spec, KeyUsage=usage)
    if spec == "SYMMETRIC_DEFAULT":
        expected = (
            f"The operation failed because the KeyUsage value of the CMK is {usage}. "
            "To perform this operation, the KeyUsage value must be ENCRYPT_DECRYPT."
        )
    else:
        expected = f"KeyUsage {usage} is not compatible with KeySpec {spec}"
    assert error_of(excinfo) == ("ValidationException", expected)


@pytest.mark.parametrize("spec", modelled("KeySpec", [s for s, i in KEY_SPECS.items() if i.default_usage is None]))
def test_create_key_requires_a_usage_for_non_symmetric_specs(kms: Any, spec: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec=spec)
    assert error_of(excinfo) == (
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
    )


def test_create_key_refuses_sm2_outside_china(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    assert error_of(excinfo) == ("UnsupportedOperationException", "KeySpec SM2 is not supported in this Region")


def test_create_key_accepts_sm2_in_a_china_region(kms_rotation: Any) -> None:
    china = boto3.client("kms", region_name="cn-north-1")
    response = china.create_key(KeySpec="SM2", KeyUsage="ENCRYPT_DECRYPT")
    assert_matches_output_shape("CreateKey", response)
    assert response["KeyMetadata"]["EncryptionAlgorithms"] == ["SM2PKE"]


def test_create_key_refuses_an_unknown_spec_server_side(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec="HMAC_random", KeyUsage="GENERATE_VERIFY_MAC")
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith(
        "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: "
        "Member must satisfy enum value set: ["
    )


def test_create_key_with_description_tags_and_policy(kms: Any) -> None:
    policy = '{"Version": "2012-10-17", "Statement": []}'
    meta = kms.create_key(
        Description="orders", Tags=[{"TagKey": "team", "TagValue": "payments"}], Policy=policy
    )["KeyMetadata"]
    assert _describe(kms, meta["KeyId"])["Description"] == "orders"
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])
    assert tags["Tags"] == [{"TagKey": "team", "TagValue": "payments"}]
    assert kms.get_key_policy(KeyId=meta["KeyId"])["Policy"] == policy


def test_create_key_refuses_reserved_tags(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Tags=[{"TagKey": "aws:owner", "TagValue": "x"}])
    assert error_of(excinfo) == ("TagException", "Tags beginning with aws: are reserved")
    assert kms.list_keys()["Keys"] == []


def test_external_key_waits_for_its_material(kms: Any) -> None:
    meta = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert (meta["Origin"], meta["KeyState"], meta["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    assert "CurrentKeyMaterialId" not in meta
    assert "CurrentKeyMaterialId" not in _describe(kms, meta["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key(KeyId=meta["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{meta['Arn']} is pending import.")


def test_cloudhsm_key_lives_in_a_connected_store(kms: Any) -> None:
    store = connected_store(kms)
    response = kms.create_key(Origin="AWS_CLOUDHSM", CustomKeyStoreId=store)
    assert_matches_output_shape("CreateKey", response)
    meta = _describe(kms, response["KeyMetadata"]["KeyId"])
    assert (meta["Origin"], meta["CustomKeyStoreId"], meta["KeyState"]) == ("AWS_CLOUDHSM", store, "Enabled")
    assert meta["CloudHsmClusterId"] == "cluster-234567abcdefg"  # the store's cluster
    assert "CurrentKeyMaterialId" not in meta


def test_external_key_store_key_shows_its_xks_key(kms: Any) -> None:
    response = kms.create_key(
        Origin="EXTERNAL_KEY_STORE", CustomKeyStoreId=connected_store(kms, "EXTERNAL_KEY_STORE"), XksKeyId="ext-key-1"
    )
    assert_matches_output_shape("CreateKey", response)
    meta = _describe(kms, response["KeyMetadata"]["KeyId"])
    assert meta["XksKeyConfiguration"] == {"Id": "ext-key-1"}
    assert meta["Origin"] == "EXTERNAL_KEY_STORE"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"Origin": "AWS_CLOUDHSM"}, ("ValidationException", "CustomKeyStoreId is required for Origin AWS_CLOUDHSM.")),
        (
            {"CustomKeyStoreId": "cks-1234567890abcdef0"},
            ("ValidationException", "CustomKeyStoreId is not valid for Origin AWS_KMS."),
        ),
        ({"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": "my-store"}, ("CustomKeyStoreNotFoundException", "")),
        (
            {"Origin": "EXTERNAL_KEY_STORE", "CustomKeyStoreId": "cks-1234567890abcdef0"},
            ("ValidationException", "XksKeyId is required for Origin EXTERNAL_KEY_STORE."),
        ),
        (
            {"Origin": "AWS_CLOUDHSM", "CustomKeyStoreId": "cks-1234567890abcdef0", "MultiRegion": True},
            ("UnsupportedOperationException", "You cannot create a multi-Region key in a custom key store."),
        ),
    ],
)
def test_create_key_custom_key_store_errors(kms: Any, params: dict[str, Any], expected: tuple[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(**params)
    assert error_of(excinfo) == expected


def test_multi_region_key_has_an_mrk_id_and_its_configuration(kms: Any) -> None:
    response = kms.create_key(MultiRegion=True, Description="global")
    assert_matches_output_shape("CreateKey", response)
    meta = response["KeyMetadata"]
    assert meta["KeyId"].startswith("mrk-") and len(meta["KeyId"]) == 36
    assert meta["MultiRegion"] is True
    assert meta["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "PRIMARY",
        "PrimaryKey": {"Arn": meta["Arn"], "Region": "us-east-1"},
        "ReplicaKeys": [],
    }
    assert _describe(kms, meta["KeyId"]) == meta


def test_single_region_key_has_no_multi_region_configuration(symmetric_key: dict[str, Any]) -> None:
    assert symmetric_key["MultiRegion"] is False
    assert "MultiRegionConfiguration" not in symmetric_key


# -- key references ----------------------------------------------------------------------------


def test_describe_key_accepts_id_arn_alias_and_alias_arn(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    for ref in (symmetric_key["KeyId"], symmetric_key["Arn"], "alias/orders", f"{ARN_PREFIX}:alias/orders"):
        assert _describe(kms, ref)["Arn"] == symmetric_key["Arn"]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("fake-key-id", ("NotFoundException", "Invalid keyId 'fake-key-id'")),
        ("mrk-fake-key-id", ("NotFoundException", "Invalid keyId 'mrk-fake-key-id'")),
        (
            "11111111-2222-4333-8444-555555555555",
            ("NotFoundException", f"Key '{ARN_PREFIX}:key/11111111-2222-4333-8444-555555555555' does not exist"),
        ),
        (
            f"{ARN_PREFIX}:key/mrk-d3b95762d3b95762d3b95762d3b95762",
            ("NotFoundException", f"Key '{ARN_PREFIX}:key/mrk-d3b95762d3b95762d3b95762d3b95762' does not exist"),
        ),
        ("alias/missing", ("NotFoundException", f"Alias {ARN_PREFIX}:alias/missing is not found.")),
    ],
)
def test_describe_key_errors(kms: Any, ref: str, expected: tuple[str, str]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=ref)
    assert error_of(excinfo) == expected


KEY_ONLY_OPERATIONS = [
    ("enable_key", {}),
    ("disable_key", {}),
    ("schedule_key_deletion", {}),
    ("cancel_key_deletion", {}),
    ("update_key_description", {"Description": "x"}),
    ("tag_resource", {"Tags": [{"TagKey": "a", "TagValue": "b"}]}),
    ("untag_resource", {"TagKeys": ["a"]}),
    ("list_resource_tags", {}),
    ("get_key_policy", {"PolicyName": "default"}),
    ("put_key_policy", {"PolicyName": "default", "Policy": "{}"}),
    ("list_key_policies", {}),
]


@pytest.mark.parametrize(("method", "extra"), KEY_ONLY_OPERATIONS)
@pytest.mark.parametrize("form", ["name", "arn"])
def test_key_only_operations_refuse_aliases(
    kms: Any, symmetric_key: dict[str, Any], method: str, extra: dict[str, Any], form: str
) -> None:
    kms.create_alias(AliasName="alias/orders", TargetKeyId=symmetric_key["KeyId"])
    ref = "alias/orders" if form == "name" else f"{ARN_PREFIX}:alias/orders"
    with pytest.raises(ClientError) as excinfo:
        getattr(kms, method)(KeyId=ref, **extra)
    assert error_of(excinfo) == ALIAS_REFUSED


@pytest.mark.parametrize(("method", "extra"), KEY_ONLY_OPERATIONS)
def test_key_only_operations_accept_the_key_arn(
    kms: Any, symmetric_key: dict[str, Any], method: str, extra: dict[str, Any]
) -> None:
    if method == "cancel_key_deletion":
        kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"])
    response = getattr(kms, method)(KeyId=symmetric_key["Arn"], **extra)
    operation = "".join(part.capitalize() for part in method.split("_"))
    assert_matches_output_shape(operation, response)


# -- account and region scope ------------------------------------------------------------------


def test_keys_are_scoped_by_region(kms: Any, symmetric_key: dict[str, Any]) -> None:
    west = boto3.client("kms", region_name="us-west-2")
    assert west.list_keys()["Keys"] == []
    with pytest.raises(ClientError) as excinfo:
        west.describe_key(KeyId=symmetric_key["KeyId"])
    west_arn = f"arn:aws:kms:us-west-2:{ACCOUNT}:key/{symmetric_key['KeyId']}"
    assert error_of(excinfo) == ("NotFoundException", f"Key '{west_arn}' does not exist")
    with pytest.raises(ClientError) as excinfo:
        west.describe_key(KeyId=symmetric_key["Arn"])
    assert error_of(excinfo) == ("NotFoundException", "Invalid arn us-east-1")
    west_key = west.create_key()["KeyMetadata"]
    assert west_key["Arn"].startswith(f"arn:aws:kms:us-west-2:{ACCOUNT}:key/")
    assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [symmetric_key["KeyId"]]


def test_enable_key_with_an_arn_of_another_region(kms: Any, symmetric_key: dict[str, Any]) -> None:
    west = boto3.client("kms", region_name="us-west-2")
    with pytest.raises(ClientError) as excinfo:
        west.enable_key(KeyId=symmetric_key["Arn"])
    assert error_of(excinfo) == ("NotFoundException", "Invalid arn us-east-1")


# -- ListKeys ----------------------------------------------------------------------------------


def test_list_keys_pages_with_limit_and_marker(kms: Any) -> None:
    created = [kms.create_key()["KeyMetadata"] for _ in range(5)]
    first = kms.list_keys(Limit=2)
    assert_matches_output_shape("ListKeys", first)
    assert first["Truncated"] is True
    seen = list(first["Keys"])
    marker = first["NextMarker"]
    while marker:
        page = kms.list_keys(Limit=2, Marker=marker)
        assert_matches_output_shape("ListKeys", page)
        seen += page["Keys"]
        marker = page.get("NextMarker")
        assert page["Truncated"] is (marker is not None)
    assert seen == [{"KeyId": m["KeyId"], "KeyArn": m["Arn"]} for m in created]


def test_list_keys_paginator(kms: Any) -> None:
    for _ in range(3):
        kms.create_key()
    pages = list(kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1}))
    assert [len(p["Keys"]) for p in pages] == [1, 1, 1]


def test_list_keys_limit_above_1000_is_refused(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.list_keys(Limit=1001)
    assert error_of(excinfo) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )


def test_list_keys_invalid_marker_has_no_message(kms: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.list_keys(Marker="not-a-marker")
    assert error_of(excinfo) == ("InvalidMarkerException", "")
    assert sent_no_message(excinfo)


# -- life cycle --------------------------------------------------------------------------------


def test_disable_and_enable_key(kms: Any, symmetric_key: dict[str, Any]) -> None:
    key_id = symmetric_key["KeyId"]
    assert_matches_output_shape("DisableKey", kms.disable_key(KeyId=key_id))
    meta = _describe(kms, key_id)
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    kms.disable_key(KeyId=key_id)  # idempotent, as in AWS
    assert_matches_output_shape("EnableKey", kms.enable_key(KeyId=key_id))
    meta = _describe(kms, key_id)
    assert (meta["KeyState"], meta["Enabled"]) == ("Enabled", True)


def test_schedule_key_deletion_defaults_to_30_days(kms: Any, kms_rotation: Any, symmetric_key: dict[str, Any]) -> None:
    response = kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"])
    assert_matches_output_shape("ScheduleKeyDeletion", response)
    now = kms_rotation.clock.now()
    assert response["KeyId"] == symmetric_key["Arn"]
    assert response["KeyState"] == "PendingDeletion"
    assert response["PendingWindowInDays"] == 30
    assert response["DeletionDate"] == now + timedelta(days=30)
    meta = _describe(kms, symmetric_key["KeyId"])
    expected = ("PendingDeletion", False, now + timedelta(days=30))
    assert (meta["KeyState"], meta["Enabled"], meta["DeletionDate"]) == expected
    assert meta["PendingDeletionWindowInDays"] == 30


@pytest.mark.parametrize("days", [7, 30])
def test_schedule_key_deletion_window_bounds(kms: Any, symmetric_key: dict[str, Any], days: int) -> None:
    response = kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=days)
    assert response["PendingWindowInDays"] == days


@pytest.mark.parametrize(
    ("days", "bound"), [(6, "greater than or equal to 7"), (31, "less than or equal to 30")]
)
def test_schedule_key_deletion_window_outside_7_to_30(
    kms: Any, symmetric_key: dict[str, Any], days: int, bound: str
) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=days)
    assert error_of(excinfo) == (
        "ValidationException",
        f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
        f"constraint: Member must have value {bound}",
    )
    assert _describe(kms, symmetric_key["KeyId"])["KeyState"] == "Enabled"


def test_cancel_key_deletion_leaves_the_key_disabled(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"], PendingWindowInDays=7)
    response = kms.cancel_key_deletion(KeyId=symmetric_key["KeyId"])
    assert_matches_output_shape("CancelKeyDeletion", response)
    assert response == {"KeyId": symmetric_key["Arn"], "ResponseMetadata": response["ResponseMetadata"]}
    meta = _describe(kms, symmetric_key["KeyId"])
    assert meta["KeyState"] == "Disabled"
    assert "DeletionDate" not in meta and "PendingDeletionWindowInDays" not in meta


def test_cancel_key_deletion_of_a_key_not_pending_deletion(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.cancel_key_deletion(KeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{symmetric_key['Arn']} is not pending deletion.")


@pytest.mark.parametrize(
    ("method", "extra"),
    [
        ("enable_key", {}),
        ("disable_key", {}),
        ("schedule_key_deletion", {}),
        ("update_key_description", {"Description": "x"}),
        ("tag_resource", {"Tags": [{"TagKey": "a", "TagValue": "b"}]}),
        ("untag_resource", {"TagKeys": ["a"]}),
    ],
)
def test_operations_refused_while_pending_deletion(
    kms: Any, symmetric_key: dict[str, Any], method: str, extra: dict[str, Any]
) -> None:
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        getattr(kms, method)(KeyId=symmetric_key["KeyId"], **extra)
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{symmetric_key['Arn']} is pending deletion.")


def test_reads_still_work_while_pending_deletion(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.schedule_key_deletion(KeyId=symmetric_key["KeyId"])
    assert kms.list_resource_tags(KeyId=symmetric_key["KeyId"])["Tags"] == []
    assert kms.get_key_policy(KeyId=symmetric_key["KeyId"])["PolicyName"] == "default"
    assert symmetric_key["KeyId"] in [k["KeyId"] for k in kms.list_keys()["Keys"]]


@pytest.mark.parametrize("method", ["enable_key", "disable_key", "schedule_key_deletion", "cancel_key_deletion"])
def test_life_cycle_of_a_missing_key(kms: Any, method: str) -> None:
    missing = "11111111-2222-4333-8444-555555555555"
    with pytest.raises(ClientError) as excinfo:
        getattr(kms, method)(KeyId=missing)
    assert error_of(excinfo) == ("NotFoundException", f"Key '{ARN_PREFIX}:key/{missing}' does not exist")


def test_update_key_description(kms: Any, symmetric_key: dict[str, Any]) -> None:
    response = kms.update_key_description(KeyId=symmetric_key["KeyId"], Description="renamed")
    assert_matches_output_shape("UpdateKeyDescription", response)
    assert _describe(kms, symmetric_key["KeyId"])["Description"] == "renamed"


# -- determinism and threads -------------------------------------------------------------------


def test_key_ids_are_the_same_on_every_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3

        def test_ids(kms_rotation):
            kms = boto3.client("kms", region_name="us-east-1")
            ids = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2)]
            ids.append(kms.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"])
            print("IDS=" + ",".join(ids))
        """
    )
    runs = []
    for _ in range(2):
        result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
        result.assert_outcomes(passed=1)
        [line] = [line for line in result.outlines if line.startswith("IDS=") or "IDS=" in line]
        runs.append(line[line.index("IDS="):])
    assert runs[0] == runs[1]
    ids = runs[0][len("IDS="):].split(",")
    assert len(set(ids)) == 3 and ids[2].startswith("mrk-")


def test_sixteen_threads_lose_no_keys_or_aliases(kms: Any) -> None:
    per_thread = 5
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            client = boto3.client("kms", region_name="us-east-1")
            for i in range(per_thread):
                key_id = client.create_key()["KeyMetadata"]["KeyId"]
                client.create_alias(AliasName=f"alias/t{n}-{i}", TargetKeyId=key_id)
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    keys = list(kms.get_paginator("list_keys").paginate().search("Keys[].KeyId"))
    aliases = [a for a in kms.get_paginator("list_aliases").paginate().search("Aliases[]") if "TargetKeyId" in a]
    assert len(keys) == len(set(keys)) == 16 * per_thread
    assert len(aliases) == 16 * per_thread
    assert {a["TargetKeyId"] for a in aliases} == set(keys)
