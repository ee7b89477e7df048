"""Scoped fakes: one fake per class, module or session, and every test starts from its seeded state.

The suites below run in pytester subprocesses, in file order, in pytest-randomly's orders and
under xdist, and each test asserts it sees exactly the seeded state however the others changed
the shared fake. Seeding is counted: it happens once per scope (per xdist worker).
"""

from __future__ import annotations

import pytest

# Counts how often each shared fake is seeded, and fails if any KMS request would leave.
CONFTEST = '''
import os

import pytest

SEEDED = []


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    yield
    if fixturedef.argname.endswith("_seeded"):
        SEEDED.append(fixturedef.argname)


def pytest_sessionfinish(session):
    with open(os.environ["SEEDING_RECORD"], "a") as out:
        for name in SEEDED:
            out.write(name + "\\n")
'''

MODULE_SUITE = '''
from datetime import datetime, timezone

import boto3
import pytest
from botocore.signers import RequestSigner

REAL_SIGN = RequestSigner.sign
START = datetime(2024, 1, 1, tzinfo=timezone.utc)
# Ten years of quarterly automatic rotations: the expensive kind of seeding.
pytestmark = pytest.mark.kms_keys(alias="alias/shared", rotation_period_in_days=90,
                                  created=datetime(2014, 1, 1, tzinfo=timezone.utc))


def seeded_state(fake):
    client = boto3.client("kms", region_name="us-east-1")
    keys = [k["KeyId"] for k in client.list_keys()["Keys"]]
    rotations = client.list_key_rotations(KeyId=keys[0], Limit=1000)["Rotations"]
    assert fake.clock.now() == START
    assert len(keys) == 1 and keys[0] == fake.seeded_keys[0].key_id
    assert len(rotations) == 40
    assert fake.events.names == ["ListKeys", "ListKeyRotations"]
    return client, keys[0]


@pytest.mark.parametrize("n", range(4))
def test_changes_the_shared_fake(kms_rotation_module, n):
    client, key = seeded_state(kms_rotation_module)
    client.create_key(Description=f"made by test {n}")
    client.delete_alias(AliasName="alias/shared")
    client.rotate_key_on_demand(KeyId=key)
    kms_rotation_module.clock.advance(days=400 * (n + 1))
    kms_rotation_module.inject_fault("ListKeys", "ThrottlingException", times=None)


def test_a_marked_test_without_a_shared_fake_gets_its_own(kms_rotation):
    assert len(kms_rotation.key("alias/shared").rotations) == 40


def test_ids_of_keys_made_after_the_restore_repeat(kms_rotation_module):
    seeded_state(kms_rotation_module)
    made = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
    assert made == kms_rotation_module.keys[-1].key_id


class TestInAClass:
    def test_sees_the_module_fake_too(self, kms_rotation_module):
        seeded_state(kms_rotation_module)
'''


def _seedings(pytester: pytest.Pytester) -> list[str]:
    return (pytester.path / "seeded.txt").read_text().split()


@pytest.mark.parametrize("args", [
    ("-p", "no:randomly"),
    ("-p", "randomly", "--randomly-seed=1"),
    ("-p", "randomly", "--randomly-seed=12345"),
    ("-n", "2", "-p", "randomly", "--randomly-seed=7"),
], ids=["file-order", "random-1", "random-12345", "xdist-random"])
def test_every_test_starts_from_the_seeded_module_fake(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.setenv("SEEDING_RECORD", str(pytester.path / "seeded.txt"))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_shared=MODULE_SUITE)
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=7)
    seedings = _seedings(pytester)
    # Once per module per process: once in a plain run, at most once per worker under xdist.
    assert set(seedings) == {"_kms_rotation_module_seeded"}
    assert len(seedings) == 1 if "-n" not in args else 1 <= len(seedings) <= 2


