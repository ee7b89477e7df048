"""Benchmarks: pytest-kmsrotate against moto and against botocore's own pipeline, in one run.

Every figure that matters is a ratio of two measurements taken in the same process on the same
machine, so the numbers travel between machines better than absolute times do.

    python benchmarks/bench.py            # everything
    python benchmarks/bench.py --quick    # fewer repetitions
    python benchmarks/bench.py --only calls,endpoint,time
    python benchmarks/bench.py --only calls,aio   # with aiobotocore installed (the `aio` extra)

Prints a table of medians and ratios, and writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from pytest_kmsrotate import Config, KmsRotation

RESULTS = Path(__file__).parent / "results"
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def new_client() -> Any:
    return boto3.client("kms", region_name="us-east-1")


# -- 1. per-call latency ---------------------------------------------------------------------

def _scenario(client: Any) -> dict[str, Callable[[], Any]]:
    """The calls to time, on keys prepared through whichever backend `client` talks to."""
    key = client.create_key()["KeyMetadata"]["KeyId"]
    listed = client.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(10):
        client.rotate_key_on_demand(KeyId=listed)
    blob = client.encrypt(KeyId=key, Plaintext=b"x" * 64)["CiphertextBlob"]
    rotating = client.create_key()["KeyMetadata"]["KeyId"]
    return _call_table(client, key, rotating, listed, blob)


def _call_table(client: Any, key: str, rotating: str, listed: str, blob: bytes) -> dict[str, Callable[[], Any]]:
    """The measured calls, the same for a botocore client and an aiobotocore one (whose calls
    return coroutines for the caller to await)."""
    return {
        "GetKeyRotationStatus": lambda: client.get_key_rotation_status(KeyId=key),
        "EnableKeyRotation": lambda: client.enable_key_rotation(KeyId=key, RotationPeriodInDays=90),
        "DisableKeyRotation": lambda: client.disable_key_rotation(KeyId=rotating),
        "DescribeKey": lambda: client.describe_key(KeyId=key),
        "RotateKeyOnDemand": lambda: client.rotate_key_on_demand(KeyId=rotating),
        "ListKeyRotations(10)": lambda: client.list_key_rotations(KeyId=listed),
        "CreateKey": lambda: client.create_key(),
        "Encrypt": lambda: client.encrypt(KeyId=key, Plaintext=b"x" * 64),
        "Decrypt": lambda: client.decrypt(CiphertextBlob=blob),
    }


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, *_: Any, **__: Any) -> list[bytes]:
        return [self.body]


def _chunked_medians(backends: dict[str, tuple[Any, dict[str, Callable[[], Any]]]], repeat: int,
                     chunk: int = 50) -> dict[str, dict[str, float]]:
    """Per-call medians, the backends taking turns chunk by chunk so machine noise hits all alike."""
    samples: dict[str, dict[str, list[float]]] = {b: {} for b in backends}
    for _ in range(max(1, repeat // chunk)):
        for backend, (context, calls) in backends.items():
            with context():
                for name, fn in calls.items():
                    bucket = samples[backend].setdefault(name, [])
                    for _ in range(chunk):
                        started = time.perf_counter()
                        fn()
                        bucket.append(time.perf_counter() - started)
    return {b: {name: statistics.median(v) * 1e6 for name, v in per.items()} for b, per in samples.items()}


def bench_calls(repeat: int) -> dict[str, Any]:
    fake = KmsRotation(Config(on_demand_limit=10**9), freeze_time=False, patch_sleep=False)
    bodies: dict[str, tuple[bytes, dict[str, str]]] = {}
    with fake:
        client = new_client()
        client.meta.events.register(
            "after-call.kms",
            lambda http_response, model, **_: bodies.__setitem__(
                model.name, (http_response.content, dict(http_response.headers))),
        )
        fake_calls = _scenario(client)
        for fn in fake_calls.values():
            fn()  # warm up, and record each operation's real response body for the floor
    floor = new_client()

    def canned(request: Any, event_name: str, **_: Any) -> AWSResponse:
        # The very bytes and headers the fake sent: the floor is botocore's pipeline alone.
        body, headers = bodies[event_name.rsplit(".", 1)[1]]
        return AWSResponse(request.url, 200, dict(headers), _Raw(body))

    floor.meta.events.register_first("before-send.kms", canned, unique_id="bench-floor")
    floor_calls = _call_table(floor, "k", "k", "k", b"x" * 64)  # any answer will do: it is replayed
    backends: dict[str, tuple[Any, dict[str, Callable[[], Any]]]] = {
        "fake": (lambda: fake, fake_calls),
        "floor": (nullcontext, floor_calls),
    }
    try:
        from moto import mock_aws
    except ImportError:  # pragma: no cover - moto is in the bench extra
        mock_aws = None
    if mock_aws is not None:
        mocked = mock_aws()
        mocked.start()
        moto_calls = _scenario(new_client())
        mocked.stop(remove_data=False)

        @contextmanager
        def moto_context() -> Iterator[None]:
            mocked.start(reset=False)
            try:
                yield
            finally:
                mocked.stop(remove_data=False)

        backends["moto"] = (moto_context, moto_calls)
    medians = _chunked_medians(backends, repeat)
    rows: dict[str, dict[str, float]] = {}
    for name in fake_calls:
        row = {f"{b}_us": medians[b][name] for b in backends}
        row["fake/floor"] = row["fake_us"] / row["floor_us"]
        if "moto_us" in row:
            row["moto/fake"] = row["moto_us"] / row["fake_us"]
        rows[name] = row
    return rows


# -- 1b. per-call latency over HTTP: the fake's endpoint against moto's server ---------------

def bench_endpoint(repeat: int) -> dict[str, Any]:
    """The same boto3 calls over a loopback socket: the fake's endpoint, and moto's ThreadedMotoServer."""
    fake = KmsRotation(Config(on_demand_limit=10**9), freeze_time=False, patch_sleep=False)
    fake.start()
    url = fake.endpoint_url
    # Only the socket answers: without the in-process door the client's requests really go out.
    for door in fake.doors:
        if door.name == "botocore":
            fake.close_door(door)
    from pytest_kmsrotate._process.throwaway import FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

    fake_client = boto3.client("kms", region_name="us-east-1", endpoint_url=url,
                               aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY)
    backends: dict[str, tuple[Any, dict[str, Callable[[], Any]]]] = {
        "endpoint": (nullcontext, _scenario(fake_client)),
    }
    moto_server = None
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:  # pragma: no cover - moto[server] is in the bench extra
        ThreadedMotoServer = None
    if ThreadedMotoServer is not None:
        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise
        moto_server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto_server.start()
        host, port = moto_server.get_host_and_port()
        moto_client = boto3.client("kms", region_name="us-east-1", endpoint_url=f"http://{host}:{port}")
        backends["moto_server"] = (nullcontext, _scenario(moto_client))
    try:
        medians = _chunked_medians(backends, repeat)
    finally:
        fake.stop()
        if moto_server is not None:
            moto_server.stop()
    rows: dict[str, dict[str, float]] = {}
    for name in medians["endpoint"]:
        row = {f"{b}_us": medians[b][name] for b in backends}
        if "moto_server_us" in row:
            row["moto_server/endpoint"] = row["moto_server_us"] / row["endpoint_us"]
        rows[name] = row
    return rows


# -- 1c. per-call latency through aiobotocore: the fake against aiobotocore's own floor ---------

async def _aio_scenario(client: Any) -> dict[str, Callable[[], Any]]:
    """`_scenario` for an aiobotocore client: each call returns the coroutine to await."""
    key = (await client.create_key())["KeyMetadata"]["KeyId"]
    listed = (await client.create_key())["KeyMetadata"]["KeyId"]
    for _ in range(10):
        await client.rotate_key_on_demand(KeyId=listed)
    blob = (await client.encrypt(KeyId=key, Plaintext=b"x" * 64))["CiphertextBlob"]
    rotating = (await client.create_key())["KeyMetadata"]["KeyId"]
    return _call_table(client, key, rotating, listed, blob)


class _AioRaw:
    """What aiobotocore's `AioAWSResponse.content` awaits: `raw.read()`."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    async def read(self, *_: Any, **__: Any) -> bytes:
        return self.body


