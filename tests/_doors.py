"""The doors a test client can come through, for the door-parametrized `kms` fixture.

Each entry makes a KMS client for a running fake that behaves like a boto3 client (same methods,
`exceptions`, paginators), reaching the fake through one door. A rule test that takes `kms`
runs once per door, so every door answers every rule identically.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from pytest_kmsrotate import KmsRotation

ClientFactory = Callable[[KmsRotation, str], Any]


def _botocore(fake: KmsRotation, region: str) -> Any:
    return boto3.client("kms", region_name=region)


AIOBOTOCORE_MISSING = "aiobotocore is not installed (it is in the `aio` extra; CI runs it in .venv-aio)"


def aiobotocore_installed() -> bool:
    return importlib.util.find_spec("aiobotocore") is not None


def _aiobotocore(fake: KmsRotation, region: str) -> Any:
    """A sync face on an aiobotocore client (tests/_aio_facade.py): the same calls, through the async door."""
    if not aiobotocore_installed():
        pytest.skip(AIOBOTOCORE_MISSING)
    from ._aio_facade import SyncAioClient

    return SyncAioClient(region_name=region)


CLIENT_FACTORIES: dict[str, ClientFactory] = {
    "botocore": _botocore,
    "aiobotocore": _aiobotocore,
}
