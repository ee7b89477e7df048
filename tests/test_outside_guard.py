"""KMS calls no fake answers: the kms_rotation_outside guard, and threads that outlive their fake."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._process import outside

# A loopback port nothing listens on: a call that got out would fail to connect, never reach AWS.
OUTSIDE_SUITE = """
import socket
import boto3
import pytest
from botocore.config import Config

def client():
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    url = "http://127.0.0.1:%d" % port.getsockname()[1]
    port.close()
    return boto3.client("kms", region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id="a", aws_secret_access_key="b",
                        config=Config(retries={"max_attempts": 1}, connect_timeout=0.5))

def test_forgot_the_fixture():
    try:
        client().list_keys()
    except Exception as error:
        print("RAISED", type(error).__name__)

def test_with_the_fixture(kms_rotation):
    assert client().list_keys()["Keys"] == []
"""


def test_allow_is_the_default_and_changes_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(OUTSIDE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*RAISED EndpointConnectionError*"])  # it went out (to a dead port)
    result.stdout.no_fnmatch_line("*pytest-kmsrotate*")


def test_block_refuses_at_once_naming_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(OUTSIDE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s", "--kms-rotation-outside=block")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*RAISED KmsCallRefused*"])
    pytester.makepyfile(test_raises="""
        import boto3
        def test_forgot():
            boto3.client("kms", region_name="us-east-1", aws_access_key_id="a",
                         aws_secret_access_key="b").list_keys()
    """)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "test_raises.py", "--kms-rotation-outside=block")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "E   *pytest_kmsrotate.KmsCallRefused: pytest-kmsrotate: KMS ListKeys was called in "
        "test_raises.py::test_forgot while no fake was active, and kms_rotation_outside = block refuses it. "
        "Use the kms_rotation fixture or @pytest.mark.kms_rotation on the test (or `with KmsRotation():`) "
        "so the fake answers, or set kms_rotation_outside = allow."
    ])


def test_warn_lets_the_call_go_with_a_warning_on_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(OUTSIDE_SUITE)
    pytester.makeini("[pytest]\nkms_rotation_outside = warn\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines([
        "*RAISED EndpointConnectionError*",
        "*test_warn_lets_the_call_go_with_a_warning_on_the_test.py::test_forgot_the_fixture",
        "*KmsCallOutsideFake: pytest-kmsrotate: KMS ListKeys was called in "
        "test_warn_lets_the_call_go_with_a_warning_on_the_test.py::test_forgot_the_fixture while no fake was "
        "active; it went to AWS. Use the kms_rotation fixture*",
    ])


def test_a_bad_mode_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")
    pytester.makeini("[pytest]\nkms_rotation_outside = deny\n")
    result = pytester.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*pytest-kmsrotate: kms_rotation_outside must be one of allow, warn, block, got 'deny'"]
    )


def test_allow_mode_loads_no_botocore(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys
        def test_light():
            assert "botocore" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)


def _client() -> Any:
    return boto3.client("kms", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")


def test_a_thread_that_outlives_its_fake_is_refused_naming_the_test() -> None:
    go, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def late_caller() -> None:
        go.wait(10)
        try:
            _client().list_keys()
        except BaseException as error:
            errors.append(error)
        done.set()

    with KmsRotation() as fake:
        thread = threading.Thread(target=late_caller, name="late-caller")
        thread.start()
    assert fake.started_by == (
        "tests/test_outside_guard.py::test_a_thread_that_outlives_its_fake_is_refused_naming_the_test"
    )
    go.set()
    assert done.wait(10)
    thread.join(10)
    assert len(errors) == 1 and isinstance(errors[0], outside.KmsCallRefused)
    assert str(errors[0]) == (
        "pytest-kmsrotate: KMS ListKeys was called from thread 'late-caller' after the fake started by "
        f"{fake.started_by} stopped. The thread outlived its test, so the call was refused rather than "
        "sent to AWS; join the thread before the test ends."
    )


def test_while_another_fake_runs_it_answers_the_outliving_thread_like_any_other() -> None:
    go, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def late_caller() -> None:
        go.wait(10)
        try:
            _client().list_keys()
        except BaseException as error:
            errors.append(error)
        done.set()

    with KmsRotation():
        thread = threading.Thread(target=late_caller)
        thread.start()
    with KmsRotation() as next_fake:  # a worker a fixture started in one test may serve the next
        go.set()
        assert done.wait(10)
        assert _client().list_keys()["Keys"] == []
    thread.join(10)
    assert errors == []
    assert [c.operation for c in next_fake.calls] == ["ListKeys", "ListKeys"]


@pytest.mark.usefixtures("no_earlier_orphans")
def test_the_hook_goes_once_the_outliving_threads_end() -> None:
    from botocore.hooks import HierarchicalEmitter

    assert not outside.watching()
    before = HierarchicalEmitter._emit
    release = threading.Event()
    with KmsRotation():
        thread = threading.Thread(target=release.wait, args=(10,))
        thread.start()
    assert HierarchicalEmitter._emit is not before  # still screening the leftover thread
    release.set()
    thread.join(10)
    with KmsRotation():
        pass
    assert HierarchicalEmitter._emit is before


# aiobotocore's emitter has its own async `_emit`, which the botocore door's guard hook never
# sees: its door screens the same first event. A loopback port nothing listens on, as above.
AIOBOTOCORE_OUTSIDE_SUITE = """
import asyncio
import socket

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session