def bench_aio(repeat: int, chunk: int = 50) -> dict[str, Any]:
    """The calls of section 1 through an aiobotocore client, all awaited in one event loop: the fake,
    and aiobotocore's floor (a `before-send` handler replaying the fake's own bytes and headers)."""
    try:
        from aiobotocore import __version__ as aiobotocore_version
        from aiobotocore.awsrequest import AioAWSResponse
        from aiobotocore.session import get_session
    except ImportError:
        return {"skipped": "aiobotocore is not installed (pip install -e '.[aio]')"}
    import asyncio

    import botocore

    loop = asyncio.new_event_loop()  # the benchmark's own loop, closed below
    fake = KmsRotation(Config(on_demand_limit=10**9), freeze_time=False, patch_sleep=False)
    bodies: dict[str, tuple[bytes, dict[str, str]]] = {}
    contexts = [get_session().create_client("kms", region_name="us-east-1") for _ in range(2)]

    async def record(http_response: Any, model: Any, **_: Any) -> None:
        bodies[model.name] = (await http_response.content, dict(http_response.headers))

    def canned(request: Any, event_name: str, **_: Any) -> Any:
        body, headers = bodies[event_name.rsplit(".", 1)[1]]
        return AioAWSResponse(request.url, 200, dict(headers), _AioRaw(body))

    async def timed(fn: Callable[[], Any], times: int) -> list[float]:
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            await fn()
            samples.append(time.perf_counter() - started)
        return samples

    try:
        with fake:
            client, floor = (loop.run_until_complete(c.__aenter__()) for c in contexts)
            client.meta.events.register("after-call.kms", record)
            fake_calls = loop.run_until_complete(_aio_scenario(client))
            for fn in fake_calls.values():
                loop.run_until_complete(fn())  # warm up, and record each body for the floor
        floor.meta.events.register_first("before-send.kms", canned, unique_id="bench-aio-floor")
        floor_calls = _call_table(floor, "k", "k", "k", b"x" * 64)  # any answer will do: it is replayed
        backends: dict[str, tuple[Any, dict[str, Callable[[], Any]]]] = {
            "fake": (lambda: fake, fake_calls), "floor": (nullcontext, floor_calls)}
        samples: dict[str, dict[str, list[float]]] = {b: {} for b in backends}
        for _ in range(max(1, repeat // chunk)):  # taking turns chunk by chunk, as _chunked_medians does
            for backend, (context, calls) in backends.items():
                with context():
                    for name, fn in calls.items():
                        samples[backend].setdefault(name, []).extend(loop.run_until_complete(timed(fn, chunk)))
        for c in contexts:
            loop.run_until_complete(c.__aexit__(None, None, None))
    finally:
        fake.stop()
        loop.close()
    rows: dict[str, Any] = {}
    for name in fake_calls:
        fake_us = statistics.median(samples["fake"][name]) * 1e6
        floor_us = statistics.median(samples["floor"][name]) * 1e6
        rows[name] = {"fake_us": fake_us, "floor_us": floor_us, "fake/floor": fake_us / floor_us}
    return {"aiobotocore": aiobotocore_version, "botocore": botocore.__version__, "rows": rows}


# -- 2. per-test overhead --------------------------------------------------------------------

_TEST_BODY = """
def test_{n}({fixture}):
    kms = boto3.client("kms", region_name="us-east-1")
    keys = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)]
    for key in keys:
        kms.enable_key_rotation(KeyId=key)
        kms.rotate_key_on_demand(KeyId=key)
        kms.list_key_rotations(KeyId=key)
"""

_MOTO_PREAMBLE = """
import boto3, pytest
from moto import mock_aws

@pytest.fixture
def moto_kms():
    with mock_aws():
        yield
"""


_FLOOR_PREAMBLE = """
import base64, json, boto3, pytest
from botocore.awsrequest import AWSResponse

_CANNED = {{name: (base64.b64decode(body), headers)
           for name, (body, headers) in json.load(open({canned!r})).items()}}

class _Raw:
    def __init__(self, body):
        self.body = body

    def stream(self, *_, **__):
        return [self.body]

def _canned(request, event_name, **_):
    body, headers = _CANNED[event_name.rsplit(".", 1)[1]]
    return AWSResponse(request.url, 200, dict(headers), _Raw(body))

@pytest.fixture
def canned_kms():
    events = boto3._get_default_session().events
    events.register_first("before-send.kms", _canned, unique_id="bench-floor")
    yield
    events.unregister("before-send.kms", unique_id="bench-floor")
"""


def _canned_bodies(path: Path) -> None:
    """The fake's responses to the suite's operations, for the floor session to replay."""
    import base64

    bodies: dict[str, tuple[str, dict[str, str]]] = {}
    with KmsRotation(freeze_time=False, patch_sleep=False):
        client = new_client()
        client.meta.events.register("after-call.kms", lambda http_response, model, **_: bodies.__setitem__(
            model.name, (base64.b64encode(http_response.content).decode(), dict(http_response.headers))))
        key = client.create_key()["KeyMetadata"]["KeyId"]
        client.enable_key_rotation(KeyId=key)
        client.rotate_key_on_demand(KeyId=key)
        client.list_key_rotations(KeyId=key)
    path.write_text(json.dumps(bodies))


def _run_suite(directory: Path, tests: int, fixture: str, preamble: str, body: str = _TEST_BODY) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one pytest session in a child process."""
    text = preamble + "".join(body.format(n=n, fixture=fixture) for n in range(tests))
    (directory / "test_bench_suite.py").write_text(text)
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", str(directory)],
        check=True, capture_output=True,
    )
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return wall, cpu


_EMPTY_BODY = "\ndef test_{n}({fixture}):\n    pass\n"


def bench_suite(tests: int) -> dict[str, Any]:
    """The session under the fake and under moto, and two floors every backend pays alike:
    the same tests against canned responses (botocore's client creation and pipeline, no
    backend), and empty tests (pytest, imports, collection)."""
    runs: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        canned = directory / "canned.json"
        _canned_bodies(canned)
        suite = directory / "suite"
        suite.mkdir()
        runs["fake"] = _run_suite(suite, tests, "kms_rotation", "import boto3\n")
        runs["moto"] = _run_suite(suite, tests, "moto_kms", _MOTO_PREAMBLE)
        runs["botocore_floor"] = _run_suite(suite, tests, "canned_kms", _FLOOR_PREAMBLE.format(canned=str(canned)))
        runs["empty"] = _run_suite(suite, tests, "", "import boto3\n", _EMPTY_BODY)
    setup = []
    for _ in range(300):
        started = time.perf_counter()
        fake = KmsRotation()
        fake.start()
        fake.stop()
        setup.append(time.perf_counter() - started)
    result: dict[str, Any] = {"tests": tests}
    for name, (wall, cpu) in runs.items():
        result[f"{name}_s"] = wall
        result[f"{name}_cpu_s"] = cpu
    floor_cpu = runs["botocore_floor"][1]
    result.update({
        "moto/fake": runs["moto"][0] / runs["fake"][0],
        "moto/fake_cpu": runs["moto"][1] / runs["fake"][1],
        # What each backend adds over botocore's own pipeline with no backend at all.
        "fake_over_floor_cpu_s": runs["fake"][1] - floor_cpu,
        "moto_over_floor_cpu_s": runs["moto"][1] - floor_cpu,
        "fake/floor_cpu": runs["fake"][1] / floor_cpu,
        "target_moto/fake": 30.0,
        "fixture_setup_teardown_median_ms": statistics.median(setup) * 1e3,
    })
    return result


# -- 2b. what following the simulated clock costs per test -----------------------------------

def _start_stop_median_ms(make: Callable[[], Any], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fake = make()
        fake.start()
        fake.stop()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e3


def _freezegun_start_stop_median_ms(repeat: int) -> float:
    """The per-test cost of the previous design: one freezegun start (a sweep of sys.modules) and stop."""
    import freezegun

    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        freezer = freezegun.freeze_time("2024-01-01", tick=False)
        freezer.start()
        freezer.stop()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e3


_EMPTY_TEST = "\ndef test_{n}({fixture}):\n    pass\n"


def _empty_suite_s(tests: int, fixture: str, ini: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "pytest.ini").write_text("[pytest]\n" + ini)
        (directory / "test_empty.py").write_text(
            "import boto3, pytest\n\n@pytest.fixture\ndef nothing():\n    yield\n"
            + "".join(_EMPTY_TEST.format(n=n, fixture=fixture) for n in range(tests)))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                        "-p", "no:asyncio", str(directory)], check=True, capture_output=True)
        return time.perf_counter() - started


def bench_fixture(repeat: int, tests: int, rounds: int) -> dict[str, Any]:
    import boto3  # noqa: F401 - the sweep the old design paid for grows with sys.modules

    with KmsRotation():  # first start pays one-time imports and set-up
        pass
    result: dict[str, Any] = {
        "time_following_on_ms": _start_stop_median_ms(KmsRotation, repeat),
        "time_following_off_ms": _start_stop_median_ms(lambda: KmsRotation(freeze_time=False), repeat),
        "async_time_on_ms": _start_stop_median_ms(lambda: KmsRotation(async_time=True), repeat),
        "previous_design_freezegun_sweep_ms": _freezegun_start_stop_median_ms(max(20, repeat // 10)),
        "target_ms": 0.5,
        "tests": tests,
    }
    # The sessions take turns, and each keeps its fastest of `rounds`, so a busy machine hits all alike.
    runs: dict[str, list[float]] = {"baseline": [], "on": [], "off": []}
    for _ in range(rounds):
        runs["baseline"].append(_empty_suite_s(tests, "nothing", ""))
        runs["on"].append(_empty_suite_s(tests, "kms_rotation", ""))
        runs["off"].append(_empty_suite_s(tests, "kms_rotation", "kms_rotation_freeze_time = false\n"))
    baseline = min(runs["baseline"])
    result["suite_no_fixture_s"] = baseline
    result["suite_fixture_on_s"] = min(runs["on"]) - baseline
    result["suite_fixture_off_s"] = min(runs["off"]) - baseline
    result["suite_previous_design_estimate_s"] = (result["previous_design_freezegun_sweep_ms"] / 1e3
                                                  * tests + result["suite_fixture_off_s"])
    return result


# -- 3. time simulation ----------------------------------------------------------------------

_TIME_SCRIPT = """
import os, resource, sys, time
os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench"); os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
import boto3
from botocore.awsrequest import AWSResponse
from pytest_kmsrotate import KmsRotation
count = int(sys.argv[1])
with KmsRotation(freeze_time=False, patch_sleep=False) as fake:
    client = boto3.client("kms", region_name="us-east-1")
    keys = [client.create_key()["KeyMetadata"]["KeyId"] for _ in range(count)]
    for key in keys:
        client.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    fake.clock.advance(days=36525)
    advanced = time.perf_counter() - started
    after_advance = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    total = 0
    paginator = client.get_paginator("list_key_rotations")
    started = time.perf_counter()
    for key in keys:
        for page in paginator.paginate(KeyId=key, PaginationConfig={"PageSize": 1000}):
            total += len(page["Rotations"])
    listed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first = {}
    client.meta.events.register("after-call.kms.ListKeyRotations", lambda http_response, **_: first.setdefault(
        "page", (http_response.content, dict(http_response.headers))))
    client.list_key_rotations(KeyId=keys[0], Limit=1000)
# The floor: botocore's own pipeline and paginator replaying the first key's page for every key.
floor = boto3.client("kms", region_name="us-east-1")
class Raw:
    def __init__(self, body): self.body = body
    def stream(self, *_, **__): return [self.body]
body, headers = first["page"]
def canned(request, **_): return AWSResponse(request.url, 200, headers, Raw(body))
floor.meta.events.register_first("before-send.kms", canned)
paginator = floor.get_paginator("list_key_rotations")
sample = keys[:1000]  # every key's listing is alike: the floor of 10,000 is ten times that of 1,000
started = time.perf_counter()
for key in sample:
    for page in paginator.paginate(KeyId=key, PaginationConfig={"PageSize": 1000}):
        pass
floor_listed = (time.perf_counter() - started) * len(keys) / len(sample)
print(count, total, advanced, listed, floor_listed, before / 1024, after_advance / 1024, peak / 1024)
"""


def bench_time(key_counts: list[int]) -> dict[str, Any]:
    """Each size in a fresh process: its peak memory is its own (ru_maxrss, in MB)."""
    rows = {}
    for count in key_counts:
        out = subprocess.run([sys.executable, "-c", _TIME_SCRIPT, str(count)], check=True, capture_output=True,
                             text=True).stdout.split()
        keys, rotations = int(out[0]), int(out[1])
        advance_s, list_s, floor_list_s, rss_before, rss_advanced, rss_peak = map(float, out[2:])
        rows[str(count)] = {"keys": keys, "rotations": rotations, "advance_s": advance_s, "list_s": list_s,
                            "floor_list_s": floor_list_s, "list_fake/floor": list_s / floor_list_s,
                            "peak_mb": rss_peak, "advance_growth_mb": rss_advanced - rss_before,
                            "growth_mb": rss_peak - rss_before,
                            "us_per_rotation": advance_s / max(rotations, 1) * 1e6}
    return rows


# -- 4. start-up -----------------------------------------------------------------------------

def bench_startup(repeat: int) -> dict[str, Any]:
    """`pytest --co` with only this plugin loaded, against none: other plugins' noise left out.

    Wall time and CPU time (user + system) of each child; CPU time is what to compare on a
    shared machine, since waiting for a core does not inflate it."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp)
        (suite / "test_plain.py").write_text("".join(f"def test_{n}():\n    pass\n" for n in range(200)))

        def collect(*extra: str) -> tuple[float, float]:
            cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *extra,
                            str(suite)], check=True, capture_output=True, env=env)
            wall = time.perf_counter() - started
            cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            return wall, (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)

        with_plugin, without = [], []
        for _ in range(repeat):  # alternating, so drifts in machine load hit both alike
            with_plugin.append(collect("-p", "pytest_kmsrotate._pytest_plugin.plugin"))
            without.append(collect())
    a, b = (statistics.median(wall for wall, _ in runs) for runs in (with_plugin, without))
    a_cpu, b_cpu = (statistics.median(cpu for _, cpu in runs) for runs in (with_plugin, without))
    import_ms = _plugin_import_ms()
    return {"with_plugin_ms": a * 1e3, "without_plugin_ms": b * 1e3, "difference_ms": (a - b) * 1e3,
            "with_plugin_cpu_ms": a_cpu * 1e3, "without_plugin_cpu_ms": b_cpu * 1e3,
            "difference_cpu_ms": (a_cpu - b_cpu) * 1e3, "plugin_import_ms": import_ms}


