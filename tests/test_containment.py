"""Contained by construction: whatever the machine's AWS set-up, a running fake's KMS clients
consult no credential provider, no config file for their region, no metadata service and no
network; the user's environment comes back exactly (issue 11)."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

from pytest_kmsrotate import Config, KmsRotation

from . import _containment

AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
                 "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
                 "AWS_EC2_METADATA_DISABLED", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS")


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine with no AWS set-up of its own: the test writes the files it wants."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # it caches the files it read
    return tmp_path


@pytest.fixture
def no_connections() -> Iterator[list[str]]:
    """The attempts to reach beyond loopback made inside the test (the suite's audit hook sees all)."""
    before = len(_containment.violations)
    seen: list[str] = []
    yield seen
    seen.extend(_containment.violations[before:])
    assert seen == [], f"the fake let traffic out: {seen}"


def _process_script(tmp_path: Path) -> tuple[str, Path]:
    counter = tmp_path / "runs"
    script = tmp_path / "creds.py"
    script.write_text(textwrap.dedent(f"""
        import json, pathlib
        with open({str(counter)!r}, "a") as f:
            f.write("x")
        print(json.dumps({{"Version": 1, "AccessKeyId": "AKIAPROCESS000000000", "SecretAccessKey": "s",
                           "Expiration": "2000-01-01T00:00:00Z"}}))
    """))
    return f"{sys.executable} {script}", counter


def _exercise() -> str:
    """What code under test does: a client made during the fake, a rotation, a listing."""
    kms = boto3.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    assert len(kms.list_keys()["Keys"]) == 1
    return str(kms.meta.region_name)


def _with_fake(**config: Any) -> str:
    before = dict(os.environ)
    with KmsRotation(Config(seed="containment", **config)):
        region = _exercise()
    assert dict(os.environ) == before, "the user's environment must come back exactly"
    return region


SSO_PROFILE = """
[profile work]
sso_session = corp
sso_account_id = 123456789012
sso_role_name = Admin
region = eu-west-1
[sso-session corp]
sso_start_url = https://example.invalid/start
sso_region = eu-west-1
"""


def test_an_active_sso_profile_without_a_token(machine: Path, monkeypatch: pytest.MonkeyPatch,
                                               no_connections: list[str]) -> None:
    (machine / "config").write_text(SSO_PROFILE)
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert _with_fake() == "us-east-1", "the region never comes from a config file"


def test_an_inactive_sso_profile(machine: Path, no_connections: list[str]) -> None:
    (machine / "config").write_text("[default]\n" + SSO_PROFILE)
    assert _with_fake() == "us-east-1"


def test_web_identity(machine: Path, monkeypatch: pytest.MonkeyPatch, no_connections: list[str]) -> None:
    (machine / "token").write_text("a-web-identity-token")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(machine / "token"))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci")
    assert _with_fake(region="eu-central-1") == "eu-central-1"


def test_an_assume_role_profile(machine: Path, monkeypatch: pytest.MonkeyPatch, no_connections: list[str]) -> None:
    (machine / "config").write_text("[profile deploy]\nrole_arn = arn:aws:iam::123456789012:role/deploy\n"
                                    "source_profile = base\n[profile base]\nregion = ap-south-1\n")
    (machine / "credentials").write_text("[base]\naws_access_key_id = AKIABASE000000000000\n"
                                         "aws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_PROFILE", "deploy")
    _with_fake()


def test_credential_process_never_runs(machine: Path, monkeypatch: pytest.MonkeyPatch,
                                       no_connections: list[str]) -> None:
    command, counter = _process_script(machine)
    (machine / "config").write_text(f"[profile proc]\ncredential_process = {command}\n")
    monkeypatch.setenv("AWS_PROFILE", "proc")
    _with_fake()
    assert not counter.exists(), "credential_process ran while the fake was active"


def test_a_client_made_before_the_fake_never_refreshes(machine: Path, monkeypatch: pytest.MonkeyPatch,
                                                       no_connections: list[str]) -> None:
    command, counter = _process_script(machine)
    (machine / "config").write_text(f"[profile proc]\ncredential_process = {command}\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_PROFILE", "proc")
    early = botocore.session.Session().create_client("kms")  # resolves credentials now, lazily refreshed
    runs = counter.read_text() if counter.exists() else ""
    with KmsRotation(Config(seed="early")):
        for _ in range(3):
            early.create_key()  # expired credentials would refresh (run the process) at every signing
    assert (counter.read_text() if counter.exists() else "") == runs


def test_instance_metadata_is_never_asked(machine: Path, no_connections: list[str]) -> None:
    # No credentials and no region anywhere: botocore would ask 169.254.169.254 for both.
    assert _with_fake() == "us-east-1"


def test_explicit_credentials_and_region_are_kept(machine: Path) -> None:
    with KmsRotation(Config(seed="explicit")) as fake:
        kms = boto3.client("kms", region_name="eu-west-3", aws_access_key_id="AKIAUSER000000000000",
                           aws_secret_access_key="s")
        kms.create_key()
        assert kms.meta.region_name == "eu-west-3"
        assert fake.calls[-1].region == "eu-west-3"


def test_region_variables_still_count(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "sa-east-1")
    assert _with_fake() == "sa-east-1"


def test_other_services_keep_their_own_credential_chain(machine: Path) -> None:
    (machine / "credentials").write_text("[default]\naws_access_key_id = AKIAMINE000000000000\n"
                                         "aws_secret_access_key = mine\n")
    with KmsRotation(Config(seed="others")):
        sts = boto3.client("sts", region_name="us-east-1")
        assert sts._request_signer._credentials.access_key == "AKIAMINE000000000000"


def test_the_audit_hook_refuses_traffic_beyond_loopback() -> None:
    assert _containment._installed
    assert _containment.is_loopback("127.0.0.1") and _containment.is_loopback("::1")
    assert _containment.is_loopback("localhost") and _containment.is_loopback(None)
    assert not _containment.is_loopback("169.254.169.254") and not _containment.is_loopback("kms.amazonaws.com")
    before = len(_containment.violations)
    with pytest.raises(_containment.ContainmentViolation):
        socket.getaddrinfo("kms.us-east-1.amazonaws.com", 443)  # refused before any look-up happens
    assert _containment.violations[before:] == ["socket.getaddrinfo to 'kms.us-east-1.amazonaws.com'"]
    del _containment.violations[before:]  # this test's own, deliberate attempt


def test_pytest_runs_started_by_the_suite_are_watched_too(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import socket, sys
        def test_it():
            assert "tests._containment" in sys.modules
            socket.getaddrinfo("kms.us-east-1.amazonaws.com", 443)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["containment: 1 attempt(s) to reach beyond loopback:",
                                 "  socket.getaddrinfo to 'kms.us-east-1.amazonaws.com'"])
    result.stdout.fnmatch_lines(["*ContainmentViolation: pytest-kmsrotate's test suite allows no traffic beyond*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
