"""Grant tokens: every operation whose model lists InvalidGrantTokenException checks its GrantTokens,
and RetireGrant its GrantToken, with one rule (docs/fidelity.md §20.2).

A grant token is what CreateGrant handed out; any other string (made up, truncated, edited) is
refused with InvalidGrantTokenException `Invalid grant token`. The operations come from the
installed model, so one a new botocore adds fails here until it has a request below.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from pytest_kmsrotate._protocol.permissions import permissions
from tests.conftest import assert_matches_output_shape, error_of
from tests.test_dry_run import REQUESTS as DRY_RUN_REQUESTS
from tests.test_dry_run import Builder, _key, _sym

MODEL = botocore.session.get_session().get_service_model("kms")
WITH_GRANT_TOKENS = sorted(o for o in MODEL.operation_names
                           if "GrantTokens" in getattr(MODEL.operation_model(o).input_shape, "members", {}))
CHECKED = sorted(o for o in WITH_GRANT_TOKENS
                 if any(e.name == "InvalidGrantTokenException" for e in MODEL.operation_model(o).error_shapes))
INVALID = ("InvalidGrantTokenException", "Invalid grant token")
ROLE = "arn:aws:iam::111122223333:role/token-holder"

REQUESTS: dict[str, Builder] = {
    **{op: build for op, build in DRY_RUN_REQUESTS.items() if op in WITH_GRANT_TOKENS},
    "DescribeKey": lambda kms: {"KeyId": _sym(kms)},
    "GetPublicKey": lambda kms: {"KeyId": _key(kms, "ECC_NIST_P256", "SIGN_VERIFY")},
}


def method(kms: Any, operation: str) -> Any:
    return getattr(kms, {api: py for py, api in kms.meta.method_to_api_mapping.items()}[operation])


def token(kms: Any) -> str:
    key = _sym(kms)
    return kms.create_grant(KeyId=key, GranteePrincipal=ROLE, Operations=["Encrypt"])["GrantToken"]  # type: ignore[no-any-return]


def not_tokens(real: str) -> list[str]:
    """Strings that are not grant tokens: made up, AWS's head alone, truncated, edited."""
    edited = real[:10] + ("B" if real[10] != "B" else "C") + real[11:]
    return ["not-a-grant-token", "AQpA", real[:-1], edited]


def test_every_operation_with_grant_tokens_has_a_request() -> None:
    assert sorted(REQUESTS) == WITH_GRANT_TOKENS


def test_the_operations_that_check_are_read_from_the_model() -> None:
    # DescribeKey takes GrantTokens, but its model lists no InvalidGrantTokenException.
    learned = permissions()
    assert sorted(op for op in MODEL.operation_names if learned[op].checks_grant_tokens) == CHECKED
    assert "Encrypt" in CHECKED and "DescribeKey" in WITH_GRANT_TOKENS and "DescribeKey" not in CHECKED


@pytest.mark.parametrize("operation", CHECKED)
def test_what_is_not_a_grant_token_is_refused_and_a_token_is_accepted(kms: Any, operation: str) -> None:
    real = token(kms)
    call = method(kms, operation)
    for bad in not_tokens(real):
        params = REQUESTS[operation](kms)
        with pytest.raises(ClientError) as excinfo:
            call(**params, GrantTokens=[real, bad])
        assert error_of(excinfo) == INVALID, bad
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert_matches_output_shape(operation, call(**REQUESTS[operation](kms), GrantTokens=[real]))


def test_describe_key_takes_any_grant_token(kms: Any) -> None:
    response = kms.describe_key(KeyId=_sym(kms), GrantTokens=["not-a-grant-token"])
    assert_matches_output_shape("DescribeKey", response)


def test_a_token_of_a_retired_grant_is_still_a_token(kms: Any) -> None:
    real = token(kms)
    kms.retire_grant(GrantToken=real)
    key = _sym(kms)
    assert_matches_output_shape("Encrypt", kms.encrypt(KeyId=key, Plaintext=b"p", GrantTokens=[real]))
    with pytest.raises(ClientError) as excinfo:
        kms.retire_grant(GrantToken=real)
    grant_id = excinfo.value.response["Error"]["Message"].split()[2]
    assert error_of(excinfo) == ("NotFoundException", f"Grant ID {grant_id} not found")


def test_retire_grant_refuses_what_is_not_a_token_with_the_same_answer(kms: Any) -> None:
    real = token(kms)
    for bad in not_tokens(real):
        with pytest.raises(ClientError) as excinfo:
            kms.retire_grant(GrantToken=bad)
        assert error_of(excinfo) == INVALID, bad
    kms.retire_grant(GrantToken=real)  # the real one still retires its grant


def test_the_tokens_are_checked_before_the_key_and_dry_run(kms: Any) -> None:
    missing = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000"
    for params in ({"KeyId": missing, "Plaintext": b"p"}, {"KeyId": _sym(kms), "Plaintext": b"p", "DryRun": True}):
        with pytest.raises(ClientError) as excinfo:
            kms.encrypt(**params, GrantTokens=["not-a-grant-token"])
        assert error_of(excinfo) == INVALID
