"""Opt-in policy enforcement: who may rotate, through key policies, identity policies and the
caller's identity, with AWS's AccessDeniedException messages (fidelity: "Key policies and callers")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate import Config, KMSError, KmsRotation, Principal

from ..conftest import error_of

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROTATOR = f"arn:aws:iam::{ACCOUNT}:role/rotator"


def _statement(actions: list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": "*", **extra}


def _identity(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


@pytest.fixture
def fake() -> Iterator[KmsRotation]:
    with KmsRotation(Config(seed="policies", enforce_policies=True)) as running:
        yield running


@pytest.fixture
def admin(fake: KmsRotation) -> Any:
    """The account root (the fake's default caller)."""
    return boto3.client("kms", region_name="us-east-1")


@pytest.fixture
def key(admin: Any) -> str:
    return str(admin.create_key()["KeyMetadata"]["Arn"])


def _denied(message: str, action: str, arn: str, caller: str = ROTATOR) -> str:
    return f"User: {caller} is not authorized to perform: {action} on resource: {arn} {message}"


def test_the_default_key_policy_delegates_to_iam(fake: KmsRotation, key: str) -> None:
    rotator = fake.principal(ROTATOR).client()
    with pytest.raises(ClientError) as excinfo:
        rotator.rotate_key_on_demand(KeyId=key)
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "because no identity-based policy allows the kms:RotateKeyOnDemand action", "kms:RotateKeyOnDemand", key))
    fake.attach_policy(ROTATOR, _identity(_statement(["kms:RotateKeyOnDemand"])))
    assert rotator.rotate_key_on_demand(KeyId=key)["KeyId"] == key
    fake.assert_rotated(key, times=1, type="ON_DEMAND")


def test_the_account_root_needs_no_identity_policy(admin: Any, key: str) -> None:
    admin.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    assert admin.get_key_rotation_status(KeyId=key)["KeyRotationEnabled"] is True


def test_a_rotation_role_gets_exactly_what_it_is_allowed(fake: KmsRotation, admin: Any, key: str) -> None:
    fake.attach_policy(ROTATOR, _identity(_statement(["kms:RotateKeyOnDemand", "kms:ListKeyRotations"])))
    rotator = fake.principal(ROTATOR).client()
    rotator.rotate_key_on_demand(KeyId=key)
    fake.complete_rotations()
    assert len(rotator.list_key_rotations(KeyId=key)["Rotations"]) == 1
    for call, action in ((lambda: rotator.enable_key_rotation(KeyId=key), "kms:EnableKeyRotation"),
                         (lambda: rotator.describe_key(KeyId=key), "kms:DescribeKey"),
                         (lambda: rotator.get_key_rotation_status(KeyId=key), "kms:GetKeyRotationStatus")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("AccessDeniedException", _denied(
            f"because no identity-based policy allows the {action} action", action, key))
    with pytest.raises(ClientError) as excinfo:
        rotator.list_keys()
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "because no identity-based policy allows the kms:ListKeys action", "kms:ListKeys", "*"))


def test_a_condition_on_the_rotation_period(fake: KmsRotation, key: str) -> None:
    fake.attach_policy(ROTATOR, _identity(_statement(
        ["kms:EnableKeyRotation"], Condition={"NumericLessThanEquals": {"kms:RotationPeriodInDays": "365"}})))
    rotator = fake.principal(ROTATOR).client()
    with pytest.raises(ClientError) as excinfo:
        rotator.enable_key_rotation(KeyId=key, RotationPeriodInDays=400)
    assert error_of(excinfo)[0] == "AccessDeniedException"
    assert fake.key(key).rotation_enabled is False
    rotator.enable_key_rotation(KeyId=key, RotationPeriodInDays=365)
    assert fake.key(key).rotation_period_days == 365


def test_an_explicit_deny_in_the_key_policy_wins(fake: KmsRotation, admin: Any) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "no rotation by the job", "Effect": "Deny", "Principal": {"AWS": ROTATOR},
         "Action": "kms:Rotate*", "Resource": "*"}]}
    key = admin.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    fake.attach_policy(ROTATOR, _identity(_statement(["kms:*"])))
    rotator = fake.principal(ROTATOR).client()
    with pytest.raises(ClientError) as excinfo:
        rotator.rotate_key_on_demand(KeyId=key)
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "with an explicit deny in a resource-based policy", "kms:RotateKeyOnDemand", key))
    assert fake.calls[-1].decided_by == "key policy statement 'no rotation by the job'"
    rotator.enable_key_rotation(KeyId=key)  # the deny names only Rotate*


