"""The doors a test client can come through, for the door-parametrized `kms` fixture.

Each entry makes a KMS client for a running fake that behaves like a boto3 client (same methods,
`exceptions`, paginators), reaching the fake through one door. A rule test that takes `kms`
runs once per door, so every door answers every rule identically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from pytest_kmsrotate import KmsRotation

ClientFactory = Callable[[KmsRotation, str], Any]


def _botocore(fake: KmsRotation, region: str) -> Any:
    return boto3.client("kms", region_name=region)


CLIENT_FACTORIES: dict[str, ClientFactory] = {
    "botocore": _botocore,
}
