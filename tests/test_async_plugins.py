"""The `kms_rotation` fixture from async tests and async fixtures, under each async test plugin.

Each run is a pytester session with one of pytest-asyncio's strict mode, its auto mode, or anyio's
pytest plugin, and a conftest (`_GUARD`) that fails the session if anything creates, sets or
closes an event loop while the `kms_rotation` fixture sets up or tears down: the loops are the
test plugin's, and the fake only works in whichever loop the test's code runs.

Each test makes calls through boto3 and, where aiobotocore is installed (the `aio` extra), through
an aiobotocore client in the test's own loop.
"""

from __future__ import annotations

import textwrap

import pytest

pytest.importorskip("pytest_asyncio")
pytest.importorskip("anyio")

# Fails the session when the loop calls happen inside the fixture's set-up or teardown. The window
# opens around the fixture's set-up (`pytest_fixture_setup`), and, through two finalizers on its
# FixtureDef registered before and after it (they run last-registered first), around its teardown.
_GUARD = '''
import asyncio

import pytest

violations = []
_window = [None]  # the phase of the fixture running now: "set-up", "teardown" or None


def _guarded(what, original):
    def wrapper(*args, **kwargs):
        if _window[0]:
            violations.append(f"{what} during {_window[0]}")
        return original(*args, **kwargs)
    return wrapper


_PATCHES = [
    (asyncio.BaseEventLoop, "__init__", "an event loop was created"),
    (asyncio.BaseEventLoop, "close", "an event loop was closed"),
    (asyncio.events, "set_event_loop", "an event loop was set"),
    (asyncio, "set_event_loop", "an event loop was set"),
    (asyncio.events.BaseDefaultEventLoopPolicy, "set_event_loop", "an event loop was set"),
]
for owner, name, what in _PATCHES:
    setattr(owner, name, _guarded(what, getattr(owner, name)))


def _open(phase):
    _window[0] = phase


def _shut():
    _window[0] = None


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    if fixturedef.argname != "kms_rotation":
        return (yield)
    fixturedef.addfinalizer(_shut)  # runs after the fixture's own teardown
    _open("set-up")
    try:
        return (yield)
    finally:
        _shut()
        fixturedef.addfinalizer(lambda: _open("teardown"))  # runs before it


def pytest_sessionfinish(session):
    print(f"\\nloop-guard: {len(violations)} violations {sorted(set(violations))}")
    if violations:
        session.exitstatus = 1
'''

_CALLS = '''
import importlib.util

import boto3

AIO = importlib.util.find_spec("aiobotocore") is not None


async def rotate_through_every_client(fake):
    """A key made through boto3, rotated through aiobotocore in the running loop where installed."""
    key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
    if AIO:
        from aiobotocore.session import get_session

        async with get_session().create_client("kms", region_name="us-east-1") as kms:
            await kms.rotate_key_on_demand(KeyId=key)
            pages = kms.get_paginator("list_key_rotations").paginate(KeyId=key)
            listed = [r async for page in pages for r in page["Rotations"]]
        assert [r["RotationType"] for r in listed] == ["ON_DEMAND"]
    else:
        boto3.client("kms", region_name="us-east-1").rotate_key_on_demand(KeyId=key)
    assert [r.type for r in fake.key(key).rotations] == ["ON_DEMAND"]
    return key
'''

_STRICT = '''
import asyncio

import pytest
import pytest_asyncio

from calls import rotate_through_every_client


@pytest_asyncio.fixture
async def seeded(kms_rotation):
    return await rotate_through_every_client(kms_rotation)


@pytest.mark.asyncio
async def test_from_an_async_test(kms_rotation):
    await rotate_through_every_client(kms_rotation)


@pytest.mark.asyncio
async def test_from_an_async_fixture(seeded, kms_rotation):
    assert kms_rotation.key(seeded).exists


@pytest.mark.asyncio
@pytest.mark.kms_rotation(async_time=True)
async def test_with_the_loop_on_the_simulated_clock(kms_rotation):
    before = kms_rotation.clock.now()
    await asyncio.sleep(3600)
    assert (kms_rotation.clock.now() - before).total_seconds() >= 3600
    await rotate_through_every_client(kms_rotation)


def test_a_sync_test_beside_them(kms_rotation):
    assert kms_rotation.keys == []
'''