def test_class_and_session_fakes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEEDING_RECORD", str(pytester.path / "seeded.txt"))
    pytester.makeconftest(CONFTEST)
    pytester.makeini("[pytest]\nkms_rotation_start = 2030-06-01T00:00:00Z\n")
    pytester.makepyfile(test_scopes='''
        from datetime import datetime, timezone

        import boto3
        import pytest
        from botocore.signers import RequestSigner

        REAL_SIGN = RequestSigner.sign


        def test_a_test_without_a_fake_is_not_patched_between_shared_ones():
            assert RequestSigner.sign is REAL_SIGN
            assert datetime.now(timezone.utc) < datetime(2030, 1, 1, tzinfo=timezone.utc)  # real time


        @pytest.mark.kms_keys(alias="alias/class-key")
        class TestOneFakePerClass:
            def test_a(self, kms_rotation_class):
                assert kms_rotation_class.keys == [kms_rotation_class.key("alias/class-key")]
                kms_rotation_class.create_key(description="mine")

            def test_b(self, kms_rotation_class):
                assert kms_rotation_class.keys == [kms_rotation_class.key("alias/class-key")]
                kms_rotation_class.create_key(description="mine")


        @pytest.mark.parametrize("n", range(3))
        def test_session(kms_rotation_session, n):
            assert kms_rotation_session.clock.now() == datetime(2030, 6, 1, tzinfo=timezone.utc)
            client = boto3.client("kms", region_name="us-east-1")
            assert client.list_keys()["Keys"] == []
            client.create_key()
            kms_rotation_session.clock.advance(days=n + 1)
        ''')
    result = pytester.runpytest("-p", "randomly", "--randomly-seed=3")
    result.assert_outcomes(passed=6)
    assert sorted(_seedings(pytester)) == ["_kms_rotation_class_seeded", "_kms_rotation_session_seeded"]


def test_a_marker_on_a_test_of_a_shared_fake_is_refused_with_the_way_out(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_refused='''
        import pytest


        @pytest.mark.kms_keys(description="mine")
        def test_own_marker(kms_rotation_module):
            pass


        @pytest.mark.kms_keys(alias="alias/mine")
        def test_own_marker_and_own_fake(kms_rotation_module, kms_rotation):
            assert kms_rotation.keys == [kms_rotation.key("alias/mine")]
            assert kms_rotation_module.keys == []
        ''')
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*pytest-kmsrotate: test_own_marker carries @pytest.mark.kms_keys, but kms_rotation_module is one fake "
        "shared by the whole module, configured and seeded once from its module (pytestmark). Move the marker "
        "there, or ask for `kms_rotation` too: the test then gets a fake of its own, nested inside the shared "
        "one (see docs/scoped-fakes.md).",
    ])


RECIPE_SUITE = '''
from datetime import datetime, timezone

import boto3
import pytest
from botocore.signers import RequestSigner

from pytest_kmsrotate import Config, KmsRotation

OUTER_START = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def shared_kms():
    with KmsRotation(Config(seed="shared")) as fake:
        fake.create_key(alias="alias/outer")
        yield fake


@pytest.fixture
def kms(shared_kms):
    baseline = shared_kms.checkpoint()
    yield shared_kms
    shared_kms.restore(baseline)


def aliases():
    client = boto3.client("kms", region_name="us-east-1")
    return [a["AliasName"] for a in client.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")]


@pytest.mark.kms_keys(alias="alias/inner")
@pytest.mark.kms_rotation(start="2031-01-01T00:00:00Z")
def test_a_marked_test_gets_an_inner_fake(shared_kms):
    # The test's own fake is the inner one: it answers, and its clock drives time.
    assert aliases() == ["alias/inner"]
    assert datetime.now(timezone.utc) == datetime(2031, 1, 1, tzinfo=timezone.utc)


def test_the_outer_fake_answers_again(kms):
    assert kms.running
    assert aliases() == ["alias/outer"]
    assert datetime.now(timezone.utc) == OUTER_START


@pytest.mark.kms_keys(alias="alias/inner")
def test_an_inner_fake_and_the_shared_one_in_one_test(kms, kms_rotation):
    assert aliases() == ["alias/inner"]
    assert kms.keys == [kms.key("alias/outer")]


def test_last_the_outer_fake_still_answers(kms):
    test_the_outer_fake_answers_again(kms)
'''


def test_a_module_fixture_fake_outlives_marked_tests_and_nobody_is_blamed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_recipe=RECIPE_SUITE)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.no_fnmatch_line("*never stopped*")


def test_the_recipe_holds_in_random_orders(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_recipe=RECIPE_SUITE)
    for seed in ("1", "2", "3"):
        result = pytester.runpytest("-p", "randomly", f"--randomly-seed={seed}")
        result.assert_outcomes(passed=4)


def test_a_fake_the_test_itself_left_running_is_still_blamed_inside_a_shared_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_leak='''
        from pytest_kmsrotate import KmsRotation


        def test_leaks(kms_rotation_module):
            KmsRotation().start()


        def test_after(kms_rotation_module):
            assert kms_rotation_module.running
        ''')
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*pytest-kmsrotate: the test started 1 KmsRotation(s) and never stopped them; they were stopped at "
        "teardown. Use `with KmsRotation(): ...` so they stop even on errors.",
    ])