def _plugin_import_ms() -> float:
    """What importing the plugin adds after pytest is imported, by Python's own -X importtime."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c",
                          "import pytest; import pytest_kmsrotate._pytest_plugin.plugin"],
                         check=True, capture_output=True, text=True).stderr
    for line in out.splitlines():
        if line.rstrip().endswith("| pytest_kmsrotate._pytest_plugin.plugin"):
            return int(line.split("|")[1]) / 1e3
    return float("nan")


# -- 5. scoped fakes: seeding once and restoring per test, against seeding per test ------------

def bench_scoped(repeat: int) -> dict[str, Any]:
    """What a shared fake saves: seeding 20 keys with ten years of quarterly rotations, against
    restoring a checkpoint of them (what `kms_rotation_module` does before every test)."""
    created = datetime(2014, 1, 1, tzinfo=timezone.utc)
    keys = [{"alias": f"alias/k{n}", "rotation_period_in_days": 90, "created": created} for n in range(20)]
    seeding, restoring = [], []
    fake = KmsRotation(keys=keys)
    checkpoint = fake.checkpoint()
    for _ in range(repeat):
        started = time.perf_counter()
        KmsRotation(keys=keys)
        seeding.append(time.perf_counter() - started)
        started = time.perf_counter()
        fake.restore(checkpoint)
        restoring.append(time.perf_counter() - started)
    seed_ms, restore_ms = statistics.median(seeding) * 1e3, statistics.median(restoring) * 1e3
    materials = sum(len(k.material_ids) for k in fake.keys)
    return {"keys": len(fake.keys), "materials": materials, "seed_ms": seed_ms, "restore_ms": restore_ms,
            "seed/restore": seed_ms / restore_ms}


def byte_compile_the_plugin() -> None:
    """Compile this package's modules to bytecode before anything is timed.

    pip byte-compiles a wheel when it installs it, so that is what users load; an editable
    install under PYTHONDONTWRITEBYTECODE=1 (this project's CI machines set it) would instead
    compile every module from source in every pytest run, while botocore, moto and pytest load
    their installed bytecode, and the comparison would charge the plugin for the compiler.
    """
    import compileall

    import pytest_kmsrotate

    compileall.compile_dir(str(Path(pytest_kmsrotate.__file__).parent), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--only", default="calls,endpoint,aio,suite,fixture,time,startup,scoped",
                        help="comma-separated sections")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    only = set(args.only.split(","))
    byte_compile_the_plugin()
    results: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if "calls" in only:
        results["calls"] = bench_calls(200 if args.quick else 1000)
        print("\nPer-call latency through a real boto3 client (median µs)")
        print(f"{'operation':24} {'fake':>8} {'floor':>8} {'moto':>8} {'fake/floor':>11} {'moto/fake':>10}"
              "   (target: fake/floor <= 1.00)")
        for name, row in results["calls"].items():
            print(f"{name:24} {row['fake_us']:8.0f} {row['floor_us']:8.0f} {row.get('moto_us', float('nan')):8.0f} "
                  f"{row['fake/floor']:11.2f} {row.get('moto/fake', float('nan')):10.1f}")
    if "endpoint" in only:
        results["endpoint"] = bench_endpoint(200 if args.quick else 1000)
        print("\nPer-call latency over HTTP on loopback, boto3 client (median µs)")
        print(f"{'operation':24} {'endpoint':>9} {'moto srv':>9} {'moto srv/endpoint':>18}")
        for name, row in results["endpoint"].items():
            print(f"{name:24} {row['endpoint_us']:9.0f} {row.get('moto_server_us', float('nan')):9.0f} "
                  f"{row.get('moto_server/endpoint', float('nan')):18.1f}")
    if "aio" in only:
        results["aio"] = bench_aio(200 if args.quick else 1000)
        if "skipped" in results["aio"]:
            print(f"\nPer-call latency through aiobotocore: skipped, {results['aio']['skipped']}")
        else:
            print(f"\nPer-call latency through an aiobotocore {results['aio']['aiobotocore']} client "
                  f"(botocore {results['aio']['botocore']}; median µs)")
            print(f"{'operation':24} {'fake':>8} {'floor':>8} {'fake/floor':>11} {'sync fake/floor':>16}")
            for name, row in results["aio"]["rows"].items():
                sync = results.get("calls", {}).get(name, {}).get("fake/floor", float("nan"))
                print(f"{name:24} {row['fake_us']:8.0f} {row['floor_us']:8.0f} {row['fake/floor']:11.2f} "
                      f"{sync:16.2f}")
    if "suite" in only:
        results["suite"] = bench_suite(100 if args.quick else 300)
        s = results["suite"]
        print(f"\nA {s['tests']}-test pytest session (client, 3 keys, enable, rotate, list per test); wall s / CPU s")
        for name in ("fake", "moto", "botocore_floor", "empty"):
            print(f"  {name:15} {s[name + '_s']:7.2f} {s[name + '_cpu_s']:7.2f}")
        print(f"  moto/fake {s['moto/fake']:.1f} wall, {s['moto/fake_cpu']:.1f} CPU "
              f"(target >= {s['target_moto/fake']:.0f}); "
              f"fake/botocore floor {s['fake/floor_cpu']:.2f} CPU; over the floor: fake "
              f"{s['fake_over_floor_cpu_s']:.2f} s, moto {s['moto_over_floor_cpu_s']:.2f} s CPU")
        print(f"  fixture set-up + teardown median {s['fixture_setup_teardown_median_ms']:.3f} ms")
    if "fixture" in only:
        results["fixture"] = f = bench_fixture(300 if args.quick else 2000, 1000, 2 if args.quick else 5)
        print("\nFixture set-up + teardown, median ms (target <= 0.5 ms with time following on)")
        print(f"time following on {f['time_following_on_ms']:.3f}, off {f['time_following_off_ms']:.3f}, "
              f"async_time on {f['async_time_on_ms']:.3f}; previous design (a freezegun sweep per test) "
              f"{f['previous_design_freezegun_sweep_ms']:.2f}")
        print(f"{f['tests']} tests: the fixture adds {f['suite_fixture_on_s']:.2f} s with time following on, "
              f"{f['suite_fixture_off_s']:.2f} s off; previous design ~{f['suite_previous_design_estimate_s']:.2f} s")
    if "time" in only:
        results["time"] = bench_time([100, 1000] if args.quick else [100, 1000, 10000])
        print("\nAdvance 100 years over N keys with 90-day rotation, then list every rotation (boto3's paginator)")
        print("(targets: 1,000 keys <= 0.5 s and <= 150 MB growth; 10,000 keys <= 5 s; listing against its floor)")
        print(f"{'keys':>6} {'rotations':>10} {'advance s':>10} {'growth MB':>10} {'list s':>8} {'floor s':>8} "
              f"{'fake/floor':>10} {'peak MB':>8} {'+listing MB':>12}")
        for row in results["time"].values():
            print(f"{row['keys']:6} {row['rotations']:10} {row['advance_s']:10.3f} {row['advance_growth_mb']:10.1f} "
                  f"{row['list_s']:8.2f} {row['floor_list_s']:8.2f} {row['list_fake/floor']:10.2f} "
                  f"{row['peak_mb']:8.0f} {row['growth_mb']:12.0f}")
    if "startup" in only:
        results["startup"] = bench_startup(7 if args.quick else 31)
        s = results["startup"]
        print(f"\npytest --co of 200 tests: with plugin {s['with_plugin_ms']:.0f} ms, without "
              f"{s['without_plugin_ms']:.0f} ms, difference {s['difference_ms']:.1f} ms wall, "
              f"{s['difference_cpu_ms']:.1f} ms CPU (target: within noise, <= 10 ms); "
              f"importing the plugin: {s['plugin_import_ms']:.1f} ms")
    if "scoped" in only:
        results["scoped"] = bench_scoped(5 if args.quick else 20)
        s = results["scoped"]
        print(f"\nShared fake, {s['keys']} keys / {s['materials']} materials: seeding {s['seed_ms']:.1f} ms, "
              f"restoring a checkpoint {s['restore_ms']:.1f} ms, seed/restore {s['seed/restore']:.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    print(f"\nwrote {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
