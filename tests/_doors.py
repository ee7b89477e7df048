"""The doors a test client can come through, for the door-parametrized `kms` fixture.

Each entry makes a KMS client for a running fake that behaves like a boto3 client (same methods,
`exceptions`, paginators), reaching the fake through one door. A rule test that takes `kms`
runs once per door, so every door answers every rule identically.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation, NotImplementedByFake
from pytest_kmsrotate._adapters.botocore_sync import leave_to_the_wire
from pytest_kmsrotate._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

ClientFactory = Callable[[KmsRotation, str], Any]


def _botocore(fake: KmsRotation, region: str) -> Any:
    return boto3.client("kms", region_name=region)


class _OverTheWire:
    """A client's event emitter minus `before-send`: the in-process door answers that event for
    every botocore client, so without it this client's requests leave through its HTTP session
    and reach the fake's endpoint over a real socket (signed, framed and parsed for real)."""

    def __init__(self, emitter: Any) -> None:
        self._emitter = emitter

    def emit(self, event_name: str, **kwargs: Any) -> Any:
        if event_name.startswith("before-send."):
            return []
        return self._emitter.emit(event_name, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._emitter, name)


def endpoint_client(fake: KmsRotation, region: str, **options: Any) -> Any:
    """A boto3 client whose every request travels over HTTP to `fake.endpoint_url`."""
    settings = {"region_name": region, "aws_access_key_id": FAKE_ACCESS_KEY_ID,
                "aws_secret_access_key": FAKE_SECRET_ACCESS_KEY, **options}  # a principal's may stand in
    client = boto3.client("kms", endpoint_url=fake.endpoint_url, **settings)
    # botocore's Endpoint emits before-send through its own reference to the client's emitter.
    client._endpoint._event_emitter = _OverTheWire(client._endpoint._event_emitter)
    leave_to_the_wire(client)  # nor may the in-process door skip its signing or answer its sends
    return client


def over_the_wire(client: Any) -> bool:
    return isinstance(getattr(client, "_endpoint", None) and client._endpoint._event_emitter, _OverTheWire)


def raises_gap(client: Any, match: str) -> Any:
    """What meeting a gap in the fake raises for this client: `NotImplementedByFake` in-process;
    over HTTP, where no Python exception can travel, a ClientError with that code and message."""
    if over_the_wire(client):
        return pytest.raises(ClientError, match=rf"\(NotImplementedByFake\).*{re.escape(match)}")
    return pytest.raises(NotImplementedByFake, match=re.escape(match))


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
    "endpoint": endpoint_client,
}
