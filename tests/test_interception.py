"""Every botocore KMS client in the process reaches the fake, and nothing else does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from pytest_kmsrotate import KmsRotation, NotImplementedByFake
from pytest_kmsrotate._core.config import Config
from tests.conftest import assert_matches_output_shape, error_of

# Created at import time, long before any fixture runs: application code does this.
MODULE_LEVEL_CLIENT = boto3.client(
    "kms", region_name="us-east-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret"
)


class CountingServer:
    """A loopback TCP listener that counts the connections it accepts and then closes them."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def server() -> Iterator[CountingServer]:
    srv = CountingServer()
    yield srv
    srv.close()


def loopback_client(url: str) -> Any:
    return boto3.client(
        "kms",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )


def test_module_level_client_created_before_the_fixture_is_intercepted(kms_rotation: KmsRotation) -> None:
    created = MODULE_LEVEL_CLIENT.create_key(Description="from import time")
    assert_matches_output_shape("CreateKey", created)
    assert kms_rotation.key(created["KeyMetadata"]["KeyId"]).arn == created["KeyMetadata"]["Arn"]


def test_client_created_during_the_test_is_intercepted(kms_rotation: KmsRotation) -> None:
    key_id = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
    assert [k.key_id for k in kms_rotation.keys] == [key_id]


def test_clients_from_every_kind_of_session_are_intercepted(kms_rotation: KmsRotation) -> None:
    clients = [
        boto3.client("kms", region_name="us-east-1"),  # boto3's default session
        boto3.Session(region_name="us-east-1").client("kms"),
        botocore.session.get_session().create_client("kms", region_name="us-east-1"),
    ]
    ids = [c.create_key()["KeyMetadata"]["KeyId"] for c in clients]
    assert sorted(k.key_id for k in kms_rotation.keys) == sorted(ids)


def test_client_used_from_another_thread_is_intercepted(kms_rotation: KmsRotation) -> None:
    client = boto3.client("kms", region_name="us-east-1")
    results: list[str] = []
    thread = threading.Thread(target=lambda: results.append(client.create_key()["KeyMetadata"]["Arn"]))
    thread.start()
    thread.join(10)
    assert results and kms_rotation.key(results[0]).arn == results[0]


def test_no_connection_is_made_while_the_fake_is_active(server: CountingServer) -> None:
    client = loopback_client(server.url)
    with KmsRotation():
        client.create_key()
        client.list_keys()
    assert server.accepted == 0


def test_the_same_client_connects_when_no_fake_is_active(server: CountingServer) -> None:
    client = loopback_client(server.url)
    with pytest.raises((EndpointConnectionError, ClientError, Exception)):
        client.list_keys()
    assert server.accepted >= 1


def test_other_services_are_never_answered_by_the_fake(server: CountingServer, kms_rotation: KmsRotation) -> None:
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=1),
    )
    with pytest.raises(Exception):  # noqa: B017 - whatever the closed socket makes botocore raise
        sts.get_caller_identity()
    assert server.accepted >= 1
    assert kms_rotation.calls == []


def test_errors_reach_botocore_as_modeled_exceptions(kms: Any) -> None:
    missing = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000"
    with pytest.raises(kms.exceptions.NotFoundException) as excinfo:
        kms.describe_key(KeyId=missing)
    assert error_of(excinfo) == ("NotFoundException", f"Key '{missing}' does not exist")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unimplemented_operation_raises_something_clienterror_cannot_catch() -> None:
    # Outside the fixture, so that its teardown check (tested below) does not fire here. The fake
    # answers every operation of today's model, so one is taken out, as a future botocore's would be.
    with KmsRotation() as fake, pytest.raises(NotImplementedByFake, match="'DescribeCustomKeyStores'") as excinfo:
        del fake.engine._operations["DescribeCustomKeyStores"]
        try:
            boto3.client("kms", region_name="us-east-1").describe_custom_key_stores()
        except ClientError:  # pragma: no cover - the point is that this cannot catch it
            pytest.fail("NotImplementedByFake was caught as a ClientError")
    assert not isinstance(excinfo.value, ClientError)
    assert fake.unimplemented_calls == ["DescribeCustomKeyStores"]


def test_a_swallowed_unimplemented_operation_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3

        def test_swallows(kms_rotation):
            del kms_rotation.engine._operations["DescribeCustomKeyStores"]  # as if a future operation
            try:
                boto3.client("kms", region_name="us-east-1").describe_custom_key_stores()
            except Exception:
                pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*pytest-kmsrotate: the code under test called KMS operation(s) the fake does not implement: "
            "DescribeCustomKeyStores. Each call raised NotImplementedByFake; if this test passed anyway, the code "
            "swallowed that error."
        ]
    )


def test_handlers_are_removed_when_the_fake_stops() -> None:
    from botocore.hooks import HierarchicalEmitter

    before = HierarchicalEmitter._emit
    with KmsRotation():
        assert HierarchicalEmitter._emit is not before
    assert HierarchicalEmitter._emit is before


def test_nested_fakes_answer_with_the_innermost_and_unwind_in_order() -> None:
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
    with KmsRotation(Config(seed="outer")) as outer:
        client.create_key()
        with KmsRotation(Config(seed="inner")) as inner:
            client.create_key()
            client.create_key()
        client.create_key()
    assert (len(outer.keys), len(inner.keys)) == (2, 2)


class TestCredentials:
    def test_configured_credentials_are_left_alone(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUSERS")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "users-secret")
        with KmsRotation():
            assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAUSERS"
            creds = boto3.Session(region_name="us-east-1").get_credentials()
            assert creds.access_key == "AKIAUSERS"
        assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAUSERS"

    def test_a_client_that_found_no_credentials_still_reaches_the_fake(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
    ) -> None:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
        client = boto3.Session(region_name="us-east-1").client("kms")  # resolves no credentials
        with pytest.raises(NoCredentialsError):
            client.list_keys()  # no fake: botocore refuses to sign, as always
        with KmsRotation():
            assert client.list_keys()["Keys"] == []


def test_plugin_import_loads_nothing_heavy() -> None:
    code = textwrap.dedent(
        """
        import sys
        import pytest_kmsrotate._pytest_plugin.plugin
        heavy = [m for m in ("boto3", "botocore", "freezegun", "cryptography", "pytest_kmsrotate._core.engine")
                 if m in sys.modules]
        print(",".join(heavy))
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
