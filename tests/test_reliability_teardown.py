"""Teardown under failure: a test that dies mid-rotation leaves nothing behind (issue 7, reliability 4).

Each pytester suite below fails a test while the fake has everything patched (time.sleep,
freezegun, the credential containment of KMS clients, botocore's HierarchicalEmitter._emit) and
an on-demand rotation is in flight; the next test of the same run checks that every patch is
gone and that a new fake starts clean. The suites run in file order (`-p no:randomly`) so
"next" means next.
"""

from __future__ import annotations

import pytest

PRELUDE = '''
import datetime as dt
import os
import threading
import time

import boto3
import botocore.session
import freezegun.api
import pytest
from botocore.hooks import HierarchicalEmitter

from pytest_kmsrotate import KmsRotation

# What the process looked like before any fake: captured at import, before the first test.
REAL_SLEEP = time.sleep
REAL_TIME = time.time
REAL_DATETIME = dt.datetime
REAL_EMIT = HierarchicalEmitter._emit
REAL_CREATE_CLIENT = botocore.session.Session.create_client
AWS_ENV = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def assert_patched(kms_rotation):
    """Guard: the failure below really happens while every patch is in place."""
    assert time.sleep is not REAL_SLEEP
    assert dt.datetime.now(dt.timezone.utc) == kms_rotation.clock.now()
    assert HierarchicalEmitter._emit is not REAL_EMIT
    assert botocore.session.Session.create_client is not REAL_CREATE_CLIENT  # credential containment


def start_rotation(kms_rotation):
    kms = boto3.client("kms", region_name="us-east-1")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.rotate_key_on_demand(KeyId=key)
    assert kms_rotation.key(key).on_demand_rotation_in_progress
    return kms, key


def check_restored():
    assert time.sleep is REAL_SLEEP
    assert time.time is REAL_TIME
    assert dt.datetime is REAL_DATETIME
    assert type(dt.datetime.now()) is REAL_DATETIME  # freezegun's FakeDatetime passes isinstance checks
    assert freezegun.api.freeze_factories == []
    assert HierarchicalEmitter._emit is REAL_EMIT
    assert botocore.session.Session.create_client is REAL_CREATE_CLIENT
    assert {k: v for k, v in os.environ.items() if k.startswith("AWS_")} == AWS_ENV


def check_clean(kms_rotation):
    """A new fake after a failed test: nothing of the failed test's keys, clock, calls or settings."""
    assert kms_rotation.clock.now() == START
    assert kms_rotation.keys == []
    assert kms_rotation.calls == []
    assert kms_rotation.events.names == []
    assert kms_rotation.unimplemented_calls == []
    kms = boto3.client("kms", region_name="us-east-1")
    assert kms.list_keys()["Keys"] == []
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.rotate_key_on_demand(KeyId=key)  # no delay here: the failed test's setting did not stay
    assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=key)["Rotations"]] == ["ON_DEMAND"]
'''

