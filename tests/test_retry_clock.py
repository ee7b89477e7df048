"""Only KMS retries move the simulated clock (issue 11): another service's back-off sleeps for real."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation


class _Always500(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"
        self.send_response(500)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.hits += 1  # type: ignore[attr-defined]

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def s3_that_fails() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always500)
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def real_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every sleep that reached the real `time.sleep` (installed before the fake, so the fake wraps it)."""
    slept: list[float] = []
    real = time.sleep

    def spy(seconds: float) -> None:
        slept.append(seconds)
        real(min(seconds, 0.01))  # the back-off really blocks, briefly

    monkeypatch.setattr(time, "sleep", spy)
    return slept


def test_an_s3_clients_back_off_sleeps_for_real_and_leaves_the_kms_clock(s3_that_fails: Any,
                                                                        real_sleeps: list[float]) -> None:
    with KmsRotation() as fake:
        s3 = boto3.client(
            "s3", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{s3_that_fails.server_port}",
            aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="secret",
            config=BotoConfig(retries={"mode": "standard", "max_attempts": 3}),
        )
        before = fake.clock.now()
        with pytest.raises(ClientError) as excinfo:
            s3.list_buckets()
        assert excinfo.value.response["Error"]["Code"] == "InternalError"
        assert fake.clock.now() == before  # in the fake's own thread, too
    assert len(real_sleeps) == s3_that_fails.hits - 1 >= 2  # one real back-off before each retry


def test_a_kms_clients_back_off_moves_the_clock_instead(real_sleeps: list[float]) -> None:
    with KmsRotation() as fake:
        kms = boto3.client("kms", region_name="us-east-1",
                           config=BotoConfig(retries={"mode": "standard", "max_attempts": 3}))
        fake.inject_fault("ListKeys", "KMSInternalException", times=2)
        before = fake.clock.now()
        assert kms.list_keys()["Keys"] == []
        assert fake.clock.now() > before
    assert real_sleeps == []


def test_a_kms_retry_in_another_thread_moves_the_clock_but_that_threads_own_sleep_is_real(
    real_sleeps: list[float],
) -> None:
    with KmsRotation() as fake:
        kms = boto3.client("kms", region_name="us-east-1",
                           config=BotoConfig(retries={"mode": "standard", "max_attempts": 2}))
        fake.inject_fault("ListKeys", "KMSInternalException", times=1)
        before = fake.clock.now()

        def work() -> None:
            kms.list_keys()
            time.sleep(0.001)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join(10)
        assert fake.clock.now() > before
    assert real_sleeps == [0.001]


def test_sleep_with_no_caller_frame_does_not_break(real_sleeps: list[float]) -> None:
    import _thread

    done = threading.Event()
    with KmsRotation(freeze_time=False):
        _thread.start_new_thread(lambda: (time.sleep(0.001), done.set()), ())
        assert done.wait(5)
        errors: list[BaseException] = []

        def bare() -> None:
            try:
                time.sleep(0.001)
            except BaseException as error:  # pragma: no cover - the failure this pins
                errors.append(error)

        _thread.start_new_thread(time.sleep, (0.001,))  # time.sleep itself is the thread's only frame
        _thread.start_new_thread(bare, ())
        deadline = time.monotonic() + 5
        while len(real_sleeps) < 3 and time.monotonic() < deadline:
            pass
    assert errors == []
