"""Shared test helpers: real boto3 clients and a check of every response against botocore's model."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from ._doors import CLIENT_FACTORIES
from ._network_guard import _no_network_leak, pytest_sessionfinish  # noqa: F401 - the suite's network guard

_KMS_MODEL = botocore.session.get_session().get_service_model("kms")


@pytest.fixture
def no_earlier_orphans() -> Iterator[None]:
    """Hide the threads earlier tests in this worker left behind (daemon servers they started under a
    fake): while any lives, the outside guard's screening hook stays on the emitter, so a test that
    compares the emitter before and after its own fake must see only its own threads.

    A MonkeyPatch of its own: a test's `monkeypatch.undo()` must not bring the orphans back midway."""
    import weakref

    from pytest_kmsrotate._process import outside

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(outside, "_orphans", weakref.WeakKeyDictionary())
        outside._notify()
        yield
    outside._notify()


def assert_matches_output_shape(operation: str, response: dict[str, Any]) -> None:
    """Fail unless `response` (minus ResponseMetadata) is valid for the operation's output shape."""
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    shape = _KMS_MODEL.operation_model(operation).output_shape
    if shape is None:
        assert body == {}, f"{operation} has no output shape but returned {body}"
        return
    report = ParamValidator().validate(body, shape)
    assert not report.has_errors(), report.generate_report()
    unknown = set(body) - set(shape.members)
    assert not unknown, f"{operation} returned members the model lacks: {unknown}"


@pytest.fixture
def shape_checked() -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def check(operation: str, response: dict[str, Any]) -> dict[str, Any]:
        assert_matches_output_shape(operation, response)
        return response

    return check


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    """(Code, Message) of a ClientError, as botocore parsed them ("" when AWS sent no message)."""
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message", "")


def sent_no_message(excinfo: pytest.ExceptionInfo[ClientError]) -> bool:
    """AWS's message-less errors parse to Message "" with no top-level `message` (spec §1)."""
    response = excinfo.value.response
    return response["Error"].get("Message", "") == "" and "message" not in response


@pytest.fixture(params=sorted(CLIENT_FACTORIES))
def door(request: pytest.FixtureRequest) -> str:
    """The door the `kms` client comes through; tests taking `kms` run once per door."""
    return str(request.param)


@pytest.fixture
def kms(kms_rotation: Any, door: str) -> Iterator[Any]:
    """A KMS client in the fake's default region, created after the fake started, through `door`."""
    client = CLIENT_FACTORIES[door](kms_rotation, "us-east-1")
    yield client
    client.close()  # the aiobotocore door's client also stops its private event loop


@pytest.fixture
def symmetric_key(kms: Any) -> dict[str, Any]:
    return kms.create_key()["KeyMetadata"]  # type: ignore[no-any-return]