_AUTO = '''
from calls import rotate_through_every_client

import pytest


@pytest.fixture
async def seeded(kms_rotation):
    return await rotate_through_every_client(kms_rotation)


async def test_from_an_async_test(kms_rotation):
    await rotate_through_every_client(kms_rotation)


async def test_from_an_async_fixture(seeded, kms_rotation):
    assert kms_rotation.key(seeded).exists


def test_a_sync_test_beside_them(kms_rotation):
    assert kms_rotation.keys == []
'''

_ANYIO = '''
import pytest

from calls import rotate_through_every_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"  # aiobotocore's aiohttp runs on asyncio


@pytest.fixture
async def seeded(kms_rotation):
    return await rotate_through_every_client(kms_rotation)


async def test_from_an_async_test(kms_rotation):
    await rotate_through_every_client(kms_rotation)


async def test_from_an_async_fixture(seeded, kms_rotation):
    assert kms_rotation.key(seeded).exists
'''

RUNS = {
    "pytest-asyncio strict": (_STRICT, ["-o", "asyncio_mode=strict"], 4),
    "pytest-asyncio auto": (_AUTO, ["-o", "asyncio_mode=auto"], 3),
    "anyio": (_ANYIO, ["-p", "no:asyncio"], 2),  # anyio's plugin alone (it loads by its entry point)
}


def _run(pytester: pytest.Pytester, tests: str, args: list[str], guard: str = _GUARD) -> pytest.RunResult:
    pytester.makeconftest(guard)
    pytester.makepyfile(calls=_CALLS, test_plugin=tests)
    return pytester.runpytest_subprocess(
        "-p", "no:randomly", "-o", "asyncio_default_fixture_loop_scope=function", "-s", *args)


@pytest.mark.parametrize("run", list(RUNS))
def test_the_fixture_works_from_async_tests_and_fixtures_and_touches_no_loop(
    pytester: pytest.Pytester, run: str
) -> None:
    tests, args, count = RUNS[run]
    result = _run(pytester, tests, args)
    assert result.ret == 0, "\n".join(result.outlines[-40:] + result.errlines[-20:])
    result.assert_outcomes(passed=count)
    assert "loop-guard: 0 violations []" in result.stdout.str()


def test_the_loop_guard_catches_a_fixture_that_makes_and_closes_a_loop(pytester: pytest.Pytester) -> None:
    """The guard above can fail: a fake whose start and stop make, set and close a loop trips it."""
    misbehaving = _GUARD + textwrap.dedent('''
        import pytest_kmsrotate

        _start, _stop = pytest_kmsrotate.KmsRotation.start, pytest_kmsrotate.KmsRotation.stop

        def a_loop_of_its_own():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            asyncio.set_event_loop(None)
            loop.close()

        def start(self):
            a_loop_of_its_own()
            return _start(self)

        def stop(self):
            _stop(self)
            a_loop_of_its_own()

        pytest_kmsrotate.KmsRotation.start, pytest_kmsrotate.KmsRotation.stop = start, stop
    ''')
    result = _run(pytester, _AUTO, ["-o", "asyncio_mode=auto"], guard=misbehaving)
    assert result.ret == 1
    result.assert_outcomes(passed=3)  # the tests pass: the session fails
    kinds = sorted(f"an event loop was {what} during {phase}"
                   for what in ("closed", "created", "set") for phase in ("set-up", "teardown"))
    assert f"violations {kinds}" in result.stdout.str(), result.stdout.str()

