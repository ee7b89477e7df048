"""Every botocore from the declared minimum to the newest: the fake offers what the installed model has.

botocore does not validate enums client-side, so a client whose model lacks a key spec can still
send it; AWS (and the fake) refuse it server-side with the installed model's set (docs/fidelity.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._core.engine import Engine
from pytest_kmsrotate._core.keyspecs import KEY_SPECS
from tests._endpoint_support import post, signed_headers
from tests._model import VERSION, enum_values, has_operation, has_value
from tests.conftest import error_of

# A value no model has, and every spec the fake knows that this model lacks (none on the newest).
UNKNOWN = ["NOT_A_KEY_SPEC", *(spec for spec in KEY_SPECS if not has_value("KeySpec", spec))]


@pytest.mark.parametrize("key_spec", UNKNOWN)
def test_a_key_spec_the_installed_model_lacks_is_refused_with_the_models_set(kms: Any, key_spec: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec=key_spec, KeyUsage="SIGN_VERIFY")
    assert error_of(excinfo) == ("ValidationException", (
        f"1 validation error detected: Value '{key_spec}' at 'keySpec' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(enum_values('KeySpec'))}]"))
    assert kms.list_keys()["Keys"] == []


def test_every_key_spec_of_the_installed_model_can_be_created(kms: Any) -> None:
    for spec in enum_values("KeySpec"):
        if KEY_SPECS[spec].china_regions_only:
            continue  # SM2: China Regions only (test_keys.py)
        usage = KEY_SPECS[spec].key_usages[0]
        meta = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]
        assert (meta["KeySpec"], meta["KeyUsage"]) == (spec, usage), VERSION


def test_the_sync_door_answers_a_prepared_request_without_a_context(kms_rotation: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Older botocore (1.38.31, 1.40.0) gives the prepared request `before-send` sees no `context`:
    the door reads the signing context this thread signed last instead."""
    import boto3
    from botocore.awsrequest import AWSRequest

    prepare = AWSRequest.prepare

    def without_context(self: AWSRequest) -> Any:
        prepared = prepare(self)
        if hasattr(prepared, "context"):
            del prepared.context  # as in old botocore
        return prepared

    monkeypatch.setattr(AWSRequest, "prepare", without_context)
    kms = boto3.client("kms", region_name="eu-west-1")
    arn = kms.create_key()["KeyMetadata"]["Arn"]
    assert arn.startswith("arn:aws:kms:eu-west-1:")
    assert [k["KeyArn"] for k in kms.list_keys()["Keys"]] == [arn]


# Operations the engine answers that the installed model lacks (none with the newest botocore).
NEWER_OPERATIONS = sorted(op for op in Engine().operations if not has_operation(op))


def test_an_operation_the_installed_model_lacks_is_unknown_to_the_endpoint(kms_rotation: KmsRotation) -> None:
    """A botocore client has no method for it; a request naming it is answered as AWS answers an
    operation it does not know (as for one no model has)."""
    url = kms_rotation.endpoint_url
    for operation in [*NEWER_OPERATIONS, "NoSuchOperation"]:
        answer = post(url, signed_headers(url, operation, b"{}"), b"{}")
        assert (answer.status, answer.error) == (400, ("UnknownOperationException", None)), operation
