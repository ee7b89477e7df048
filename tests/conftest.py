"""Shared test helpers: real boto3 clients and a check of every response against botocore's model."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.validate import ParamValidator

from . import _containment
from ._doors import CLIENT_FACTORIES

# Every pytest this suite starts (pytester runs, xdist workers) loads the containment guard too.
_ROOT = str(Path(__file__).resolve().parent.parent)
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, os.environ.get("PYTHONPATH", "")) if p)
if "tests._containment" not in os.environ.get("PYTEST_ADDOPTS", ""):
    os.environ["PYTEST_ADDOPTS"] = (os.environ.get("PYTEST_ADDOPTS", "") + " -p tests._containment").strip()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _containment.pytest_sessionfinish(session, exitstatus)


@pytest.fixture(autouse=True)
def _watch_child_pytests(request: pytest.FixtureRequest) -> None:
    # pytester clears PYTEST_ADDOPTS for each test: put the guard back for the runs it starts.
    if "pytester" in request.fixturenames:
        request.getfixturevalue("pytester")
        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setenv("PYTEST_ADDOPTS", "-p tests._containment")

_KMS_MODEL = botocore.session.get_session().get_service_model("kms")


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