def test_an_explicit_deny_in_an_identity_policy(fake: KmsRotation, key: str) -> None:
    fake.attach_policy(ROTATOR, _identity(_statement(["kms:*"]),
                                          {"Effect": "Deny", "Action": "kms:DisableKeyRotation", "Resource": "*"}))
    rotator = fake.principal(ROTATOR).client()
    rotator.enable_key_rotation(KeyId=key)
    with pytest.raises(ClientError) as excinfo:
        rotator.disable_key_rotation(KeyId=key)
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "with an explicit deny in an identity-based policy", "kms:DisableKeyRotation", key))


def test_a_key_policy_naming_the_role_needs_no_identity_policy(fake: KmsRotation, admin: Any) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": ROTATOR}, "Action": "kms:RotateKeyOnDemand", "Resource": "*"}]}
    key = admin.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/rotator/nightly"
    assert fake.principal(session).client().rotate_key_on_demand(KeyId=key)["KeyId"] == key


def test_without_a_root_statement_identity_policies_count_for_nothing(fake: KmsRotation, admin: Any) -> None:
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"}, "Action": "kms:*",
         "Resource": "*"}]}
    key = admin.create_key(Policy=json.dumps(policy), BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]["Arn"]
    fake.attach_policy(ROTATOR, _identity(_statement(["kms:*"])))
    with pytest.raises(ClientError) as excinfo:
        fake.principal(ROTATOR).client().rotate_key_on_demand(KeyId=key)
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "because no resource-based policy allows the kms:RotateKeyOnDemand action", "kms:RotateKeyOnDemand", key))


def test_cross_account_rotation_is_refused_but_decrypt_works(fake: KmsRotation, admin: Any) -> None:
    reader = f"arn:aws:iam::{OTHER}:role/reader"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "kms:*", "Resource": "*"}]}
    key = admin.create_key(Policy=json.dumps(policy))["KeyMetadata"]["Arn"]
    blob = admin.encrypt(KeyId=key, Plaintext=b"shared")["CiphertextBlob"]
    other = fake.principal(reader).client()
    with pytest.raises(ClientError) as excinfo:
        other.decrypt(CiphertextBlob=blob)
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "because no identity-based policy allows the kms:Decrypt action", "kms:Decrypt", key, reader))
    fake.attach_policy(reader, _identity(_statement(["kms:Decrypt", "kms:RotateKeyOnDemand"])))
    assert other.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    with pytest.raises(ClientError) as excinfo:
        other.rotate_key_on_demand(KeyId=key)
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "because no resource-based policy allows the kms:RotateKeyOnDemand action", "kms:RotateKeyOnDemand",
        key, reader))
    # The other account's own keys live in its own account.
    own = fake.principal(f"arn:aws:iam::{OTHER}:root").client().create_key()["KeyMetadata"]["Arn"]
    assert own.split(":")[4] == OTHER


def test_the_lockout_safety_check(fake: KmsRotation, admin: Any, key: str) -> None:
    locked = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROTATOR}, "Action": "kms:*", "Resource": "*"}]})
    for call in (lambda: admin.put_key_policy(KeyId=key, PolicyName="default", Policy=locked),
                 lambda: admin.create_key(Policy=locked)):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("MalformedPolicyDocumentException",
                                     "The new key policy will not allow you to update the key policy in the future.")
    admin.put_key_policy(KeyId=key, PolicyName="default", Policy=locked, BypassPolicyLockoutSafetyCheck=True)
    with pytest.raises(ClientError) as excinfo:
        admin.describe_key(KeyId=key)
    assert error_of(excinfo)[0] == "AccessDeniedException", "the root is locked out, as AWS warns"


def test_malformed_policies_are_refused(fake: KmsRotation, admin: Any) -> None:
    bad_principal = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "nobody"},
                                               "Action": "kms:*", "Resource": "*"}]})
    with pytest.raises(ClientError) as excinfo:
        admin.create_key(Policy=bad_principal)
    assert error_of(excinfo) == ("MalformedPolicyDocumentException",
                                 "Policy contains a statement with one or more invalid principals.")
    with pytest.raises(KMSError) as raised:
        fake.attach_policy(ROTATOR, "{not json")
    assert (raised.value.code, raised.value.message) == ("MalformedPolicyDocumentException",
                                                         "The policy is not a valid JSON document.")
    with pytest.raises(ValueError, match=r"kms_rotation\.attach_policy: principal must be an IAM principal ARN"):
        fake.attach_policy("rotator", _identity())


