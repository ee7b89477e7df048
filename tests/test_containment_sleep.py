"""Only KMS's retries move the KMS clock: another service's botocore back-off sleeps for real."""

from __future__ import annotations

import random
import socket
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import EndpointConnectionError

from pytest_kmsrotate import Config, KmsRotation
from pytest_kmsrotate._process import sleep as sleep_patch


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def real_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The sleeps the patch passes on to the real `time.sleep` (recorded, not slept)."""
    slept: list[float] = []
    monkeypatch.setattr(sleep_patch, "_real_sleep", slept.append)
    return slept


def test_another_services_retries_sleep_for_real_and_leave_the_clock(real_sleeps: list[float]) -> None:
    with KmsRotation(Config(seed="sts-retries")) as fake:
        sleep_patch._real_sleep = real_sleeps.append  # type: ignore[assignment]
        before = fake.clock.now()
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{_closed_port()}",
                           aws_access_key_id="AKIAOTHER00000000000", aws_secret_access_key="s",
                           config=BotoConfig(retries={"mode": "standard", "total_max_attempts": 3}))
        with pytest.raises(EndpointConnectionError):
            sts.get_caller_identity()
        assert fake.clock.now() == before, "an STS retry must not move the KMS clock"
    assert len(real_sleeps) == 2, "two back-offs between three attempts, slept for real"


def test_kms_retries_still_move_the_clock(real_sleeps: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(random, "random", lambda: 1.0)  # legacy mode's base at its top: 1 s, then 2 s
    with KmsRotation(Config(seed="kms-retries")) as fake:
        sleep_patch._real_sleep = real_sleeps.append  # type: ignore[assignment]
        kms: Any = boto3.client("kms", region_name="us-east-1",
                                config=BotoConfig(retries={"mode": "legacy", "total_max_attempts": 3}))
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        fake.inject_fault("DescribeKey", "KMSInternalException", times=2)
        before = fake.clock.now()
        kms.describe_key(KeyId=key_id)
        fake.assert_called("DescribeKey", times=3)
        assert real_sleeps == []
        assert fake.clock.now() - before == timedelta(seconds=3)
