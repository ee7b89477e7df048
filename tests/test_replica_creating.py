"""ReplicateKey answers with the replica Creating, for `replication_delay` (issue 15, deviation 1)."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

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


def test_the_default_delay_is_the_longest_recorded() -> None:
    # docs/fidelity.md §20.1: AWS's replicas were Enabled within 23 s and after about a minute.
    assert Config().replication_delay == timedelta(seconds=60)
    with KmsRotation() as fake:
        east, west = (boto3.client("kms", region_name=r) for r in ("us-east-1", "us-west-2"))
        primary = east.create_key(MultiRegion=True)["KeyMetadata"]
        replica = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]
        fake.clock.advance(seconds=59)
        assert west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]["KeyState"] == "Creating"
        fake.clock.advance(seconds=1)
        assert west.describe_key(KeyId=replica["Arn"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_a_zero_delay_makes_replicas_enabled_at_once() -> None:
    with KmsRotation(Config(replication_delay=timedelta(0))):
        east, west = (boto3.client("kms", region_name=r) for r in ("us-east-1", "us-west-2"))
        primary = east.create_key(MultiRegion=True)["KeyMetadata"]
        response = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")
        assert_matches_output_shape("ReplicateKey", response)
        replica = response["ReplicaKeyMetadata"]
        assert (replica["KeyState"], replica["Enabled"]) == ("Enabled", True)
        assert west.encrypt(KeyId=replica["Arn"], Plaintext=b"p")["KeyId"] == replica["Arn"]


def test_every_use_of_a_creating_replica_is_refused_with_awss_message() -> None:
    with KmsRotation():
        east, west = (boto3.client("kms", region_name=r) for r in ("us-east-1", "us-west-2"))
        primary = east.create_key(MultiRegion=True)["KeyMetadata"]
        blob = east.encrypt(KeyId=primary["KeyId"], Plaintext=b"p")["CiphertextBlob"]
        arn = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="us-west-2")["ReplicaKeyMetadata"]["Arn"]
        for call, params in [
            (west.encrypt, {"KeyId": arn, "Plaintext": b"p"}),
            (west.decrypt, {"CiphertextBlob": blob}),
            (west.generate_data_key, {"KeyId": arn, "KeySpec": "AES_256"}),
            (west.re_encrypt, {"CiphertextBlob": blob, "DestinationKeyId": arn}),
            (west.create_grant, {"KeyId": arn, "GranteePrincipal": "arn:aws:iam::111122223333:root",
                                 "Operations": ["Decrypt"]}),
        ]:
            with pytest.raises(ClientError) as excinfo:
                call(**params)
            assert error_of(excinfo) == ("KMSInvalidStateException", f"{arn} is creating."), call
        # Reading it is allowed while it is created (fidelity §12: the rotation status even mirrors the primary).
        assert west.get_key_rotation_status(KeyId=arn)["KeyId"] == arn


def test_seeded_and_helper_made_replicas_exist_before_the_test_uses_them(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3
        import pytest

        @pytest.mark.kms_keys(alias="alias/global", multi_region=True, replica_regions=["eu-west-1"])
        def test_seeded(kms_rotation):
            assert kms_rotation.key("alias/global", region="eu-west-1").state == "Enabled"

        def test_helper(kms_rotation):
            key = kms_rotation.create_key(multi_region=True, replica_regions=["eu-west-1"])
            assert kms_rotation.key(key.key_id, region="eu-west-1").state == "Enabled"
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_a_negative_delay_is_refused() -> None:
    with pytest.raises(ValueError, match="replication_delay must be a timedelta >= 0"):
        Config(replication_delay=timedelta(seconds=-1))


def test_the_standalone_server_makes_replicas_enabled_at_once_and_its_state_file_keeps_the_delay(
    tmp_path: Path,
) -> None:
    from pytest_kmsrotate._standalone import cli, state

    # Its clock moves only through the control API, so a client polling a replica would wait for ever.
    assert cli._config(cli._parser().parse_args(["serve"])).replication_delay == timedelta(0)
    saved = state.config_json(Config(replication_delay=timedelta(seconds=20)))
    assert state.config_of(tmp_path, {"config": saved}).replication_delay == timedelta(seconds=20)
    older = {k: v for k, v in saved.items() if k != "replication_delay_seconds"}
    assert state.config_of(tmp_path, {"config": older}).replication_delay == timedelta(0)  # replays as it ran
