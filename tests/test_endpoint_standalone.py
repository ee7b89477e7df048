"""`kmsrotate serve`: the fake outside pytest, its control API, and a graceful stop."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY


class Server:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "pytest_kmsrotate._standalone", "serve", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.before: list[str] = []  # lines printed before the server listens (a loaded state file)
        self.banner = self.process.stdout.readline()
        while self.banner.startswith("kmsrotate: loaded "):
            self.before.append(self.banner)
            self.banner = self.process.stdout.readline()
        if not self.banner.startswith("kmsrotate: serving KMS on http://127.0.0.1:"):
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise AssertionError(f"the server did not start: {self.banner!r} {err}")
        self.url = self.banner.split(" on ", 1)[1].split(" ", 1)[0]

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/_kmsrotate{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def kms(self) -> Any:
        return boto3.client("kms", region_name="us-east-1", endpoint_url=self.url,
                            aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY)

    def stop(self, sig: int = signal.SIGTERM) -> subprocess.CompletedProcess[str]:
        self.process.send_signal(sig)
        out, err = self.process.communicate(timeout=15)
        return subprocess.CompletedProcess(self.process.args, self.process.returncode, out, err)


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server("--port", "0", "--start", "2025-01-01T00:00:00Z")
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.stop(signal.SIGKILL)


def test_serve_seed_advance_through_the_control_api(server: Server) -> None:
    assert server.control("GET", "/health") == (200, {"status": "ok"})
    assert server.control("GET", "/clock") == (200, {"now": "2025-01-01T00:00:00Z"})
    status, key = server.control("POST", "/keys", {"alias": "alias/orders", "rotation_period_in_days": 90})
    assert status == 200 and key["rotation_enabled"] is True
    kms = server.kms()
    assert kms.describe_key(KeyId="alias/orders")["KeyMetadata"]["Arn"] == key["arn"]
    for _ in range(10):
        kms.rotate_key_on_demand(KeyId=key["key_id"])
    assert server.control("POST", "/clock/advance", {"days": 91}) == (200, {"now": "2025-04-02T00:00:00Z"})
    rotations = kms.list_key_rotations(KeyId=key["key_id"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"] * 10 + ["AUTOMATIC"]
    status, calls = server.control("GET", "/calls")
    assert [c["operation"] for c in calls] == ["DescribeKey"] + ["RotateKeyOnDemand"] * 10 + ["ListKeyRotations"]
    status, events = server.control("GET", "/events")
    assert status == 200 and any(e.get("detail-type") == "KMS CMK Rotation" for e in events)
    assert server.control("POST", "/clock/move_to", {"time": "2026-01-01T00:00:00Z"}) == (
        200, {"now": "2026-01-01T00:00:00Z"})


def test_faults_and_reset(server: Server) -> None:
    kms = server.kms()
    assert server.control("POST", "/faults", {"operation": "ListKeys", "code": "KMSInternalException",
                                              "times": 5})[0] == 200
    with pytest.raises(ClientError) as excinfo:
        kms.list_keys()
    assert excinfo.value.response["Error"]["Code"] == "KMSInternalException"
    kms.create_key()
    assert server.control("POST", "/reset") == (200, {"now": "2025-01-01T00:00:00Z"})
    assert kms.list_keys()["Keys"] == []  # a fresh fake: no keys, no faults
    assert server.control("GET", "/calls") == (200, [{
        "operation": "ListKeys", "region": "us-east-1", "time": "2025-01-01T00:00:00Z", "ok": True,
        "key_arn": None, "injected": False, "error": None}])


@pytest.mark.parametrize(("method", "path", "body", "status", "error"), [
    ("POST", "/clock/advance", {"weeks": 1}, 400,
     "clock/advance takes days, hours, minutes, seconds (numbers), got ['weeks']"),
    ("POST", "/clock/advance", {"days": "two"}, 400, "clock/advance: days must be a number, got 'two'"),
    ("POST", "/clock/move_to", {"time": "2020-01-01T00:00:00Z"}, 400,
     "the simulated clock only moves forward: it is 2025-01-01T00:00:00+00:00, "
     "move_to() asked for 2020-01-01T00:00:00+00:00"),
    ("POST", "/faults", {"operation": "ListKeys"}, 400,
     'faults takes {"operation": ..., "code": ..., and optionally "message", "times", "key", "status"}'),
    ("POST", "/keys", [1], 400, "the request body must be a JSON object"),
])
def test_bad_control_requests_say_what_is_wrong(server: Server, method: str, path: str, body: Any, status: int,
                                                 error: str) -> None:
    assert server.control(method, path, body) == (status, {"error": error})
    assert server.control("GET", "/health")[0] == 200  # still serving


def test_an_unknown_control_path_lists_the_known_ones(server: Server) -> None:
    status, answer = server.control("GET", "/nothing")
    assert status == 404
    assert answer["error"].startswith("no control operation GET /_kmsrotate/nothing; there are: GET /_kmsrotate/health")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_cleanly_and_releases_the_port(server: Server, sig: int) -> None:
    server.kms().create_key()
    port = int(server.url.rsplit(":", 1)[1])
    done = server.stop(sig)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "kmsrotate: stopped"
    assert "Traceback" not in done.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # released


def test_a_taken_port_is_a_clear_error(server: Server) -> None:
    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run([sys.executable, "-m", "pytest_kmsrotate._standalone", "serve", "--port", port],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith(f"kmsrotate: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in done.stderr


def test_bad_options_are_named(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest_kmsrotate._standalone", "serve", "--region", "us east"],
                          capture_output=True, text=True, timeout=30)
    assert (done.returncode, done.stderr) == (
        2, "kmsrotate: --region must be an AWS region name such as us-east-1, got 'us east'\n")


def test_the_console_command_is_installed() -> None:
    script = Path(sys.executable).with_name("kmsrotate")
    if not script.exists():
        pytest.skip("the kmsrotate script is not installed in this environment (pip install -e . creates it)")
    done = subprocess.run([str(script), "serve", "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and "--port" in done.stdout


# -- state saved on shutdown, loaded on start -------------------------------------------------

def _snapshot(server: Server, kms: Any, key_ids: list[str]) -> dict[str, Any]:
    rotations = [kms.list_key_rotations(KeyId=k)["Rotations"] for k in key_ids]  # logged calls themselves
    return {
        "clock": server.control("GET", "/clock")[1],
        "keys": server.control("GET", "/keys")[1],
        "rotations": rotations,
        "calls": server.control("GET", "/calls")[1],
    }


def test_state_is_saved_on_shutdown_and_the_same_after_a_restart(tmp_path: Path) -> None:
    from tests.test_import_material import wrap

    path = tmp_path / "kms-state.json"
    first = Server("--port", "0", "--state", str(path))
    try:
        kms = first.kms()
        _, seeded = first.control("POST", "/keys", {"alias": "alias/orders", "rotation_period_in_days": 90})
        made = kms.create_key()["KeyMetadata"]["KeyId"]
        for _ in range(3):
            kms.rotate_key_on_demand(KeyId=made)
        blob = kms.encrypt(KeyId=made, Plaintext=b"kept")["CiphertextBlob"]
        rsa_key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
        public = kms.get_public_key(KeyId=rsa_key)["PublicKey"]
        signature = kms.sign(KeyId=rsa_key, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
        external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]["KeyId"]
        params = kms.get_parameters_for_import(KeyId=external, WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                               WrappingKeySpec="RSA_2048")
        kms.import_key_material(KeyId=external, ImportToken=params["ImportToken"],
                                EncryptedKeyMaterial=wrap(params["PublicKey"], "RSAES_OAEP_SHA_256", b"k" * 32),
                                ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE")
        imported_blob = kms.encrypt(KeyId=external, Plaintext=b"imported")["CiphertextBlob"]
        first.control("POST", "/clock/advance", {"days": 100})
        first.control("POST", "/faults", {"operation": "ListKeys", "code": "KMSInternalException", "times": 5})
        key_ids = [seeded["key_id"], made]
        before = _snapshot(first, kms, key_ids)
        done = first.stop()
        assert done.returncode == 0, done.stderr
        assert f"kmsrotate: state saved to {path}" in done.stdout
    finally:
        if first.process.poll() is None:
            first.stop(signal.SIGKILL)
    document = json.loads(path.read_text())
    assert (document["format"], document["version"]) == ("pytest-kmsrotate state", 1)

    second = Server("--port", "0", "--state", str(path))
    try:
        assert second.before == [f"kmsrotate: loaded {path} ({len(document['journal'])} events replayed)\n"]
        kms = second.kms()
        after = _snapshot(second, kms, key_ids)
        calls_after = after.pop("calls")
        calls_before = before.pop("calls")
        assert after == before
        # Every call of the first run, as it was logged, then this snapshot's own two ListKeyRotations.
        assert calls_after[:-2] == calls_before
        assert [c["operation"] for c in calls_after[-2:]] == ["ListKeyRotations"] * 2
        assert after["rotations"][0][-1]["RotationType"] == "AUTOMATIC"
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"  # the same key material came back
        assert kms.decrypt(CiphertextBlob=imported_blob)["Plaintext"] == b"imported"
        assert kms.get_public_key(KeyId=rsa_key)["PublicKey"] == public
        assert kms.verify(KeyId=rsa_key, Message=b"m", Signature=signature,
                          SigningAlgorithm="RSASSA_PSS_SHA_256")["SignatureValid"] is True
        with pytest.raises(ClientError) as excinfo:  # the injected fault came back too
            kms.list_keys()
        assert excinfo.value.response["Error"]["Code"] == "KMSInternalException"
    finally:
        second.stop(signal.SIGKILL)


@pytest.mark.parametrize(("content", "reason"), [
    ("{not json", "is not a pytest-kmsrotate state file (not JSON: "),
    ('{"hello": "world"}', 'is not a pytest-kmsrotate state file (no "format": "pytest-kmsrotate state")'),
    ('{"format": "pytest-kmsrotate state", "version": 99}', "is a version 99 state file; "
                                                            "this pytest-kmsrotate reads version 1"),
    ('{"format": "pytest-kmsrotate state", "version": 1, "config": {}, "secrets": {}, "journal": []}',
     "is damaged: its config cannot be used"),
])
def test_a_corrupt_or_foreign_state_file_is_refused_and_left_alone(tmp_path: Path, content: str,
                                                                   reason: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    done = subprocess.run([sys.executable, "-m", "pytest_kmsrotate._standalone", "serve", "--port", "0",
                           "--state", str(path)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith(f"kmsrotate: {path} {reason}")
    assert done.stderr.rstrip().endswith("; nothing was overwritten")
    assert path.read_text() == content
