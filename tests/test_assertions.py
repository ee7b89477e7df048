"""Assertion helpers: exact failure messages with expected, actual and the key's rotation timeline."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig

from pytest_kmsrotate._pytest_plugin.assertions import (
    assert_called,
    assert_not_called,
    assert_not_rotated,
    assert_rotated,
)
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from pytest_kmsrotate._pytest_plugin.views import KeyHandle


@pytest.fixture
def orders(kms: Any, kms_rotation: KmsRotation) -> KeyHandle:
    """alias/orders: rotated on demand at the start, automatically 90 days later; the clock at day 100."""
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/orders", TargetKeyId=key_id)
    kms.enable_key_rotation(KeyId=key_id, RotationPeriodInDays=90)
    kms.rotate_key_on_demand(KeyId=key_id)
    kms_rotation.clock.advance(days=100)
    return kms_rotation.key(key_id)


def timeline(handle: KeyHandle) -> str:
    on_demand, automatic = (r.material_id[:8] for r in handle.rotations)
    return (
        f"rotations of key {handle.key_id} (alias/orders):\n"
        f"  ON_DEMAND  2024-01-01 00:00:00  {on_demand}\n"
        f"  AUTOMATIC  2024-03-31 00:00:00  {automatic}\n"
        "automatic rotation every 90d, next 2024-06-29 00:00:00; on-demand 1/10 used; clock 2024-04-10 00:00:00 UTC"
    )


def message(excinfo: pytest.ExceptionInfo[AssertionError]) -> str:
    return str(excinfo.value)


# --- assert_rotated / assert_not_rotated -----------------------------------------------------

@pytest.mark.parametrize("ref", ["alias/orders", "key_id", "arn", "handle"])
def test_assert_rotated_passes_by_any_reference(kms_rotation: KmsRotation, orders: KeyHandle, ref: str) -> None:
    refs: dict[str, str | KeyHandle] = {"alias/orders": "alias/orders", "key_id": orders.key_id, "arn": orders.arn,
                                       "handle": orders}
    key = refs[ref]
    kms_rotation.assert_rotated(key)
    kms_rotation.assert_rotated(key, times=2)
    kms_rotation.assert_rotated(key, times=1, type="ON_DEMAND")
    kms_rotation.assert_rotated(key, times=1, type="AUTOMATIC")


def test_assert_rotated_shows_expected_found_and_the_timeline(kms_rotation: KmsRotation, orders: KeyHandle) -> None:
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_rotated("alias/orders", times=2, type="ON_DEMAND")
    assert message(excinfo) == (
        f"expected 2 ON_DEMAND rotations of key {orders.key_id} (alias/orders), found 1\n" + timeline(orders))


def test_assert_rotated_without_type_counts_every_rotation(kms_rotation: KmsRotation, orders: KeyHandle) -> None:
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_rotated(orders, times=1)
    expected = f"expected 1 rotation of key {orders.key_id} (alias/orders), found 2\n"
    assert message(excinfo) == expected + timeline(orders)


def test_assert_rotated_without_times_wants_at_least_one(kms: Any, kms_rotation: KmsRotation) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_rotated(key_id, type="AUTOMATIC")
    assert message(excinfo) == (
        f"expected at least one AUTOMATIC rotation of key {key_id}, found 0\n"
        f"rotations of key {key_id}: none\n"
        "automatic rotation off; on-demand 0/10 used; clock 2024-01-01 00:00:00 UTC"
    )


@pytest.mark.kms_rotation(on_demand_delay=timedelta(minutes=5))
def test_a_pending_on_demand_rotation_is_named_with_the_way_to_finish_it(kms: Any, kms_rotation: KmsRotation) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_rotated(key_id, times=1)
    assert message(excinfo) == (
        f"expected 1 rotation of key {key_id}, found 0\n"
        f"rotations of key {key_id}: none\n"
        "  ON_DEMAND  in progress since 2024-01-01 00:00:00\n"
        "  (kms_rotation.complete_rotations() finishes it now)\n"
        "automatic rotation off; on-demand 1/10 used; clock 2024-01-01 00:00:00 UTC"
    )
    kms_rotation.complete_rotations()
    kms_rotation.assert_rotated(key_id, times=1)


def test_assert_not_rotated(kms: Any, kms_rotation: KmsRotation, orders: KeyHandle) -> None:
    kms_rotation.assert_not_rotated(kms.create_key()["KeyMetadata"]["KeyId"])
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_not_rotated("alias/orders", type="AUTOMATIC")
    assert message(excinfo) == (
        f"expected no AUTOMATIC rotations of key {orders.key_id} (alias/orders), found 1\n" + timeline(orders))
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_not_rotated(orders)
    assert message(excinfo).splitlines()[0] == f"expected no rotations of key {orders.key_id} (alias/orders), found 2"


def test_module_functions_take_a_handle(orders: KeyHandle) -> None:
    assert_rotated(orders, times=2)
    with pytest.raises(AssertionError):
        assert_not_rotated(orders)


# --- assert_called / assert_not_called -------------------------------------------------------

def test_assert_called_counts_every_attempt(kms_rotation: KmsRotation, orders: KeyHandle) -> None:
    kms_rotation.inject_fault("DescribeKey", "ThrottlingException", times=2)
    kms = boto3.client("kms", region_name="us-east-1", config=BotoConfig(retries={"mode": "standard"}))
    kms.describe_key(KeyId="alias/orders")
    kms_rotation.assert_called("DescribeKey", times=3)
    kms_rotation.assert_called("DescribeKey", times=3, key="alias/orders")
    kms_rotation.assert_called("DescribeKey", times=3, key=orders)
    kms_rotation.assert_called("RotateKeyOnDemand")
    assert_called(kms_rotation, "EnableKeyRotation", times=1, key=orders.arn)


def test_assert_called_shows_the_calls_of_the_operation(kms_rotation: KmsRotation, orders: KeyHandle) -> None:
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_called("RotateKeyOnDemand", times=2)
    assert message(excinfo) == (
        "expected RotateKeyOnDemand to be called 2 times, it was called once\n"
        "RotateKeyOnDemand calls:\n"
        "  TIME                 OPERATION          KEY ID                                OUTCOME\n"
        f"  2024-01-01 00:00:00  RotateKeyOnDemand  {orders.key_id}  ok"
    )


def test_assert_called_for_a_key(kms: Any, kms_rotation: KmsRotation, orders: KeyHandle) -> None:
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_called("RotateKeyOnDemand", key=other)
    assert message(excinfo) == (
        f"expected RotateKeyOnDemand to be called at least once for key {other}, it was called not at all\n"
        "RotateKeyOnDemand calls:\n"
        "  TIME                 OPERATION          KEY ID                                OUTCOME\n"
        f"  2024-01-01 00:00:00  RotateKeyOnDemand  {orders.key_id}  ok"
    )


def test_assert_called_without_calls_of_the_operation_shows_the_last_calls(
    kms: Any, kms_rotation: KmsRotation
) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms_rotation.inject_fault("DescribeKey", "KMSInternalException", times=None)
    once = boto3.client("kms", region_name="us-east-1", config=BotoConfig(retries={"total_max_attempts": 1}))
    with pytest.raises(once.exceptions.KMSInternalException):  # its own client's class: each door has its own
        once.describe_key(KeyId=key_id)
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_called("DisableKey", times=1)
    assert message(excinfo) == (
        "expected DisableKey to be called once, it was called not at all\n"
        "last 2 of 2 calls:\n"
        "  TIME                 OPERATION    KEY ID                                OUTCOME\n"
        f"  2024-01-01 00:00:00  CreateKey    {key_id}  ok\n"
        f"  2024-01-01 00:00:00  DescribeKey  {key_id}  KMSInternalException (injected)"
    )


def test_assert_called_with_no_calls_at_all(kms_rotation: KmsRotation) -> None:
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_called("CreateKey")
    assert message(excinfo) == "expected CreateKey to be called at least once, it was called not at all\ncalls: none"


def test_assert_not_called(kms_rotation: KmsRotation, orders: KeyHandle) -> None:
    kms_rotation.assert_not_called("DisableKey")
    assert_not_called(kms_rotation, "RotateKeyOnDemand", key=boto3.client("kms", region_name="us-east-1")
                      .create_key()["KeyMetadata"]["Arn"])
    with pytest.raises(AssertionError) as excinfo:
        kms_rotation.assert_not_called("EnableKeyRotation", key="alias/orders")
    assert message(excinfo) == (
        f"expected EnableKeyRotation not to be called for key {orders.key_id}, it was called once\n"
        "EnableKeyRotation calls:\n"
        "  TIME                 OPERATION          KEY ID                                OUTCOME\n"
        f"  2024-01-01 00:00:00  EnableKeyRotation  {orders.key_id}  ok"
    )


# --- arguments that could never match ----------------------------------------------------------

@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda k: k.assert_rotated("alias/orders", type="SCHEDULED"),
         "assert_rotated: type must be 'AUTOMATIC', 'ON_DEMAND' or None, got 'SCHEDULED'"),
        (lambda k: k.assert_not_rotated("alias/orders", type="on_demand"),
         "assert_not_rotated: type must be 'AUTOMATIC', 'ON_DEMAND' or None, got 'on_demand'"),
        (lambda k: k.assert_rotated("alias/orders", times=-1),
         "assert_rotated: times must be a whole number >= 0 or None, got -1"),
        (lambda k: k.assert_called("RotateKey", times=1),
         "assert_called: 'RotateKey' is not a KMS operation; did you mean 'RotateKeyOnDemand'?"),
        (lambda k: k.assert_not_called("rotate_key_on_demand"),
         "assert_not_called: 'rotate_key_on_demand' is not a KMS operation; did you mean 'RotateKeyOnDemand'?"),
        (lambda k: k.assert_called("DescribeKey", times="2"),
         "assert_called: times must be a whole number >= 0 or None, got '2'"),
    ],
)
def test_arguments_that_could_never_match_raise_value_error(
    kms_rotation: KmsRotation, orders: KeyHandle, call: Any, expected: str
) -> None:
    with pytest.raises(ValueError) as excinfo:
        call(kms_rotation)
    assert str(excinfo.value) == expected


def test_an_unknown_key_raises_lookup_error(kms_rotation: KmsRotation) -> None:
    with pytest.raises(LookupError, match=r"^no key 'alias/nope' in the fake: "):
        kms_rotation.assert_rotated("alias/nope")


# --- in a pytest run -----------------------------------------------------------------------------

def test_the_failure_points_at_the_test_line_not_the_helpers(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3

        def test_rotates(kms_rotation):
            key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["KeyId"]
            kms_rotation.assert_rotated(key, times=1, type="ON_DEMAND")
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        ">       kms_rotation.assert_rotated(key, times=1, type=\"ON_DEMAND\")",
        "E       AssertionError: expected 1 ON_DEMAND rotation of key *, found 0",
        "E       rotations of key *: none",
        "E       automatic rotation off; on-demand 0/10 used; clock 2024-01-01 00:00:00 UTC",
        "",
        "test_the_failure_points_at_the_test_line_not_the_helpers.py:5: AssertionError",
    ], consecutive=True)
    assert "assertions.py" not in result.stdout.str()
    assert "fake.py" not in result.stdout.str()


def test_pytest_fixtures_describes_kms_rotation(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:randomly")
    result.stdout.fnmatch_lines([
        "kms_rotation -- *pytest_kmsrotate*plugin.py:*",
        "    A fresh in-process fake of AWS KMS for this test.",
    ])
