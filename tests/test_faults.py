"""Fault injection: injected errors travel the wire like AWS's, so botocore's own retry modes act on them."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from pytest_kmsrotate._core.faults import DEFAULT_MESSAGES
from pytest_kmsrotate._pytest_plugin.fake import KmsRotation
from tests.conftest import assert_matches_output_shape, error_of, sent_no_message

# (code, HTTP status AWS answers with) of the errors both retry modes retry.
RETRYABLE = [("KMSInternalException", 500), ("DependencyTimeoutException", 503), ("ThrottlingException", 400)]


def client(mode: str = "standard", **retries: Any) -> Any:
    return boto3.client("kms", region_name="us-east-1", config=BotoConfig(retries={"mode": mode, **retries}))


def no_retries(mode: str) -> Any:
    # botocore's `max_attempts` counts retries, `total_max_attempts` counts attempts: one attempt, no retry.
    return client(mode, total_max_attempts=1)


@pytest.mark.parametrize("mode", ["standard", "legacy"])
@pytest.mark.parametrize(("code", "status"), RETRYABLE)
def test_both_retry_modes_retry_past_a_transient_fault(
    kms_rotation: KmsRotation, symmetric_key: Any, mode: str, code: str, status: int
) -> None:
    kms_rotation.inject_fault("RotateKeyOnDemand", code, times=2)
    response = client(mode).rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert_matches_output_shape("RotateKeyOnDemand", response)
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    attempts = [c for c in kms_rotation.calls if c.operation == "RotateKeyOnDemand"]
    assert [(c.error.code if c.error else None, c.injected) for c in attempts] == [
        (code, True), (code, True), (None, False)]
    assert [r.type for r in kms_rotation.key(symmetric_key["KeyId"]).rotations] == ["ON_DEMAND"]


@pytest.mark.parametrize("mode", ["standard", "legacy"])
@pytest.mark.parametrize(("code", "status"), RETRYABLE)
def test_without_retries_the_code_meets_the_error_as_aws_sends_it(
    kms_rotation: KmsRotation, symmetric_key: Any, mode: str, code: str, status: int
) -> None:
    kms = no_retries(mode)
    kms_rotation.inject_fault("RotateKeyOnDemand", code)
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == (code, DEFAULT_MESSAGES[code])
    metadata = excinfo.value.response["ResponseMetadata"]
    assert (metadata["HTTPStatusCode"], metadata["RetryAttempts"]) == (status, 0)
    # The fault fires before the operation: nothing rotated, no quota used.
    handle = kms_rotation.key(symmetric_key["KeyId"])
    assert (handle.rotations, handle.on_demand_rotations_used) == ([], 0)


def test_default_messages_are_the_models_and_the_usual_throttling_text() -> None:
    assert DEFAULT_MESSAGES == {
        "KMSInternalException": "The request was rejected because an internal exception occurred. "
        "The request can be retried.",
        "DependencyTimeoutException": "The system timed out while trying to fulfill the request. "
        "You can retry the request.",
        "ThrottlingException": "Rate exceeded",
    }


def test_modeled_errors_raise_the_clients_exception_class(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("standard")
    kms_rotation.inject_fault("RotateKeyOnDemand", "KMSInternalException")
    with pytest.raises(kms.exceptions.KMSInternalException):
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])


def test_a_fault_that_outlasts_the_retries_surfaces_after_the_last_attempt(
    kms_rotation: KmsRotation, symmetric_key: Any
) -> None:
    kms_rotation.inject_fault("GetKeyRotationStatus", "DependencyTimeoutException", times=None)
    with pytest.raises(ClientError) as excinfo:
        client("standard", total_max_attempts=4).get_key_rotation_status(KeyId=symmetric_key["KeyId"])
    metadata = excinfo.value.response["ResponseMetadata"]
    assert (metadata["HTTPStatusCode"], metadata["RetryAttempts"], metadata["MaxAttemptsReached"]) == (503, 3, True)


def test_times_none_fails_every_call_until_the_test_ends(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("standard")
    fault = kms_rotation.inject_fault("DescribeKey", "KMSInternalException", times=None)
    for _ in range(5):
        with pytest.raises(kms.exceptions.KMSInternalException):
            kms.describe_key(KeyId=symmetric_key["KeyId"])
    assert (fault.fired, fault.remaining) == (5, None)


def test_a_fault_is_used_up_after_times_calls(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("standard")
    fault = kms_rotation.inject_fault("DescribeKey", "KMSInternalException", times=2)
    outcomes = []
    for _ in range(3):
        try:
            kms.describe_key(KeyId=symmetric_key["KeyId"])
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["KMSInternalException", "KMSInternalException", "ok"]
    assert (fault.fired, fault.remaining) == (2, 0)


def test_other_operations_are_not_affected(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("standard")
    kms_rotation.inject_fault("RotateKeyOnDemand", "KMSInternalException", times=None)
    assert_matches_output_shape("DescribeKey", kms.describe_key(KeyId=symmetric_key["KeyId"]))
    assert_matches_output_shape("EnableKeyRotation", kms.enable_key_rotation(KeyId=symmetric_key["KeyId"]))


@pytest.mark.parametrize("filter_by", ["KeyId", "Arn", "alias", "alias ARN"])
@pytest.mark.parametrize("called_with", ["KeyId", "Arn", "alias"])
def test_a_key_filter_fails_only_that_keys_calls(kms_rotation: KmsRotation, filter_by: str, called_with: str) -> None:
    kms = no_retries("standard")
    target = kms.create_key()["KeyMetadata"]
    other = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/target", TargetKeyId=target["KeyId"])
    refs = {"KeyId": target["KeyId"], "Arn": target["Arn"], "alias": "alias/target",
            "alias ARN": "arn:aws:kms:us-east-1:111122223333:alias/target"}
    kms_rotation.inject_fault("RotateKeyOnDemand", "ThrottlingException", times=None, key=refs[filter_by])
    assert_matches_output_shape("RotateKeyOnDemand", kms.rotate_key_on_demand(KeyId=other["KeyId"]))
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=refs[called_with])
    assert error_of(excinfo) == ("ThrottlingException", "Rate exceeded")


def test_a_key_filter_finds_a_key_of_another_region_by_its_arn(kms_rotation: KmsRotation) -> None:
    kms = boto3.client("kms", region_name="eu-west-1", config=BotoConfig(retries={"total_max_attempts": 1}))
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    kms_rotation.inject_fault("DescribeKey", "KMSInternalException", key=arn)
    with pytest.raises(kms.exceptions.KMSInternalException):
        kms.describe_key(KeyId=arn)


def test_any_modeled_error_with_a_message_of_the_tests_choosing(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = client("legacy")  # legacy mode does not retry LimitExceededException for KMS
    kms_rotation.inject_fault("RotateKeyOnDemand", "LimitExceededException", "quota gone")
    with pytest.raises(kms.exceptions.LimitExceededException) as excinfo:
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == ("LimitExceededException", "quota gone")
    metadata = excinfo.value.response["ResponseMetadata"]
    assert (metadata["HTTPStatusCode"], metadata["RetryAttempts"]) == (400, 0)


def test_standard_mode_retries_limit_exceeded_as_throttling(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    # botocore's standard mode lists LimitExceededException among throttling codes; code that
    # counts on seeing the on-demand quota error at once meets it only after the retries.
    kms_rotation.inject_fault("RotateKeyOnDemand", "LimitExceededException", "quota gone")
    response = client("standard").rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_a_modeled_error_without_a_message_sends_none(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("legacy")
    kms_rotation.inject_fault("RotateKeyOnDemand", "ConflictException")
    with pytest.raises(kms.exceptions.ConflictException) as excinfo:
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    assert sent_no_message(excinfo)


def test_status_can_be_overridden(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("standard")
    kms_rotation.inject_fault("DescribeKey", "ThrottlingException", "Slow down", status=429)
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=symmetric_key["KeyId"])
    assert error_of(excinfo) == ("ThrottlingException", "Slow down")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_faults_are_in_the_call_log_and_the_cloudtrail_events(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("standard")
    kms_rotation.inject_fault("RotateKeyOnDemand", "KMSInternalException")
    with pytest.raises(ClientError):
        kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    kms.rotate_key_on_demand(KeyId=symmetric_key["KeyId"])
    failed, done = [c for c in kms_rotation.calls if c.operation == "RotateKeyOnDemand"]
    assert failed.error is not None
    assert (failed.error.code, failed.error.status, failed.injected, failed.key_arn) == (
        "KMSInternalException", 500, True, symmetric_key["Arn"])
    assert (done.ok, done.injected) == (True, False)
    calls = kms_rotation.events.where(name="RotateKeyOnDemand", type="AwsApiCall")
    assert [(e.get("errorCode"), e.get("errorMessage")) for e in calls] == [
        ("KMSInternalException", DEFAULT_MESSAGES["KMSInternalException"]), (None, None)]


def test_the_first_armed_fault_fires_first(kms_rotation: KmsRotation, symmetric_key: Any) -> None:
    kms = no_retries("standard")
    kms_rotation.inject_fault("DescribeKey", "KMSInternalException")
    kms_rotation.inject_fault("DescribeKey", "DependencyTimeoutException")
    codes = []
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            kms.describe_key(KeyId=symmetric_key["KeyId"])
        codes.append(error_of(excinfo)[0])
    assert codes == ["KMSInternalException", "DependencyTimeoutException"]


# --- wrong arguments: a typo must not make a fault silently never fire -------------------------

ROTATE_ERRORS = (
    "ConflictException, DependencyTimeoutException, DisabledException, InvalidArnException, KMSInternalException, "
    "KMSInvalidStateException, LimitExceededException, NotFoundException, ThrottlingException, "
    "UnsupportedOperationException"
)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("RotateKeyOnDemnd", "KMSInternalException"), {},
         "inject_fault: 'RotateKeyOnDemnd' is not a KMS operation; did you mean 'RotateKeyOnDemand'?"),
        (("Frobnicate", "KMSInternalException"), {},
         "inject_fault: 'Frobnicate' is not a KMS operation; see botocore's KMS model for the operation names"),
        (("RotateKeyOnDemand", "InvalidCiphertextException"), {},
         f"inject_fault: RotateKeyOnDemand cannot fail with 'InvalidCiphertextException'; its errors are: "
         f"{ROTATE_ERRORS}"),
        (("RotateKeyOnDemand", "KMSInternalException"), {"times": 0},
         "inject_fault: times must be a whole number >= 1 or None, got 0"),
        (("RotateKeyOnDemand", "KMSInternalException"), {"times": True},
         "inject_fault: times must be a whole number >= 1 or None, got True"),
        (("RotateKeyOnDemand", "KMSInternalException"), {"times": 1.5},
         "inject_fault: times must be a whole number >= 1 or None, got 1.5"),
        (("CreateKey", "KMSInternalException"), {"key": "alias/anything"},
         "inject_fault: CreateKey names no key, so key= cannot filter it"),
    ],
)
def test_wrong_arguments_raise_value_error(
    kms_rotation: KmsRotation, args: tuple[str, str], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError) as excinfo:
        kms_rotation.inject_fault(*args, **kwargs)
    assert str(excinfo.value) == message
    assert list(kms_rotation.engine.faults) == []


def test_an_unknown_key_raises_lookup_error(kms_rotation: KmsRotation) -> None:
    with pytest.raises(LookupError) as excinfo:
        kms_rotation.inject_fault("RotateKeyOnDemand", "KMSInternalException", key="alias/missing")
    assert str(excinfo.value) == (
        "no key 'alias/missing' in the fake: Alias arn:aws:kms:us-east-1:111122223333:alias/missing is not found.")
