"""Seeding keys: `@pytest.mark.kms_keys(...)` and `kms_rotation.create_key(**fields)`.

Seeded keys are built through the fake's own operations, with their history (rotations
already done) dated before the test's start; what the test sees is checked through boto3.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from pytest_kmsrotate._pytest_plugin.seeding import FIELDS, RUNTIME_FIELDS, SeedingError, SeedKey, on_demand_times
from tests._model import requires_model
from tests.conftest import assert_matches_output_shape, error_of

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
ALL_FIELDS = ", ".join(FIELDS)
ARN = "arn:aws:kms:us-east-1:111122223333"


def describe(kms: Any, ref: str) -> dict[str, Any]:
    response = kms.describe_key(KeyId=ref)
    assert_matches_output_shape("DescribeKey", response)
    return response["KeyMetadata"]  # type: ignore[no-any-return]


def rotations(kms: Any, key_id: str) -> list[tuple[str, datetime]]:
    response = kms.list_key_rotations(KeyId=key_id)
    assert_matches_output_shape("ListKeyRotations", response)
    return [(r["RotationType"], r["RotationDate"]) for r in response["Rotations"]]


def status(kms: Any, key_id: str) -> dict[str, Any]:
    response = kms.get_key_rotation_status(KeyId=key_id)
    assert_matches_output_shape("GetKeyRotationStatus", response)
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# -- what a seeded key looks like ----------------------------------------------------------------


@pytest.mark.kms_keys(alias="alias/orders", description="orders", tags={"team": "payments"})
def test_a_seeded_key_is_found_by_its_alias_and_the_seeding_calls_are_not_logged(
    kms_rotation: KmsRotation, kms: Any
) -> None:
    assert kms_rotation.calls == []
    assert list(kms_rotation.events) == []
    meta = describe(kms, "alias/orders")
    handle = kms_rotation.key("alias/orders")
    assert (meta["Arn"], meta["Description"], meta["KeyState"], meta["CreationDate"]) == (
        handle.arn, "orders", "Enabled", START)
    assert kms_rotation.seeded_keys == [handle]
    tags = kms.list_resource_tags(KeyId=handle.key_id)
    assert_matches_output_shape("ListResourceTags", tags)
    assert tags["Tags"] == [{"TagKey": "team", "TagValue": "payments"}]


@pytest.mark.kms_keys(alias="alias/orders", on_demand_rotations=3)
def test_on_demand_history_is_dated_before_the_start_and_counts_against_the_quota(
    kms_rotation: KmsRotation, kms: Any
) -> None:
    handle = kms_rotation.key("alias/orders")
    assert describe(kms, handle.key_id)["CreationDate"] == START - timedelta(days=3)
    assert rotations(kms, handle.key_id) == [
        ("ON_DEMAND", START - timedelta(days=3) + timedelta(hours=12 + 24 * n)) for n in range(3)
    ]
    assert handle.on_demand_rotations_remaining == 7
    for _ in range(7):
        kms.rotate_key_on_demand(KeyId=handle.key_id)
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=handle.key_id)
    assert error_of(excinfo) == (
        "LimitExceededException",
        "The on-demand rotations limit has been reached for the given keyId. "
        f"No more on-demand rotations can be performed for this key: {handle.arn}",
    )


@pytest.mark.kms_keys(alias="alias/old", rotation_period_in_days=90, created=timedelta(days=200))
def test_automatic_rotations_due_before_the_start_happen_through_the_schedule(
    kms_rotation: KmsRotation, kms: Any
) -> None:
    handle = kms_rotation.key("alias/old")
    created = START - timedelta(days=200)
    assert describe(kms, "alias/old")["CreationDate"] == created
    assert rotations(kms, handle.key_id) == [("AUTOMATIC", created + timedelta(days=90)),
                                             ("AUTOMATIC", created + timedelta(days=180))]
    assert status(kms, handle.key_id) == {
        "KeyRotationEnabled": True, "KeyId": handle.arn, "RotationPeriodInDays": 90,
        "NextRotationDate": created + timedelta(days=270),
    }


@pytest.mark.kms_keys(rotation_period_in_days=180)
def test_rotation_enabled_at_the_start_by_default(kms_rotation: KmsRotation, kms: Any) -> None:
    (handle,) = kms_rotation.seeded_keys
    assert rotations(kms, handle.key_id) == []
    assert status(kms, handle.key_id)["NextRotationDate"] == START + timedelta(days=180)


@pytest.mark.kms_keys(
    {"alias": "alias/off", "enabled": False, "rotation_period_in_days": 90, "created": "2023-08-01T00:00:00Z"},
    {"alias": "alias/doomed", "pending_deletion_days": 7},
)
def test_disabling_and_deletion_take_effect_at_the_start_after_the_history(
    kms_rotation: KmsRotation, kms: Any
) -> None:
    off, doomed = kms_rotation.seeded_keys
    assert describe(kms, "alias/off")["KeyState"] == "Disabled"
    created = datetime(2023, 8, 1, tzinfo=timezone.utc)
    assert rotations(kms, off.key_id) == [("AUTOMATIC", created + timedelta(days=90))]
    meta = describe(kms, "alias/doomed")
    assert (meta["KeyState"], meta["DeletionDate"], meta["PendingDeletionWindowInDays"]) == (
        "PendingDeletion", START + timedelta(days=7), 7)
    kms_rotation.clock.advance(days=7)
    assert not doomed.exists


@pytest.mark.kms_keys({"aws_managed": "s3", "created": timedelta(days=400)},
                      {"aws_managed": True, "alias": "alias/aws/sqs"})
def test_aws_managed_keys_are_the_ones_describe_key_materialises(kms_rotation: KmsRotation, kms: Any) -> None:
    s3, sqs = kms_rotation.seeded_keys
    meta = describe(kms, "alias/aws/s3")
    assert (meta["Arn"], meta["KeyManager"], meta["CreationDate"]) == (s3.arn, "AWS", START - timedelta(days=400))
    assert rotations(kms, s3.key_id) == [("AUTOMATIC", START - timedelta(days=35))]
    assert describe(kms, "alias/aws/sqs")["Arn"] == sqs.arn
    assert status(kms, sqs.key_id) == {"KeyRotationEnabled": False, "KeyId": sqs.arn}


@pytest.mark.kms_keys(alias="alias/global", multi_region=True, replica_regions=["eu-west-1"], on_demand_rotations=1)
def test_replicas_share_the_history_and_carry_the_alias(kms_rotation: KmsRotation, kms: Any) -> None:
    primary = kms_rotation.key("alias/global")
    replica = kms_rotation.key("alias/global", region="eu-west-1")
    assert replica.key_id == primary.key_id and replica.region == "eu-west-1"
    eu = boto3.client("kms", region_name="eu-west-1")
    meta = describe(eu, "alias/global")
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert rotations(eu, replica.arn) == rotations(kms, primary.arn) == [("ON_DEMAND", START - timedelta(hours=12))]


@pytest.mark.kms_keys(alias="alias/eu", region="eu-west-1")
def test_a_key_in_another_region(kms_rotation: KmsRotation) -> None:
    assert kms_rotation.key("alias/eu", region="eu-west-1").arn.startswith("arn:aws:kms:eu-west-1:")
    with pytest.raises(LookupError):
        kms_rotation.key("alias/eu")


# Half the span after creation lies 10 minutes before the first automatic rotation.
@pytest.mark.kms_keys(rotation_period_in_days=90, on_demand_rotations=1,
                      created=timedelta(days=180) - timedelta(minutes=20))
def test_an_on_demand_rotation_that_would_conflict_moves_to_the_automatic_rotation(
    kms_rotation: KmsRotation, kms: Any
) -> None:
    (handle,) = kms_rotation.seeded_keys
    due = START - timedelta(days=90) + timedelta(minutes=20)
    assert rotations(kms, handle.key_id) == [("AUTOMATIC", due), ("ON_DEMAND", due)]


def test_an_instant_too_close_to_a_rotation_at_the_start_moves_before_the_window() -> None:
    created = START - timedelta(days=90)
    # n rotations, the last one exactly 20 minutes before the automatic rotation at the start.
    key = SeedKey("key #1", "us-east-1", created, rotation_period_in_days=90, on_demand_rotations=3240)
    assert on_demand_times(key, START)[-1] == START - timedelta(minutes=20, seconds=1)


@pytest.mark.kms_rotation(on_demand_delay=timedelta(days=2))  # longer than the history's spacing
@pytest.mark.kms_keys(on_demand_rotations=2)
def test_seeded_on_demand_rotations_are_complete_whatever_the_delay(kms_rotation: KmsRotation, kms: Any) -> None:
    (handle,) = kms_rotation.seeded_keys
    assert [r.type for r in handle.rotations] == ["ON_DEMAND", "ON_DEMAND"]
    assert "OnDemandRotationStartDate" not in status(kms, handle.key_id)


def test_seeded_keys_are_the_same_on_every_run() -> None:
    keys = [{"alias": "alias/a", "on_demand_rotations": 2}, {"multi_region": True}, {"aws_managed": "ssm"}]
    first = KmsRotation(Config(seed="t::test"), keys=keys)
    second = KmsRotation(Config(seed="t::test"), keys=keys)
    assert [(h.arn, h.material_ids) for h in first.seeded_keys] == [(h.arn, h.material_ids) for h in second.seeded_keys]


# -- create_key during the test ------------------------------------------------------------------


def test_create_key_builds_a_key_now_without_logging_or_using_injected_faults(
    kms_rotation: KmsRotation, kms: Any
) -> None:
    kms_rotation.clock.advance(days=1)
    kms_rotation.inject_fault("CreateKey", "MalformedPolicyDocumentException", "bad policy")
    handle = kms_rotation.create_key(alias="alias/late", on_demand_rotations=10)
    assert kms_rotation.calls == []
    assert handle == kms_rotation.key("alias/late")
    assert [(r.type, r.date) for r in handle.rotations] == [("ON_DEMAND", START + timedelta(days=1))] * 10
    assert handle.on_demand_rotations_remaining == 0
    with pytest.raises(ClientError) as excinfo:
        kms.create_key()
    assert error_of(excinfo) == ("MalformedPolicyDocumentException", "bad policy")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"created": START}, "create_key: created is only for @pytest.mark.kms_keys: create_key() creates the key "
                             "now, at 2024-01-01T00:00:00+00:00 (the simulated clock cannot go back)"),
        ({"alias": "alias/x", "rotaton_period_in_days": 90},
         f"create_key: unknown field 'rotaton_period_in_days' (did you mean 'rotation_period_in_days'?); "
         f"valid fields: {', '.join(RUNTIME_FIELDS)}"),
        ({"alias": "alias/x", "key_spec": "SYMMETRIC_DEFAULT"}, None),
    ],
)
def test_create_key_refusals(kms_rotation: KmsRotation, fields: dict[str, Any], message: str | None) -> None:
    if message is None:
        assert kms_rotation.create_key(**fields).state == "Enabled"
        return
    with pytest.raises(SeedingError) as excinfo:
        kms_rotation.create_key(**fields)
    assert str(excinfo.value) == message


def test_create_key_reports_aws_errors(kms_rotation: KmsRotation) -> None:
    kms_rotation.create_key(alias="alias/taken")
    with pytest.raises(SeedingError) as excinfo:
        kms_rotation.create_key(alias="alias/taken")
    assert str(excinfo.value) == (
        "create_key: CreateAlias failed with AlreadyExistsException: "
        f"An alias with the name {ARN}:alias/taken already exists"
    )


# -- the message of every refusal ----------------------------------------------------------------

MANAGED_ONLY = "alias, aws_managed, created, region"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rotation_perod_in_days": 90}, "unknown field 'rotation_perod_in_days' (did you mean "
                                         f"'rotation_period_in_days'?); valid fields: {ALL_FIELDS}"),
        ({"Alias": "alias/x", "kms": 1}, f"unknown fields 'Alias', 'kms' (did you mean: 'Alias' -> 'alias'?); "
                                         f"valid fields: {ALL_FIELDS}"),
        ({"alias": 3}, "alias must be a string, got 3"),
        ({"multi_region": "yes"}, "multi_region must be True or False, got 'yes'"),
        ({"enabled": 0}, "enabled must be True or False, got 0"),
        ({"region": "us east"}, "region must be an AWS region name such as 'us-east-1', got 'us east'"),
        ({"rotation_period_in_days": "90"}, "rotation_period_in_days must be a whole number of days, got '90'"),
        ({"on_demand_rotations": -1}, "on_demand_rotations must be a whole number >= 0, got -1"),
        ({"on_demand_rotations": True}, "on_demand_rotations must be a whole number >= 0, got True"),
        ({"pending_deletion_days": 7.5}, "pending_deletion_days must be a whole number of days from 7 to 30, got 7.5"),
        ({"pending_deletion_days": 6}, "pending_deletion_days must be from 7 to 30 (AWS's waiting period), got 6"),
        ({"pending_deletion_days": 31}, "pending_deletion_days must be from 7 to 30 (AWS's waiting period), got 31"),
        ({"enabled": False, "pending_deletion_days": 7},
         "enabled=False cannot be combined with pending_deletion_days: a key pending deletion is in state "
         "PendingDeletion, not Disabled"),
        ({"key_spec": "RSA_2048", "key_usage": "ENCRYPT_DECRYPT", "rotation_period_in_days": 90},
         "rotation_period_in_days needs a SYMMETRIC_DEFAULT key (AWS rotates no other key spec), "
         "but key_spec is 'RSA_2048'"),
        ({"key_spec": "HMAC_256", "key_usage": "GENERATE_VERIFY_MAC", "on_demand_rotations": 1},
         "on_demand_rotations needs a SYMMETRIC_DEFAULT key (AWS rotates no other key spec), "
         "but key_spec is 'HMAC_256'"),
        ({"origin": "EXTERNAL", "rotation_period_in_days": 90},
         "rotation_period_in_days needs origin AWS_KMS (seeding imports no key material), but origin is 'EXTERNAL'"),
        ({"origin": "EXTERNAL", "on_demand_rotations": 2},
         "on_demand_rotations needs origin AWS_KMS (seeding imports no key material), but origin is 'EXTERNAL'"),
        ({"on_demand_rotations": 11},
         "on_demand_rotations=11 is above the on-demand rotation limit of 10 per key "
         "(raise it with @pytest.mark.kms_rotation(on_demand_limit=...))"),
        ({"aws_managed": "s3", "key_spec": "RSA_2048", "tags": {"a": "b"}},
         "aws_managed cannot be combined with key_spec, tags: AWS creates and configures its managed keys; "
         f"fields valid with aws_managed: {MANAGED_ONLY}"),
        ({"aws_managed": "s4"}, "aws_managed 's4' is not an AWS managed key the fake knows; valid services: acm, "
                                "backup, cloudtrail, codeartifact, codecommit, dynamodb, ebs, elasticfilesystem, es, "
                                "glue, kinesis, kinesisvideo, lambda, logs, rds, redshift, s3, secretsmanager, sns, "
                                "sqs, ssm, xray"),
        ({"aws_managed": True}, "aws_managed=True needs alias='alias/aws/<service>' (or name the service: "
                                "aws_managed='s3'), got alias=None"),
        ({"aws_managed": "yes"}, "aws_managed 'yes' is not an AWS managed key the fake knows; valid services: acm, "
                                 "backup, cloudtrail, codeartifact, codecommit, dynamodb, ebs, elasticfilesystem, es, "
                                 "glue, kinesis, kinesisvideo, lambda, logs, rds, redshift, s3, secretsmanager, sns, "
                                 "sqs, ssm, xray"),
        ({"aws_managed": 1}, "aws_managed must be a service name such as 's3', or True with "
                             "alias='alias/aws/<service>', got 1"),
        ({"aws_managed": "s3", "alias": "alias/aws/sqs"},
         "alias 'alias/aws/sqs' does not match aws_managed='s3'; its alias is 'alias/aws/s3'"),
        ({"alias": "alias/aws/s3"}, "alias 'alias/aws/s3' is reserved for an AWS managed key; "
                                    "seed it with aws_managed='s3'"),
        ({"tags": [("a", "b")]}, "tags must be a mapping of tag keys to tag values (strings), got [('a', 'b')]"),
        ({"policy": 5}, "policy must be a JSON string or a mapping, got 5"),
        ({"replica_regions": "eu-west-1", "multi_region": True},
         "replica_regions must be a list of AWS region names such as ['eu-west-1'], got 'eu-west-1'"),
        ({"replica_regions": ["eu-west-1"]}, "replica_regions needs multi_region=True"),
        ({"created": START + timedelta(seconds=1)},
         "created must not be after the start of the test (2024-01-01T00:00:00+00:00), got 2024-01-01T00:00:01+00:00"),
        ({"created": datetime(2023, 1, 1)},
         "created must be a timezone-aware datetime, an ISO 8601 time with a zone, or a timedelta before the start, "
         "got datetime.datetime(2023, 1, 1, 0, 0)"),
        ({"created": "last year"},
         "created must be a timezone-aware datetime, an ISO 8601 time with a zone, or a timedelta before the start, "
         "got 'last year'"),
        ({"created": timedelta(days=-1)},
         "created must be a timezone-aware datetime, an ISO 8601 time with a zone, or a timedelta before the start, "
         "got datetime.timedelta(days=-1)"),
    ],
)
def test_each_refusal_names_the_field(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedingError) as excinfo:
        KmsRotation(keys=[{"alias": "alias/fine"}, fields])
    assert str(excinfo.value) == f"key #2: {message}"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param(
            {"key_spec": "RSA_2049"},
            "CreateKey failed with ValidationException: 1 validation error detected: Value 'RSA_2049' at 'keySpec' "
            "failed to satisfy constraint: Member must satisfy enum value set: [RSA_2048, RSA_3072, RSA_4096, "
            "ECC_NIST_P256, ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1, SYMMETRIC_DEFAULT, HMAC_224, HMAC_256, "
            "HMAC_384, HMAC_512, SM2, ML_DSA_44, ML_DSA_65, ML_DSA_87, ECC_NIST_EDWARDS25519, ML_KEM_512, ML_KEM_768, "
            "ML_KEM_1024]",
            marks=requires_model("KeySpec", "ML_DSA_44", "ECC_NIST_EDWARDS25519", "ML_KEM_1024")),
        ({"key_spec": "HMAC_256"},
         "CreateKey failed with ValidationException: You must specify a KeyUsage value for all KMS keys except for "
         "symmetric encryption keys."),
        ({"alias": "orders"},
         'CreateAlias failed with ValidationException: Alias must start with the prefix "alias/". Please see '
         "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"),
        ({"rotation_period_in_days": 30},
         "EnableKeyRotation failed with ValidationException: 1 validation error detected: Value '30' at "
         "'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"),
        ({"multi_region": True, "replica_regions": ["us-east-1"]},
         "ReplicateKey failed with ValidationException: us-east-1 cannot have a replica because it contains the "
         "primary."),
        ({"origin": "EXTERNAL", "enabled": False},
         f"DisableKey failed with KMSInvalidStateException: {ARN}:key/<id> is pending import."),
    ],
)
def test_aws_errors_while_seeding_carry_the_code_and_message(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(SeedingError) as excinfo:
        KmsRotation(Config(seed="s"), keys=[fields])
    text = str(excinfo.value)
    key_id = KmsRotation(Config(seed="s"), keys=[{}]).seeded_keys[0].key_id  # the same first ID, deterministically
    assert text == "key #1: " + message.replace("<id>", key_id)


# -- through pytest --------------------------------------------------------------------------------


def error_lines(result: pytest.RunResult) -> list[str]:
    return [line for line in result.stdout.lines if line.startswith("pytest-kmsrotate: ")]


def test_a_bad_key_is_an_error_at_setup_with_the_field_and_the_valid_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kms_keys(alias="alias/orders", rotation_perod_in_days=90)
        def test_typo():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--strict-markers")
    result.assert_outcomes(errors=1)
    assert error_lines(result) == [
        "pytest-kmsrotate: @pytest.mark.kms_keys key #1: unknown field 'rotation_perod_in_days' "
        f"(did you mean 'rotation_period_in_days'?); valid fields: {ALL_FIELDS}"
    ]
    assert "Traceback" not in result.stdout.str()


def test_markers_alone_activate_the_fake_and_combine_module_class_and_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3
        import pytest

        pytestmark = pytest.mark.kms_keys(alias="alias/module")

        @pytest.mark.kms_keys({"alias": "alias/class-1"}, {"alias": "alias/class-2"})
        class TestKeys:
            @pytest.mark.kms_keys(alias="alias/test")
            def test_all_four(self):
                kms = boto3.client("kms", region_name="us-east-1")
                names = [a["AliasName"] for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a]
                assert names == ["alias/class-1", "alias/class-2", "alias/module", "alias/test"]

            def test_inherited(self, kms_rotation):
                assert [kms_rotation.key(h.arn).key_id for h in kms_rotation.seeded_keys] == [
                    kms_rotation.key(a).key_id for a in ("alias/module", "alias/class-1", "alias/class-2")]

            @pytest.mark.kms_keys(alias="alias/module")
            def test_numbered_as_read(self):
                pass

        def test_module_only():
            kms = boto3.client("kms", region_name="us-east-1")
            assert kms.describe_key(KeyId="alias/module")["KeyMetadata"]["KeyState"] == "Enabled"
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--strict-markers")
    result.assert_outcomes(passed=3, errors=1)
    assert error_lines(result) == [
        "pytest-kmsrotate: @pytest.mark.kms_keys key #4: CreateAlias failed with AlreadyExistsException: "
        f"An alias with the name {ARN}:alias/module already exists"
    ]


def test_marker_shapes_that_are_refused(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kms_keys({"alias": "alias/a"}, alias="alias/b")
        def test_both():
            pass

        @pytest.mark.kms_keys({"alias": "alias/a"}, "alias/b")
        def test_not_a_mapping():
            pass

        @pytest.mark.kms_keys()
        def test_empty_is_fine(kms_rotation):
            assert kms_rotation.keys == []
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "--strict-markers")
    result.assert_outcomes(passed=1, errors=2)
    assert error_lines(result) == [
        "pytest-kmsrotate: @pytest.mark.kms_keys takes mappings (one per key) or keyword arguments (one key), "
        "not both",
        "pytest-kmsrotate: @pytest.mark.kms_keys key #2: expected a mapping of fields (one dict per key), "
        f"got 'alias/b'; valid fields: {ALL_FIELDS}",
    ]


def test_seeded_ids_are_the_same_on_every_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kms_keys({"alias": "alias/a", "on_demand_rotations": 2}, {"multi_region": True})
        def test_ids(kms_rotation):
            print("\\nIDS", [(h.arn, h.material_ids) for h in kms_rotation.seeded_keys])
        """
    )
    runs = [pytester.runpytest("-s", "-p", "randomly") for _ in range(2)]
    ids = [[line for line in run.stdout.lines if line.startswith("IDS")] for run in runs]
    assert len(ids[0]) == 1 and ids[0] == ids[1]


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("kms_keys(alias='alias/orders', rotation_perod_in_days=90)",
         "pytest-kmsrotate: @pytest.mark.kms_keys key #1: unknown field 'rotation_perod_in_days' "
         "(did you mean 'rotation_period_in_days'?); valid fields: " + ALL_FIELDS),
        ("kms_keys(alias=3)", "pytest-kmsrotate: @pytest.mark.kms_keys key #1: alias must be a string, got 3"),
        ("kms_keys(replica_regions=['eu-west-1'])",
         "pytest-kmsrotate: @pytest.mark.kms_keys key #1: replica_regions needs multi_region=True"),
        ("kms_keys({'alias': 'alias/a'}, alias='alias/b')",
         "pytest-kmsrotate: @pytest.mark.kms_keys takes mappings (one per key) or keyword arguments (one key), "
         "not both"),
        ("kms_rotation(on_demand_limt=3)",
         "pytest-kmsrotate: @pytest.mark.kms_rotation got unknown argument(s) on_demand_limt "
         "(did you mean 'on_demand_limit'?); valid arguments: on_demand_limit, on_demand_delay, "
         "replication_delay, start, account_id, region, patch_sleep, freeze_time, async_time, follow_freezegun, "
         "enforce_policies, endpoint, aws_managed_rotation_status"),
    ],
)
def test_a_setup_error_is_printed_once(pytester: pytest.Pytester, marker: str, message: str) -> None:
    pytester.makepyfile(f"import pytest\n\n@pytest.mark.{marker}\ndef test_bad():\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    assert error_lines(result) == [message]
    assert "During handling of the above exception" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()
