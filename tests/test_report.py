"""The failure report: a section on failing tests that used the fake, and nowhere else."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from pytest_kmsrotate._pytest_plugin.report import render

ID = "????????-????-????-????-????????????"  # key IDs: 36 characters, stable per test but not worth pinning
SUITE = """
    import boto3
    import pytest
    from botocore.config import Config

    def test_rotation_job(kms_rotation):
        kms = boto3.client("kms", region_name="us-east-1", config=Config(retries={"total_max_attempts": 1}))
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/orders", TargetKeyId=key)
        kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
        kms.rotate_key_on_demand(KeyId=key)
        kms_rotation.clock.advance(days=100)
        kms_rotation.inject_fault("RotateKeyOnDemand", "KMSInternalException")
        try:
            kms.rotate_key_on_demand(KeyId=key)
        except kms.exceptions.KMSInternalException:
            pass
        assert False

    def test_passes(kms_rotation):
        boto3.client("kms", region_name="us-east-1").create_key()

    def test_fails_without_the_fake():
        assert False

    @pytest.fixture
    def broken(kms_rotation):
        raise RuntimeError("fixture broke")

    def test_setup_error(broken):
        pass

    def test_teardown_error(kms_rotation):
        del kms_rotation.engine._operations["DescribeCustomKeyStores"]  # as if a future operation
        try:
            boto3.client("kms", region_name="us-east-1").describe_custom_key_stores()
        except Exception:
            pass  # the fixture fails the test at teardown for the unimplemented operation
"""
SECTION = [
    "*- kms-rotation -*",
    "clock 2024-04-10 00:00:00 UTC   region us-east-1   account 111122223333",
    "keys (1)",
    "  KEY ID                                STATE    ROTATION   NEXT ROTATION        ON-DEMAND  ALIASES",
    f"  {ID}  Enabled  every 90d  2024-06-29 00:00:00  1/10       alias/orders",
    "    ON_DEMAND  2024-01-01 00:00:00  ????????",
    "    AUTOMATIC  2024-03-31 00:00:00  ????????",
    "calls (5)",
    "  TIME                 OPERATION          KEY ID                                OUTCOME",
    f"  2024-01-01 00:00:00  CreateKey          {ID}  ok",
    f"  2024-01-01 00:00:00  CreateAlias        {ID}  ok",
    f"  2024-01-01 00:00:00  EnableKeyRotation  {ID}  ok",
    f"  2024-01-01 00:00:00  RotateKeyOnDemand  {ID}  ok",
    f"  2024-04-10 00:00:00  RotateKeyOnDemand  {ID}  KMSInternalException (injected)",
    "*_ test_fails_without_the_fake _*",
]
EMPTY = ["clock 2024-01-01 00:00:00 UTC   region us-east-1   account 111122223333", "keys: none", "calls: none"]
STASH_PROBE = """
    import pytest
    from pytest_kmsrotate._pytest_plugin.plugin import FAKE_KEY

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item):
        yield
        print(f"\\nstashed after {item.name}: {FAKE_KEY in item.stash}")