FAILURES = '''
@pytest.mark.kms_rotation(on_demand_delay=300)
def test_a_raises_in_a_polling_loop(kms_rotation):
    kms, key = start_rotation(kms_rotation)
    assert_patched(kms_rotation)
    for attempt in range(100):
        status = kms.get_key_rotation_status(KeyId=key)
        if attempt == 2:
            assert "OnDemandRotationStartDate" in status
            raise RuntimeError("boom in the middle of the rotation")
        time.sleep(60)  # moves the simulated clock, not the real one


def test_a_raises_in_a_polling_loop_then_restored():
    check_restored()


def test_a_raises_in_a_polling_loop_then_clean(kms_rotation):
    check_clean(kms_rotation)


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_b_fails_an_assertion_mid_rotation(kms_rotation):
    kms, key = start_rotation(kms_rotation)
    kms_rotation.clock.advance(seconds=100)
    assert kms.list_key_rotations(KeyId=key)["Rotations"] == ["not", "this"]


def test_b_fails_an_assertion_mid_rotation_then_restored():
    check_restored()


def test_b_fails_an_assertion_mid_rotation_then_clean(kms_rotation):
    check_clean(kms_rotation)


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_c_raises_inside_a_botocore_handler(kms_rotation):
    kms, key = start_rotation(kms_rotation)

    def explode(**_):
        raise ValueError("a handler of the code under test failed")

    kms.meta.events.register("before-call.kms.GetKeyRotationStatus", explode)
    kms.get_key_rotation_status(KeyId=key)


def test_c_raises_inside_a_botocore_handler_then_restored():
    check_restored()


def test_c_raises_inside_a_botocore_handler_then_clean(kms_rotation):
    check_clean(kms_rotation)


@pytest.fixture
def rotating_key(kms_rotation):
    start_rotation(kms_rotation)
    yield
    raise RuntimeError("a fixture's teardown failed while the fake was still running")


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_d_fixture_teardown_raises(rotating_key, kms_rotation):
    assert_patched(kms_rotation)


def test_d_fixture_teardown_raises_then_restored():
    check_restored()


def test_d_fixture_teardown_raises_then_clean(kms_rotation):
    check_clean(kms_rotation)


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_e_raises_inside_a_nested_fake(kms_rotation):
    start_rotation(kms_rotation)
    with KmsRotation(kms_rotation.config) as inner:
        start_rotation(inner)
        time.sleep(30)
        raise RuntimeError("boom inside a nested fake")


def test_e_raises_inside_a_nested_fake_then_restored():
    check_restored()


def test_e_raises_inside_a_nested_fake_then_clean(kms_rotation):
    check_clean(kms_rotation)


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_f_raises_while_other_threads_call_kms(kms_rotation):
    kms, key = start_rotation(kms_rotation)
    barrier = threading.Barrier(5)

    def poll():
        barrier.wait()
        for _ in range(5):
            kms.get_key_rotation_status(KeyId=key)

    threads = [threading.Thread(target=poll) for _ in range(4)]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    raise RuntimeError("boom after the threads")


def test_f_raises_while_other_threads_call_kms_then_restored():
    check_restored()


def test_f_raises_while_other_threads_call_kms_then_clean(kms_rotation):
    check_clean(kms_rotation)


@pytest.mark.kms_rotation(on_demand_delay=300)
def test_g_raises_in_setup_after_the_fake_started(kms_rotation, broken_fixture):
    pass


def test_g_raises_in_setup_after_the_fake_started_then_restored():
    check_restored()


def test_g_raises_in_setup_after_the_fake_started_then_clean(kms_rotation):
    check_clean(kms_rotation)


@pytest.fixture
def broken_fixture(kms_rotation):
    start_rotation(kms_rotation)
    raise RuntimeError("a fixture's setup failed after the fake started")
'''


def _run(pytester: pytest.Pytester, body: str) -> pytest.RunResult:
    pytester.makepyfile(test_teardown_suite=PRELUDE + body)
    with pytest.MonkeyPatch.context() as patch:
        # No credentials from the machine: the fake must lend its own, and take them back.
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(pytester.path / "no-credentials"))
        patch.setenv("AWS_CONFIG_FILE", str(pytester.path / "no-config"))
        patch.setenv("AWS_DEFAULT_REGION", "eu-west-1")  # already set: must survive untouched
        for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                         "AWS_EC2_METADATA_DISABLED", "AWS_REGION"):
            patch.delenv(variable, raising=False)
        return pytester.runpytest_subprocess("-p", "no:randomly", "-q", "-p", "no:cacheprovider")


def test_every_patch_is_undone_after_failures_mid_rotation(pytester: pytest.Pytester) -> None:
    result = _run(pytester, FAILURES)
    result.assert_outcomes(passed=15, failed=5, errors=2)
    for line in [
        "*RuntimeError: boom in the middle of the rotation*",
        "*ValueError: a handler of the code under test failed*",
        "*RuntimeError: a fixture's teardown failed while the fake was still running*",
        "*RuntimeError: boom inside a nested fake*",
        "*RuntimeError: boom after the threads*",
        "*RuntimeError: a fixture's setup failed after the fake started*",
    ]:  # each failure happened as written, so the checks after it ran after a real failure
        result.stdout.fnmatch_lines([line])
    # Every check after a failure passed: the 15 passes are the 14 checks and test_d's body.
    result.stdout.no_fnmatch_line("*_then_* FAILED*")
    result.stdout.no_fnmatch_line("*FAILED*_then_*")


def test_a_fake_the_test_left_running_is_stopped_and_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import time
        from botocore.hooks import HierarchicalEmitter
        from pytest_kmsrotate import KmsRotation

        REAL_SLEEP, REAL_EMIT = time.sleep, HierarchicalEmitter._emit

        def test_leaks(kms_rotation):
            KmsRotation().start()
            raise RuntimeError("boom before stop()")

        def test_next_is_clean():
            assert time.sleep is REAL_SLEEP
            assert HierarchicalEmitter._emit is REAL_EMIT
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*pytest-kmsrotate: the test started 1 KmsRotation(s) and never stopped them; they were stopped at "
        "teardown. Use `with KmsRotation(): ...` so they stop even on errors."
    ])


def test_fakes_stopped_out_of_order_restore_sleep() -> None:
    import time

    from pytest_kmsrotate import KmsRotation

    real = time.sleep
    outer, inner = KmsRotation().start(), KmsRotation().start()
    outer.stop()
    time.sleep(60)  # still the inner fake's: moves its clock, returns at once
    assert inner.clock.now() - outer.clock.now() >= __import__("datetime").timedelta(seconds=60)
    inner.stop()
    assert time.sleep is real