def test_denied_calls_are_logged_and_reported(fake: KmsRotation, key: str) -> None:
    with pytest.raises(ClientError):
        fake.principal(ROTATOR).client().enable_key_rotation(KeyId=key)
    (record,) = fake.events.where(name="EnableKeyRotation")
    assert record["errorCode"] == "AccessDeniedException"
    assert record["userIdentity"] == {"type": "AssumedRole", "accountId": ACCOUNT, "arn": ROTATOR}
    assert record["errorMessage"].startswith(f"User: {ROTATOR} is not authorized")
    assert (f"    denied {ROTATOR}: key policy statement 'Enable IAM User Permissions' needs an identity "
            "policy, and none allows kms:EnableKeyRotation") in fake.report().splitlines()


def test_principals_and_their_credentials() -> None:
    with KmsRotation(Config(seed="principals")) as fake:
        rotator = fake.principal(ROTATOR)
        assert isinstance(rotator, Principal) and rotator.arn == ROTATOR and rotator.account == ACCOUNT
        assert fake.principal(ROTATOR).access_key_id == rotator.access_key_id, "the same principal, the same key"
        assert rotator.access_key_id.startswith("AKIA") and len(rotator.access_key_id) == 20
        assert rotator.environment()["AWS_ACCESS_KEY_ID"] == rotator.access_key_id
        client = boto3.client("kms", **rotator.client_kwargs)
        client.create_key()
        assert fake.calls[-1].caller == ROTATOR
        with pytest.raises(ValueError, match=r"kms_rotation.principal: principal must be an IAM principal ARN"):
            fake.principal("arn:aws:iam::123:role/x")


def test_enforcement_is_off_by_default() -> None:
    with KmsRotation(Config(seed="off")) as fake:
        admin = boto3.client("kms", region_name="us-east-1")
        key = admin.create_key()["KeyMetadata"]["Arn"]
        fake.principal(ROTATOR).client().rotate_key_on_demand(KeyId=key)
        assert fake.calls[-1].decided_by is None and fake.calls[-1].ok


def test_the_marker_switches_enforcement_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3, pytest
        from botocore.exceptions import ClientError

        @pytest.mark.kms_rotation(enforce_policies=True)
        def test_it(kms_rotation):
            key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
            job = kms_rotation.principal("arn:aws:iam::111122223333:role/job").client()
            with pytest.raises(ClientError, match="AccessDeniedException"):
                job.rotate_key_on_demand(KeyId=key)
        """
    )
    pytester.makeini("[pytest]\nkms_rotation_enforce_policies = false\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_grant_authorises_its_operations_with_its_constraints_until_retired(fake: KmsRotation, admin: Any,
                                                                             key: str) -> None:
    reader = f"arn:aws:iam::{ACCOUNT}:role/reader"
    blob = admin.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"app": "billing"})["CiphertextBlob"]
    client = fake.principal(reader).client()
    with pytest.raises(ClientError) as excinfo:
        client.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "billing"})
    assert error_of(excinfo)[0] == "AccessDeniedException"
    grant = admin.create_grant(KeyId=key, GranteePrincipal=reader, Operations=["Decrypt"], Name="billing-reader",
                               Constraints={"EncryptionContextSubset": {"app": "billing"}})
    assert client.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "billing"})["Plaintext"] == b"x"
    assert fake.calls[-1].decided_by == f"grant {grant['GrantId'][:12]}… (billing-reader) for Decrypt"
    other = admin.encrypt(KeyId=key, Plaintext=b"y", EncryptionContext={"app": "payroll"})["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        client.decrypt(CiphertextBlob=other, EncryptionContext={"app": "payroll"})  # the constraint does not hold
    assert error_of(excinfo)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as excinfo:
        client.encrypt(KeyId=key, Plaintext=b"z")  # not an operation the grant lists
    assert error_of(excinfo)[0] == "AccessDeniedException"
    admin.retire_grant(KeyId=key, GrantId=grant["GrantId"])
    with pytest.raises(ClientError) as excinfo:
        client.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "billing"})
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_a_principal_over_the_endpoint_is_attributed_and_judged_the_same(fake: KmsRotation, key: str) -> None:
    from tests._doors import endpoint_client

    over_http = endpoint_client(fake, "us-east-1", **fake.principal(ROTATOR).client_kwargs)
    served = fake.endpoint.requests_served
    with pytest.raises(ClientError) as excinfo:
        over_http.rotate_key_on_demand(KeyId=key)
    assert error_of(excinfo) == ("AccessDeniedException", _denied(
        "because no identity-based policy allows the kms:RotateKeyOnDemand action", "kms:RotateKeyOnDemand", key))
    assert fake.endpoint.requests_served == served + 1, "the request crossed the socket"
    assert fake.calls[-1].caller == ROTATOR
