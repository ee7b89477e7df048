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

from pytest_kmsrotate._process.environment import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY


class Server:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "pytest_kmsrotate._standalone", "serve", *args],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.banner = self.process.stdout.readline()
        assert self.banner.startswith("kmsrotate: serving KMS on http://127.0.0.1:"), (
            self.banner + self.process.stderr.read() if self.process.stderr else "")
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
