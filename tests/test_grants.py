"""Grants (issue 15): CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests._model import requires_member, requires_model
from tests._rotation_support import expect_error, wait_for_replica
from tests.conftest import error_of

SERVICE_PRINCIPALS = requires_member("CreateGrantRequest", "GranteeServicePrincipal")

Check = Callable[[str, dict[str, Any]], dict[str, Any]]
ROLE = "arn:aws:iam::111122223333:role/worker"
RETIRER = "arn:aws:iam::111122223333:role/retirer"
DRY_RUN = ("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")


def grant(kms: Any, key_id: str, **extra: Any) -> dict[str, Any]:
    params = {"KeyId": key_id, "GranteePrincipal": ROLE, "Operations": ["Encrypt", "Decrypt"], **extra}
    return kms.create_grant(**params)  # type: ignore[no-any-return]


def listed(kms: Any, key_id: str, **extra: Any) -> list[dict[str, Any]]:
    return [g for page in kms.get_paginator("list_grants").paginate(KeyId=key_id, **extra) for g in page["Grants"]]


def test_create_grant_answers_aws_formats(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    created = shape_checked("CreateGrant", grant(kms, symmetric_key["KeyId"], Name="svc"))
    assert re.fullmatch(r"[0-9a-f]{64}", created["GrantId"])
    token = created["GrantToken"]
    assert token.startswith("AQpA") and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    # As in AWS's recorded tokens, the grant ID is the token's first field.
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert raw[3:67].decode() == created["GrantId"]


def test_list_grants_shows_what_was_granted(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    context = {"EncryptionContextSubset": {"tenant": "a"}}
    created = grant(kms, symmetric_key["KeyId"], Name="svc", RetiringPrincipal=RETIRER, Constraints=context)
    response = shape_checked("ListGrants", kms.list_grants(KeyId=symmetric_key["KeyId"]))
    assert response["Truncated"] is False and "NextMarker" not in response
    [entry] = response["Grants"]
    assert entry["GrantId"] == created["GrantId"]
    assert entry["KeyId"] == symmetric_key["Arn"]
    assert entry["Name"] == "svc"
    assert entry["GranteePrincipal"] == ROLE and entry["RetiringPrincipal"] == RETIRER
    assert entry["IssuingAccount"] == "arn:aws:iam::111122223333:root"
    assert entry["Operations"] == ["Encrypt", "Decrypt"]
    assert entry["Constraints"] == context
    assert entry["CreationDate"] == symmetric_key["CreationDate"]  # the clock did not move


def test_a_grant_without_name_lists_no_name(kms: Any, symmetric_key: dict[str, Any]) -> None:
    grant(kms, symmetric_key["KeyId"])
    [entry] = listed(kms, symmetric_key["KeyId"])
    assert "Name" not in entry and "RetiringPrincipal" not in entry and "Constraints" not in entry


def test_name_makes_create_grant_idempotent(kms: Any, symmetric_key: dict[str, Any]) -> None:
    first = grant(kms, symmetric_key["KeyId"], Name="svc")
    again = grant(kms, symmetric_key["KeyId"], Name="svc")
    assert again["GrantId"] == first["GrantId"]
    assert again["GrantToken"] != first["GrantToken"]  # every call gets its own token
    other = grant(kms, symmetric_key["KeyId"], Name="svc", Operations=["Encrypt"])
    unnamed = [grant(kms, symmetric_key["KeyId"]) for _ in range(2)]
    assert len({first["GrantId"], other["GrantId"], *(u["GrantId"] for u in unnamed)}) == 4
    assert len(listed(kms, symmetric_key["KeyId"])) == 4


def test_list_grants_pages_and_filters(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    ids = [grant(kms, symmetric_key["KeyId"], GranteePrincipal=f"{ROLE}{i % 2}")["GrantId"] for i in range(5)]
    first = shape_checked("ListGrants", kms.list_grants(KeyId=symmetric_key["KeyId"], Limit=2))
    assert first["Truncated"] is True and len(first["Grants"]) == 2
    assert [g["GrantId"] for g in listed(kms, symmetric_key["KeyId"], PaginationConfig={"PageSize": 2})] == ids
    assert [g["GrantId"] for g in listed(kms, symmetric_key["KeyId"], GranteePrincipal=f"{ROLE}1")] == ids[1::2]
    assert [g["GrantId"] for g in listed(kms, symmetric_key["KeyId"], GrantId=ids[3])] == [ids[3]]
    assert listed(kms, symmetric_key["KeyId"], GrantId="0" * 64) == []
    with pytest.raises(ClientError) as excinfo:
        kms.list_grants(KeyId=symmetric_key["KeyId"], GrantId="not-a-grant-id")
    assert error_of(excinfo) == ("InvalidGrantIdException", "Invalid grant ID")
    with pytest.raises(ClientError) as excinfo:
        kms.list_grants(KeyId=symmetric_key["KeyId"], Marker=first["NextMarker"], GranteePrincipal=ROLE)
    assert error_of(excinfo) == ("InvalidMarkerException", "")


def test_grants_belong_to_their_key(kms: Any, symmetric_key: dict[str, Any]) -> None:
    other = kms.create_key()["KeyMetadata"]
    grant(kms, symmetric_key["KeyId"])
    assert listed(kms, other["KeyId"]) == []


def test_retire_grant_by_token(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    created = grant(kms, symmetric_key["KeyId"])
    shape_checked("RetireGrant", kms.retire_grant(GrantToken=created["GrantToken"]))
    assert listed(kms, symmetric_key["KeyId"]) == []
    with pytest.raises(ClientError) as excinfo:
        kms.retire_grant(GrantToken=created["GrantToken"])
    assert error_of(excinfo) == ("NotFoundException", f"Grant ID {created['GrantId']} not found")


def test_retire_grant_by_key_and_grant_id(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    created = grant(kms, symmetric_key["KeyId"])
    kept = grant(kms, symmetric_key["KeyId"])
    shape_checked("RetireGrant", kms.retire_grant(KeyId=symmetric_key["Arn"], GrantId=created["GrantId"]))
    assert [g["GrantId"] for g in listed(kms, symmetric_key["KeyId"])] == [kept["GrantId"]]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ("ValidationException", "Grant token OR (grant ID, key ID) must be specified")),
        ({"GrantId": "0" * 64}, ("ValidationException", "Grant token OR (grant ID, key ID) must be specified")),
        ({"GrantToken": "AQpAbm90LWEtdG9rZW4"}, ("InvalidGrantTokenException", "Invalid grant token")),
        ({"KeyId": "KEY", "GrantId": "0" * 64}, ("NotFoundException", f"Grant ID {'0' * 64} not found")),
        ({"KeyId": "KEY", "GrantId": "short"}, ("InvalidGrantIdException", "Invalid grant ID")),
    ],
)
def test_retire_grant_refusals(kms: Any, symmetric_key: dict[str, Any], params: dict[str, Any],
                               expected: tuple[str, str]) -> None:
    params = {k: (symmetric_key["Arn"] if v == "KEY" else v) for k, v in params.items()}
    with pytest.raises(ClientError) as excinfo:
        kms.retire_grant(**params)
    assert error_of(excinfo) == expected


def test_retire_grant_token_must_match_its_grant_id(kms: Any, symmetric_key: dict[str, Any]) -> None:
    created = grant(kms, symmetric_key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.retire_grant(GrantToken=created["GrantToken"], GrantId="0" * 64)
    assert error_of(excinfo) == ("InvalidGrantIdException", "Grant ID does not match the grant token")


def test_revoke_grant(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    created = grant(kms, symmetric_key["KeyId"])
    shape_checked("RevokeGrant", kms.revoke_grant(KeyId=symmetric_key["KeyId"], GrantId=created["GrantId"]))
    assert listed(kms, symmetric_key["KeyId"]) == []
    with pytest.raises(ClientError) as excinfo:
        kms.revoke_grant(KeyId=symmetric_key["KeyId"], GrantId=created["GrantId"])
    assert error_of(excinfo) == ("NotFoundException", f"Grant ID {created['GrantId']} not found")
    with pytest.raises(ClientError) as excinfo:  # the grant's token no longer retires anything
        kms.retire_grant(GrantToken=created["GrantToken"])
    assert error_of(excinfo)[0] == "NotFoundException"


def test_revoke_grant_of_another_key_is_not_found(kms: Any, symmetric_key: dict[str, Any]) -> None:
    created = grant(kms, symmetric_key["KeyId"])
    other = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.revoke_grant(KeyId=other["KeyId"], GrantId=created["GrantId"])
    assert error_of(excinfo) == ("NotFoundException", f"Grant ID {created['GrantId']} not found")


@requires_member("ListRetirableGrantsRequest", "RetiringServicePrincipal")
def test_list_retirable_grants(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    other = kms.create_key()["KeyMetadata"]
    mine = [grant(kms, k["KeyId"], RetiringPrincipal=RETIRER)["GrantId"] for k in (symmetric_key, other)]
    grant(kms, symmetric_key["KeyId"], RetiringPrincipal=ROLE)
    response = shape_checked("ListRetirableGrants", kms.list_retirable_grants(RetiringPrincipal=RETIRER))
    assert [g["GrantId"] for g in response["Grants"]] == mine
    assert [g["KeyId"] for g in response["Grants"]] == [symmetric_key["Arn"], other["Arn"]]
    page = kms.list_retirable_grants(RetiringPrincipal=RETIRER, Limit=1)
    assert page["Truncated"] is True
    rest = kms.list_retirable_grants(RetiringPrincipal=RETIRER, Marker=page["NextMarker"])
    assert [g["GrantId"] for g in page["Grants"] + rest["Grants"]] == mine
    with pytest.raises(ClientError) as excinfo:
        kms.list_retirable_grants()
    assert error_of(excinfo) == (
        "ValidationException", "Either RetiringPrincipal or RetiringServicePrincipal must be specified.")


def test_create_grant_dry_run(kms: Any, symmetric_key: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as excinfo:
        grant(kms, symmetric_key["KeyId"], DryRun=True)
    assert error_of(excinfo) == DRY_RUN
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert listed(kms, symmetric_key["KeyId"]) == []


def test_retire_and_revoke_dry_run_keep_the_grant(kms: Any, symmetric_key: dict[str, Any]) -> None:
    created = grant(kms, symmetric_key["KeyId"])
    for call in (lambda: kms.retire_grant(GrantToken=created["GrantToken"], DryRun=True),
                 lambda: kms.revoke_grant(KeyId=symmetric_key["KeyId"], GrantId=created["GrantId"], DryRun=True)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == DRY_RUN
    assert len(listed(kms, symmetric_key["KeyId"])) == 1


@pytest.mark.parametrize(
    "key_spec, key_usage, good, bad",
    [
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ["GenerateDataKeyPair", "ReEncryptFrom", "RetireGrant"], ["Sign"]),
        ("RSA_2048", "ENCRYPT_DECRYPT", ["Encrypt", "GetPublicKey"], ["GenerateDataKey"]),
        ("ECC_NIST_P256", "SIGN_VERIFY", ["Sign", "Verify", "DescribeKey"], ["Decrypt"]),
        ("HMAC_256", "GENERATE_VERIFY_MAC", ["GenerateMac", "VerifyMac"], ["Encrypt", "Sign"]),
        ("ECC_NIST_P256", "KEY_AGREEMENT", ["DeriveSharedSecret", "GetPublicKey"], ["Sign"]),
        pytest.param("ML_KEM_768", "ENCAPSULATE_DECAPSULATE", ["Encapsulate", "Decapsulate", "GetPublicKey"],
                     ["Encrypt"], marks=requires_model("KeySpec", "ML_KEM_768")),
    ],
)
def test_grant_operations_must_suit_the_key(kms: Any, key_spec: str, key_usage: str, good: list[str],
                                            bad: list[str]) -> None:
    key = kms.create_key(KeySpec=key_spec, KeyUsage=key_usage)["KeyMetadata"]
    grant(kms, key["KeyId"], Operations=good)
    with pytest.raises(ClientError) as excinfo:
        grant(kms, key["KeyId"], Operations=good + bad)
    assert error_of(excinfo) == (
        "ValidationException",
        f"Grant operations {sorted(bad)} are not valid for key {key['Arn']} with key spec {key_spec}.",
    )


def test_encryption_context_constraints_need_operations_that_take_one(kms: Any) -> None:
    rsa = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    sym = kms.create_key()["KeyMetadata"]
    constraint = {"EncryptionContextEquals": {"a": "b"}}
    kms.create_grant(KeyId=sym["KeyId"], GranteePrincipal=ROLE, Operations=["Decrypt", "DescribeKey"],
                     Constraints=constraint)
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=rsa["KeyId"], GranteePrincipal=ROLE, Operations=["Decrypt"], Constraints=constraint)
    assert error_of(excinfo) == (
        "ValidationException", "Grant constraints are not supported for the operations or the key spec of this grant.")
    both = {"EncryptionContextEquals": {"a": "b"}, "EncryptionContextSubset": {"a": "b"}}
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=sym["KeyId"], GranteePrincipal=ROLE, Operations=["Decrypt"], Constraints=both)
    assert error_of(excinfo) == (
        "ValidationException", "Only one of EncryptionContextEquals and EncryptionContextSubset can be specified.")


@pytest.mark.parametrize(
    "params, message",
    [
        pytest.param({"GranteePrincipal": None},
                     "Either GranteePrincipal or GranteeServicePrincipal must be specified.", marks=SERVICE_PRINCIPALS),
        pytest.param({"GranteeServicePrincipal": "s3.amazonaws.com"},
                     "Only one of GranteePrincipal and GranteeServicePrincipal can be specified.",
                     marks=SERVICE_PRINCIPALS),
        ({"Operations": []}, "1 validation error detected: Value '[]' at 'operations' failed to satisfy "
                             "constraint: Member must have length greater than or equal to 1"),
    ],
)
def test_create_grant_validation(kms: Any, symmetric_key: dict[str, Any], params: dict[str, Any],
                                 message: str) -> None:
    request = {"KeyId": symmetric_key["KeyId"], "GranteePrincipal": ROLE, "Operations": ["Encrypt"], **params}
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(**{k: v for k, v in request.items() if v is not None})
    assert error_of(excinfo) == ("ValidationException", message)


@SERVICE_PRINCIPALS
def test_a_service_principal_grantee(kms: Any, symmetric_key: dict[str, Any], shape_checked: Check) -> None:
    kms.create_grant(KeyId=symmetric_key["KeyId"], GranteeServicePrincipal="s3.amazonaws.com", Operations=["Encrypt"],
                     RetiringServicePrincipal="s3.amazonaws.com")
    [entry] = shape_checked("ListGrants", kms.list_grants(KeyId=symmetric_key["KeyId"]))["Grants"]
    assert entry["GranteeServicePrincipal"] == "s3.amazonaws.com" and "GranteePrincipal" not in entry
    retirable = kms.list_retirable_grants(RetiringServicePrincipal="s3.amazonaws.com")["Grants"]
    assert [g["GrantId"] for g in retirable] == [entry["GrantId"]]


def test_key_references_are_key_ids_or_arns(kms: Any, symmetric_key: dict[str, Any]) -> None:
    kms.create_alias(AliasName="alias/granted", TargetKeyId=symmetric_key["KeyId"])
    for call in (lambda: grant(kms, "alias/granted"), lambda: kms.list_grants(KeyId="alias/granted"),
                 lambda: kms.revoke_grant(KeyId="alias/granted", GrantId="0" * 64)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("InvalidArnException", "Key Aliases are not supported for this operation.")
    missing = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000"
    with pytest.raises(ClientError) as excinfo:
        grant(kms, missing)
    assert error_of(excinfo) == ("NotFoundException", f"Key '{missing}' does not exist")


def test_grants_on_keys_in_each_state(kms: Any, kms_rotation: Any) -> None:
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    grant(kms, disabled["KeyId"])  # a disabled key takes grants (key-state table)
    doomed = kms.create_key()["KeyMetadata"]
    kept = grant(kms, doomed["KeyId"], RetiringPrincipal=RETIRER)
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as excinfo:
        grant(kms, doomed["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{doomed['Arn']} is pending deletion.")
    assert [g["GrantId"] for g in listed(kms, doomed["KeyId"])] == [kept["GrantId"]]  # still listed
    kms_rotation.clock.advance(days=8)  # the key is deleted, and its grants with it
    assert kms.list_retirable_grants(RetiringPrincipal=RETIRER)["Grants"] == []
    with pytest.raises(ClientError) as excinfo:
        kms.retire_grant(GrantToken=kept["GrantToken"])
    assert error_of(excinfo)[0] == "NotFoundException"


def test_aws_managed_keys_refuse_direct_grants_but_list_them(kms: Any) -> None:
    managed = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        grant(kms, managed["KeyId"])
    assert error_of(excinfo) == (
        "AccessDeniedException",
        f"User: arn:aws:iam::111122223333:root is not authorized to perform: kms:CreateGrant on resource: "
        f"{managed['Arn']} because no resource-based policy allows the kms:CreateGrant action",
    )
    assert kms.list_grants(KeyId=managed["KeyId"])["Grants"] == []


def test_replicas_have_grants_of_their_own(kms: Any, kms_rotation: Any) -> None:
    import boto3

    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    replica = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
    west = boto3.client("kms", region_name="us-west-2")
    expect_error(west.create_grant, "KMSInvalidStateException", f"{replica['Arn']} is creating.",
                 KeyId=replica["Arn"], GranteePrincipal=ROLE, Operations=["Decrypt"])
    wait_for_replica(west, replica["Arn"])
    on_primary = grant(kms, primary["KeyId"])
    on_replica = grant(west, replica["Arn"])
    assert [g["GrantId"] for g in listed(kms, primary["KeyId"])] == [on_primary["GrantId"]]
    assert [g["GrantId"] for g in listed(west, replica["KeyId"])] == [on_replica["GrantId"]]
    assert listed(west, replica["KeyId"])[0]["KeyId"] == replica["Arn"]


def test_grant_tokens_are_accepted_by_the_operations_that_take_them(
    kms: Any, symmetric_key: dict[str, Any], shape_checked: Check
) -> None:
    token = grant(kms, symmetric_key["KeyId"])["GrantToken"]
    blob = shape_checked("Encrypt", kms.encrypt(KeyId=symmetric_key["KeyId"], Plaintext=b"p", GrantTokens=[token]))
    plain = shape_checked("Decrypt", kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], GrantTokens=[token]))
    assert plain["Plaintext"] == b"p"
    shape_checked("DescribeKey", kms.describe_key(KeyId=symmetric_key["KeyId"], GrantTokens=[token]))
    shape_checked("GenerateDataKey", kms.generate_data_key(KeyId=symmetric_key["KeyId"], KeySpec="AES_256",
                                                           GrantTokens=[token]))
    shape_checked("CreateGrant", grant(kms, symmetric_key["KeyId"], GrantTokens=[token]))
