"""Contained by construction (issue 11): whatever the machine's AWS set-up, a KMS client used while
the fake runs consults no credential chain, no config-file region and no network, and the
environment is exactly as it was afterwards.

Each machine set-up is built from throwaway files (HOME, AWS_CONFIG_FILE,
AWS_SHARED_CREDENTIALS_FILE) and environment variables. `watch()` records, through an audit
hook, every connection and name look-up (any host, loopback included), every subprocess and
every file opened under the throwaway HOME while the fake runs: each test asserts it saw none.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest

from pytest_kmsrotate import KmsRotation
from tests._network_guard import NetworkLeak, expect_leak
from tests.conftest import assert_matches_output_shape

_recording = threading.local()
_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
           "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "open"}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    seen = getattr(_recording, "seen", None)
    if seen is None or event not in _EVENTS:
        return
    if event == "open":
        path = str(args[0])
        if not path.startswith(_recording.home) or path.endswith((".aws/config", ".aws/credentials")):
            return  # botocore reads the two files for every client's other settings; not a credential source
        seen.append(f"open {path}")
        return
    seen.append(f"{event} {args[1] if event == 'socket.connect' else args[0]!r}")


sys.addaudithook(_audit)


@contextmanager
def watch(home: Path) -> Iterator[list[str]]:
    """Everything network, process or HOME file this thread does inside the block."""
    _recording.seen, _recording.home = seen, _recording.home = [], str(home)
    try:
        yield seen
    finally:
        _recording.seen = None


class Machine:
    """A developer's machine: a HOME with ~/.aws files and AWS environment variables."""

    def __init__(self, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.home = home
        self.aws = home / ".aws"
        self.aws.mkdir()
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(self.aws / "config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(self.aws / "credentials"))
        self._monkeypatch = monkeypatch

    def config(self, text: str) -> None:
        (self.aws / "config").write_text(text)

    def credentials(self, text: str) -> None:
        (self.aws / "credentials").write_text(text)

    def env(self, **values: str) -> None:
        for name, value in values.items():
            self._monkeypatch.setenv(name, value)


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Machine:
    home = tmp_path / "home"
    home.mkdir()
    return Machine(home, monkeypatch)


SSO_PROFILE = """
[profile corp]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
[sso-session corp]
sso_region = eu-central-1
sso_start_url = https://corp.awsapps.com/start
sso_registration_scopes = sso:account:access
"""
LEGACY_SSO_PROFILE = """
[profile legacy]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
sso_account_id = 111122223333
sso_role_name = Developer
"""


def use_kms(client: Any, fake: KmsRotation) -> str:
    """A working fake: a key made, rotated on demand and described through `client`."""
    created = client.create_key(Description="contained")
    assert_matches_output_shape("CreateKey", created)
    arn = created["KeyMetadata"]["Arn"]
    client.rotate_key_on_demand(KeyId=arn)
    assert client.describe_key(KeyId=arn)["KeyMetadata"]["Arn"] == arn
    assert fake.key(arn).arn == arn
    return str(arn)


def run_contained(machine: Machine, make_client: Any) -> tuple[list[str], str, KmsRotation]:
    """Create a KMS client inside the fake and use it; the environment must come back exactly."""
    before = dict(os.environ)
    with watch(machine.home) as seen, KmsRotation() as fake:
        client = make_client()
        use_kms(client, fake)
        region = client.meta.region_name
    assert dict(os.environ) == before
    return seen, region, fake


def test_sso_profile_active_without_a_cached_token(machine: Machine) -> None:
    machine.config(SSO_PROFILE)
    machine.env(AWS_PROFILE="corp")
    seen, region, fake = run_contained(machine, lambda: boto3.Session().client("kms"))
    assert seen == []  # no token file read, no OIDC or portal connection
    assert region == "us-east-1"  # the fake's: the sso_region is no client region
    assert [c.operation for c in fake.calls] == ["CreateKey", "RotateKeyOnDemand", "DescribeKey"]


def test_sso_profile_named_explicitly_with_an_expired_token(machine: Machine) -> None:
    machine.config(LEGACY_SSO_PROFILE)
    cache = machine.aws / "sso" / "cache"
    cache.mkdir(parents=True)
    expired = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    import hashlib

    name = hashlib.sha1(b"https://corp.awsapps.com/start").hexdigest()
    (cache / f"{name}.json").write_text(json.dumps(
        {"accessToken": "expired", "expiresAt": expired, "region": "eu-central-1",
         "startUrl": "https://corp.awsapps.com/start"}))
    # An explicit profile drops the environment provider from botocore's chain: only containment helps.
    seen, region, _ = run_contained(machine, lambda: boto3.Session(profile_name="legacy").client("kms"))
    assert seen == []
    assert region == "us-east-1"


def test_sso_credentials_of_a_client_made_before_the_fake_are_never_fetched(machine: Machine) -> None:
    machine.config(LEGACY_SSO_PROFILE)
    cache = machine.aws / "sso" / "cache"
    cache.mkdir(parents=True)
    valid = (datetime.now(timezone.utc) + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    import hashlib

    name = hashlib.sha1(b"https://corp.awsapps.com/start").hexdigest()
    (cache / f"{name}.json").write_text(json.dumps(
        {"accessToken": "valid", "expiresAt": valid, "region": "eu-central-1",
         "startUrl": "https://corp.awsapps.com/start"}))
    early = boto3.Session(profile_name="legacy", region_name="eu-west-1").client("kms")
    with watch(machine.home) as seen, KmsRotation() as fake:
        use_kms(early, fake)  # its deferred SSO credentials would call portal.sso.eu-central-1
    assert seen == []


def test_sso_profile_present_but_not_active_does_not_hide_the_region_or_credentials(machine: Machine) -> None:
    machine.config("[default]\nregion = eu-west-2\n" + SSO_PROFILE)
    seen, region, _ = run_contained(machine, lambda: boto3.Session().client("kms"))
    assert seen == []  # no instance metadata (169.254.169.254) either
    assert region == "us-east-1"  # the config file's region is not read for a contained client


def test_region_comes_from_the_call_the_client_config_the_session_or_the_environment(machine: Machine) -> None:
    from botocore.config import Config as BotoConfig

    machine.config("[default]\nregion = eu-west-2\n")
    machine.env(AWS_DEFAULT_REGION="ap-south-1")
    with KmsRotation():
        assert boto3.client("kms").meta.region_name == "ap-south-1"
        assert boto3.client("kms", region_name="sa-east-1").meta.region_name == "sa-east-1"
        assert boto3.client("kms", config=BotoConfig(region_name="ca-central-1")).meta.region_name == "ca-central-1"
        assert boto3.Session(region_name="eu-north-1").client("kms").meta.region_name == "eu-north-1"


def test_web_identity_never_reads_the_token_or_calls_sts(machine: Machine) -> None:
    token = machine.home / "token"
    token.write_text("eyJ.a.b")
    machine.env(AWS_WEB_IDENTITY_TOKEN_FILE=str(token), AWS_ROLE_ARN="arn:aws:iam::111122223333:role/ci",
                AWS_ROLE_SESSION_NAME="ci", AWS_DEFAULT_REGION="us-west-2")
    early = boto3.Session().client("kms")  # created before the fake: holds deferred STS credentials
    with watch(machine.home) as seen, KmsRotation() as fake:
        use_kms(early, fake)
        use_kms(boto3.Session().client("kms"), fake)
    assert seen == []


def test_assume_role_profile_never_calls_sts(machine: Machine) -> None:
    machine.config("[profile deploy]\nrole_arn = arn:aws:iam::111122223333:role/deploy\n"
                   "source_profile = base\nregion = eu-west-1\n[profile base]\n")
    machine.credentials("[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n")
    machine.env(AWS_PROFILE="deploy")
    early = boto3.Session().client("kms")
    with watch(machine.home) as seen, KmsRotation() as fake:
        use_kms(early, fake)
        use_kms(boto3.Session(profile_name="deploy").client("kms"), fake)
    assert seen == []


def test_credential_process_never_runs(machine: Machine) -> None:
    runs = machine.home / "runs"
    script = machine.home / "creds.py"
    script.write_text(
        "import json, pathlib, sys\n"
        f"pathlib.Path({str(runs)!r}).open('a').write('run\\n')\n"
        "json.dump({'Version': 1, 'AccessKeyId': 'AKIAPROC', 'SecretAccessKey': 's',"
        " 'SessionToken': 't', 'Expiration': '2000-01-01T00:00:00Z'}, sys.stdout)\n"
    )
    machine.config(f"[default]\ncredential_process = {sys.executable} {script}\nregion = eu-west-1\n")
    early = boto3.Session().client("kms")  # created before the fake: ran the process once, already expired
    assert runs.read_text().count("run") == 1
    with watch(machine.home) as seen, KmsRotation() as fake:
        use_kms(early, fake)  # its expired credentials would run the process again to refresh
        use_kms(boto3.Session().client("kms"), fake)
    assert seen == []
    assert runs.read_text().count("run") == 1  # zero runs while the fake was active


def test_no_credentials_anywhere_never_asks_instance_metadata(machine: Machine) -> None:
    seen, region, _ = run_contained(machine, lambda: botocore.session.Session().create_client("kms"))
    assert seen == []  # no 169.254.169.254, no container credentials endpoint
    assert region == "us-east-1"


def test_other_services_keep_the_machines_credentials(machine: Machine) -> None:
    machine.env(AWS_ACCESS_KEY_ID="AKIAUSERS", AWS_SECRET_ACCESS_KEY="users-secret")
    with KmsRotation():
        sts = boto3.client("sts", region_name="us-east-1")
        assert sts._request_signer._credentials.access_key == "AKIAUSERS"
        assert boto3.client("kms", region_name="us-east-1")._request_signer._credentials.access_key != "AKIAUSERS"
    assert os.environ["AWS_ACCESS_KEY_ID"] == "AKIAUSERS"


def test_create_client_is_restored_when_the_fake_stops() -> None:
    before = botocore.session.Session.create_client
    with KmsRotation():
        assert botocore.session.Session.create_client is not before
    assert botocore.session.Session.create_client is before


class TestTheSuitesNetworkGuard:
    def test_a_non_loopback_connection_is_refused_and_recorded(self) -> None:
        with expect_leak() as leaks, socket.socket() as sock, pytest.raises(NetworkLeak):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed
        assert leaks == ["socket.connect to '192.0.2.1'"]

    def test_a_name_look_up_is_refused(self) -> None:
        with expect_leak() as leaks, pytest.raises(NetworkLeak):
            socket.getaddrinfo("kms.us-east-1.amazonaws.com", 443)
        with expect_leak() as more, pytest.raises(NetworkLeak):
            socket.gethostbyname("example.com")
        assert leaks + more == ["socket.getaddrinfo to 'kms.us-east-1.amazonaws.com'",
                                "socket.gethostbyname to 'example.com'"]

    def test_loopback_is_allowed(self) -> None:
        assert socket.getaddrinfo("127.0.0.1", 80)
        assert socket.getaddrinfo("localhost", 80)

    def test_a_pytester_subprocess_is_guarded_too(self, pytester: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
        pytester.makepyfile(
            """
            import socket

            def test_leaks():
                try:
                    socket.create_connection(("192.0.2.1", 443), timeout=0.1)
                except OSError as error:
                    print("refused:", type(error).__name__)
            """
        )
        log = pytester.path / "leaks.log"  # its own log: this leak is the point, not a failure
        monkeypatch.setenv("KMSROTATE_NETWORK_LEAK_LOG", str(log))
        result = pytester.runpytest_subprocess("-s", "-p", "no:randomly")
        result.stdout.fnmatch_lines(["*refused: NetworkLeak*"])
        assert [line.split(" ", 1)[1] for line in log.read_text().splitlines()] == [
            "socket.getaddrinfo to '192.0.2.1'"
        ]