def dead_port_url():
    port = socket.socket()
    port.bind(("127.0.0.1", 0))
    url = "http://127.0.0.1:%d" % port.getsockname()[1]
    port.close()
    return url


async def list_keys():
    async with get_session().create_client(
        "kms", region_name="us-east-1", endpoint_url=dead_port_url(), aws_access_key_id="a",
        aws_secret_access_key="b", config=AioConfig(retries={"total_max_attempts": 1}, connect_timeout=0.5),
    ) as kms:
        return await kms.list_keys()


def test_forgot_the_fixture():
    try:
        asyncio.run(list_keys())
    except Exception as error:
        print("RAISED", type(error).__name__, error)


def test_with_the_fixture(kms_rotation):
    assert asyncio.run(list_keys())["Keys"] == []
"""


def test_block_and_warn_cover_aiobotocore_clients(pytester: pytest.Pytester) -> None:
    pytest.importorskip("aiobotocore", reason="aiobotocore is not installed (the aio CI venvs run this)")
    pytester.makepyfile(AIOBOTOCORE_OUTSIDE_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s", "--kms-rotation-outside=block")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*RAISED KmsCallRefused pytest-kmsrotate: KMS ListKeys was called in "
        "test_block_and_warn_cover_aiobotocore_clients.py::test_forgot_the_fixture while no fake was active, "
        "and kms_rotation_outside = block refuses it.*"
    ])
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s", "--kms-rotation-outside=warn")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines([
        "*RAISED EndpointConnectionError*",
        "*KmsCallOutsideFake: pytest-kmsrotate: KMS ListKeys was called in "
        "test_block_and_warn_cover_aiobotocore_clients.py::test_forgot_the_fixture while no fake was "
        "active; it went to AWS.*",
    ])
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*RAISED EndpointConnectionError*"])  # allow: it went out (to a dead port)


def test_an_aiobotocore_call_from_a_thread_that_outlives_its_fake_is_refused(no_earlier_orphans: None) -> None:
    pytest.importorskip("aiobotocore", reason="aiobotocore is not installed (the aio CI venvs run this)")
    import asyncio

    from aiobotocore.session import get_session

    async def list_keys() -> Any:
        async with get_session().create_client("kms", region_name="us-east-1", aws_access_key_id="a",
                                               aws_secret_access_key="b") as kms:
            return await kms.list_keys()

    go, done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def late_caller() -> None:
        go.wait(10)
        try:
            asyncio.run(list_keys())
        except BaseException as error:
            errors.append(error)
        done.set()

    with KmsRotation() as fake:
        thread = threading.Thread(target=late_caller, name="late-async-caller")
        thread.start()
    go.set()
    assert done.wait(10)
    thread.join(10)
    assert len(errors) == 1 and isinstance(errors[0], outside.KmsCallRefused), errors
    assert str(errors[0]).startswith(
        f"pytest-kmsrotate: KMS ListKeys was called from thread 'late-async-caller' after the fake started by "
        f"{fake.started_by} stopped."
    )