"""


def section_titles(output: str) -> list[str]:
    return [line.strip("- ") for line in output.splitlines() if line.startswith("-") and "kms-rotation" in line]


def test_sections_go_to_failures_that_used_the_fake_only(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(STASH_PROBE)
    pytester.makepyfile(SUITE)
    # -rA prints the sections of passing tests too: a passing test must have none to print.
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-rA", "-s")
    result.assert_outcomes(passed=2, failed=2, errors=2)
    result.stdout.fnmatch_lines(SECTION, consecutive=True)
    result.stdout.fnmatch_lines(["*- kms-rotation setup -*", *EMPTY], consecutive=True)
    result.stdout.fnmatch_lines(["*- kms-rotation teardown -*", *EMPTY], consecutive=True)
    assert sorted(section_titles(result.stdout.str())) == [
        "kms-rotation", "kms-rotation setup", "kms-rotation teardown"]
    # The item lets go of its fake after teardown: a long session does not keep every fake alive.
    result.stdout.fnmatch_lines(["*stashed after test_rotation_job: False", "*stashed after test_passes: False"])


def test_sections_survive_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-n", "2")
    result.assert_outcomes(passed=2, failed=2, errors=2)
    result.stdout.fnmatch_lines(SECTION[:5], consecutive=True)
    assert sorted(section_titles(result.stdout.str())) == [
        "kms-rotation", "kms-rotation setup", "kms-rotation teardown"]


# --- the text itself ----------------------------------------------------------------------------

def scenario() -> KmsRotation:
    fake = KmsRotation(Config(seed="report"), freeze_time=False, patch_sleep=False)
    with fake:
        east = boto3.client("kms", region_name="us-east-1")
        west = boto3.client("kms", region_name="eu-west-1")
        key = east.create_key()["KeyMetadata"]["KeyId"]
        for _ in range(7):
            east.rotate_key_on_demand(KeyId=key)
            fake.clock.advance(hours=1)
        west.create_key()
    return fake


def test_many_rotations_show_the_last_five_and_many_calls_the_last_few() -> None:
    fake = scenario()
    east, west = (handle.key_id for handle in fake.keys)
    material = [m[:8] for m in fake.key(east).material_ids]
    assert render(fake, last_calls=3).splitlines() == [
        "clock 2024-01-01 07:00:00 UTC   region us-east-1   account 111122223333",
        "keys (2)",
        "  REGION     KEY ID                                STATE    ROTATION  NEXT ROTATION  ON-DEMAND  ALIASES",
        f"  us-east-1  {east}  Enabled  off       -              7/10       -",
        "    (2 earlier rotations)",
        f"    ON_DEMAND  2024-01-01 02:00:00  {material[3]}",
        f"    ON_DEMAND  2024-01-01 03:00:00  {material[4]}",
        f"    ON_DEMAND  2024-01-01 04:00:00  {material[5]}",
        f"    ON_DEMAND  2024-01-01 05:00:00  {material[6]}",
        f"    ON_DEMAND  2024-01-01 06:00:00  {material[7]}",
        f"  eu-west-1  {west}  Enabled  off       -              0/10       -",
        "last 3 of 9 calls",
        "  TIME                 OPERATION          KEY ID                                OUTCOME",
        f"  2024-01-01 05:00:00  RotateKeyOnDemand  {east}  ok",
        f"  2024-01-01 06:00:00  RotateKeyOnDemand  {east}  ok",
        f"  2024-01-01 07:00:00  CreateKey          {west}  ok",
    ]


def test_by_default_the_last_ten_calls() -> None:
    fake = scenario()
    with fake:
        for _ in range(3):
            boto3.client("kms", region_name="us-east-1").list_keys()
    lines = render(fake).splitlines()
    assert lines[11:13] == [
        "last 10 of 12 calls",
        "  TIME                 OPERATION          KEY ID                                OUTCOME",
    ]
    assert len(lines) == 13 + 10
    assert lines[-1] == "  2024-01-01 07:00:00  ListKeys           -                                     ok"


def test_an_on_demand_rotation_in_progress_and_the_report_is_a_pure_read() -> None:
    fake = KmsRotation(Config(seed="pending", on_demand_delay=timedelta(minutes=5)), freeze_time=False,
                       patch_sleep=False)
    with fake:
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.rotate_key_on_demand(KeyId=key)
    fake.clock.advance(minutes=1)
    lines = render(fake).splitlines()
    assert lines[3:5] == [
        f"  {key}  Enabled  off       -              1/10       -",
        "    ON_DEMAND  in progress since 2024-01-01 00:00:00",
    ]
    assert lines[0] == "clock 2024-01-01 00:01:00 UTC   region us-east-1   account 111122223333"
    assert fake.key(key).on_demand_rotation_in_progress  # rendering completed nothing


def test_repr_says_where_and_when() -> None:
    fake = scenario()
    assert repr(fake) == "<KmsRotation stopped us-east-1 account 111122223333 clock 2024-01-01 07:00:00 UTC, " \
        "2 keys, 9 calls>"
