"""The endpoint in a test: started on first use or by marker/ini, stopped with the fake; child
processes reach it through the environment, and their calls join the fake's call log."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import textwrap
from urllib.parse import urlsplit

import pytest

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._adapters.http_endpoint import HttpEndpoint
from pytest_kmsrotate._process.endpoint_environment import ENDPOINT_VARIABLE
from pytest_kmsrotate._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

CHILD = textwrap.dedent("""
    import boto3, json
    kms = boto3.client("kms")
    key = kms.create_key(Description="from a child")["KeyMetadata"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    print(json.dumps({"arn": key["Arn"], "endpoint": kms.meta.endpoint_url}))
""")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_the_endpoint_starts_on_first_use_and_stops_with_the_fake() -> None:
    saved = os.environ.get(ENDPOINT_VARIABLE)
    fake = KmsRotation().start()
    try:
        assert not any(isinstance(door, HttpEndpoint) for door in fake.doors)
        url = fake.endpoint_url
        assert fake.endpoint_url == url  # one endpoint per fake
        assert os.environ[ENDPOINT_VARIABLE] == url
    finally:
        fake.stop()
    assert os.environ.get(ENDPOINT_VARIABLE) == saved
    assert _free(urlsplit(url).port or 0), "the port stays taken after the fake stopped"


def test_a_stopped_fake_has_no_endpoint() -> None:
    with pytest.raises(RuntimeError, match="start the KmsRotation first"):
        _ = KmsRotation().endpoint_url


def test_stopping_waits_for_no_idle_connection() -> None:
    # An SDK's keep-alive connection, idle in its pool, must not hold the server open at teardown.
    fake = KmsRotation().start()
    url = fake.endpoint_url
    parts = urlsplit(url)
    idle = socket.create_connection((parts.hostname, parts.port))
    try:
        fake.stop()
        idle.settimeout(3)
        with contextlib.suppress(ConnectionResetError):  # a reset is closed too, just not politely
            assert idle.recv(1) == b""  # the server closed its end promptly, not at a timeout
    finally:
        idle.close()


def test_subprocess_env_points_kms_at_the_endpoint_with_throwaway_credentials(kms_rotation: KmsRotation) -> None:
    env = kms_rotation.subprocess_env({"AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "t", "PATH": "/bin"})
    assert env == {
        "PATH": "/bin",
        ENDPOINT_VARIABLE: kms_rotation.endpoint_url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }


def test_a_child_process_is_answered_by_the_fake_and_logged(kms_rotation: KmsRotation) -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], env=kms_rotation.subprocess_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f'"endpoint": "{kms_rotation.endpoint_url}"' in done.stdout
    assert [c.operation for c in kms_rotation.calls] == ["CreateKey", "RotateKeyOnDemand"]
    key = kms_rotation.keys[0]
    assert key.arn in done.stdout
    kms_rotation.assert_rotated(key, times=1, type="ON_DEMAND")


def test_a_child_inheriting_the_environment_never_leaves_loopback(kms_rotation: KmsRotation) -> None:
    url = kms_rotation.endpoint_url
    probe = "import boto3; print(boto3.client('kms', region_name='us-east-1').meta.endpoint_url)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == url


def test_the_marker_starts_the_endpoint_with_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import importlib.util
        import os
        import pytest

        # The in-process doors: botocore's, and aiobotocore's where it is installed (the `aio` extra).
        IN_PROCESS = ["BotocoreDoor"] + (["AiobotocoreDoor"] if importlib.util.find_spec("aiobotocore") else [])

        @pytest.mark.kms_rotation(endpoint=True)
        def test_started(kms_rotation):
            doors = [type(d).__name__ for d in kms_rotation.doors]
            assert doors == [*IN_PROCESS, "HttpEndpoint"]
            assert os.environ["AWS_ENDPOINT_URL_KMS"] == kms_rotation.endpoint_url

        def test_not_asked(kms_rotation):
            assert [type(d).__name__ for d in kms_rotation.doors] == IN_PROCESS
            assert "AWS_ENDPOINT_URL_KMS" not in os.environ
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_the_ini_option_starts_the_endpoint_for_every_test(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkms_rotation_endpoint = true\n")
    pytester.makepyfile(
        """
        import importlib.util
        import pytest

        IN_PROCESS = ["BotocoreDoor"] + (["AiobotocoreDoor"] if importlib.util.find_spec("aiobotocore") else [])

        def test_started(kms_rotation):
            assert [type(d).__name__ for d in kms_rotation.doors] == [*IN_PROCESS, "HttpEndpoint"]

        @pytest.mark.kms_rotation(endpoint=False)
        def test_marker_wins(kms_rotation):
            assert [type(d).__name__ for d in kms_rotation.doors] == IN_PROCESS
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2)


def test_a_bad_endpoint_value_fails_the_test_at_setup(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kms_rotation(endpoint="sometimes")
        def test_it(kms_rotation):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*pytest-kmsrotate: kms_rotation(endpoint=...) must be true or false, got 'sometimes'"])
