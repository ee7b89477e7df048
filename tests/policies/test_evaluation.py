"""The policy evaluator on its own: condition operators by the IAM reference's rules, and the
whole evaluation against a small reference model of AWS's documented logic (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_kmsrotate._core.policy_conditions import conditions_hold
from pytest_kmsrotate._core.policy_evaluation import AccessRequest, decide
from pytest_kmsrotate._core.policy_language import parse_policy, wildcard

CONTEXT = {"kms:RotationPeriodInDays": ["400"], "kms:EncryptionContextKeys": ["app", "env"],
           "aws:PrincipalArn": ["arn:aws:iam::111122223333:role/job"]}


@pytest.mark.parametrize(("condition", "holds"), [
    ({"NumericLessThanEquals": {"kms:RotationPeriodInDays": "365"}}, False),
    ({"NumericLessThanEquals": {"kms:RotationPeriodInDays": ["365", "400"]}}, True),  # values OR
    ({"NumericGreaterThan": {"kms:RotationPeriodInDays": "not a number"}}, False),
    # A key absent from the request: positive operators false, negated ones true, IfExists true.
    ({"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}, False),
    ({"StringNotEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}, True),
    ({"StringEqualsIfExists": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}, True),
    ({"Null": {"kms:ViaService": "true"}}, True),
    ({"Null": {"kms:RotationPeriodInDays": "true"}}, False),
    # Negated operators NOR their values.
    ({"StringNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/job", "x"]}}, False),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/j?b"}}, True),
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}, True),
    ({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::999999999999:*"}}, True),
    # Multi-valued keys: ForAnyValue needs one match, ForAllValues needs every value to match.
    ({"ForAnyValue:StringEquals": {"kms:EncryptionContextKeys": "env"}}, True),
    ({"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": "env"}}, False),
    ({"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["app", "env"]}}, True),
    ({"ForAllValues:StringEquals": {"kms:GrantOperations": "Decrypt"}}, True),  # absent: true
    ({"ForAnyValue:StringEquals": {"kms:GrantOperations": "Decrypt"}}, False),  # absent: false
    # Operators AND, keys AND; an operator the fake does not know cannot match.
    ({"StringLike": {"aws:PrincipalArn": "*"}, "NumericLessThan": {"kms:RotationPeriodInDays": "100"}}, False),
    ({"StringEqualsOrSomething": {"aws:PrincipalArn": "*"}}, False),
    ({"StringEquals": {"AWS:PRINCIPALARN": "arn:aws:iam::111122223333:role/job"}}, True),  # key case does not
])
def test_condition_operators(condition: dict[str, Any], holds: bool) -> None:
    normalised = {op: {k: tuple(v) if isinstance(v, list) else (v,) for k, v in pairs.items()}
                  for op, pairs in condition.items()}
    assert conditions_hold(normalised, CONTEXT) is holds


def test_wildcards() -> None:
    assert wildcard("kms:Rotate*", "kms:RotateKeyOnDemand")
    assert not wildcard("kms:Rotate?", "kms:RotateKeyOnDemand")
    assert wildcard("kms:rotate*", "kms:RotateKeyOnDemand", ignore_case=True)
    assert not wildcard("kms:rotate*", "kms:RotateKeyOnDemand")
    assert wildcard("a.b", "a.b") and not wildcard("a.b", "axb"), "only * and ? are special"


# -- the evaluator against a reference model ---------------------------------------------------

ACCOUNT, OTHER = "111122223333", "444455556666"
CALLERS = [f"arn:aws:iam::{ACCOUNT}:root", f"arn:aws:iam::{ACCOUNT}:role/job", f"arn:aws:iam::{OTHER}:role/job"]
ACTION = "kms:RotateKeyOnDemand"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PRINCIPALS = ["*", f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, f"arn:aws:iam::{ACCOUNT}:role/job",
              f"arn:aws:iam::{OTHER}:root", f"arn:aws:iam::{OTHER}:role/job"]
ACTIONS = [ACTION, "kms:*", "kms:Rotate*", "kms:Decrypt", "*"]

statement_data = st.tuples(st.sampled_from(["Allow", "Deny"]), st.sampled_from(PRINCIPALS), st.sampled_from(ACTIONS))


def _reference(caller: str, key_statements: list[tuple[str, str, str]], identity: list[tuple[str, str]],
               cross_account_operation: bool) -> bool:
    """AWS's documented logic, written plainly: explicit deny overrides; the key policy must allow,
    directly or by delegating to the caller's account whose IAM must then allow too; across
    accounts IAM must always allow as well, and only cross-account operations can work; default deny."""
    caller_account = caller.split(":")[4]
    is_root = caller.endswith(":root")

    def action_ok(action: str) -> bool:
        return action in (ACTION, "kms:*", "kms:Rotate*", "*")

    def names_caller(principal: str) -> bool:
        return principal in ("*", caller)

    def names_account(principal: str) -> bool:
        return principal in (caller_account, f"arn:aws:iam::{caller_account}:root")

    for effect, principal, action in key_statements:
        if effect == "Deny" and action_ok(action) and (names_caller(principal) or names_account(principal)):
            return False
    if any(effect == "Deny" and action_ok(action) for effect, action in identity):
        return False
    iam_allows = is_root or any(effect == "Allow" and action_ok(action) for effect, action in identity)
    allows = [(p, a) for e, p, a in key_statements if e == "Allow" and action_ok(a)]
    direct = any(names_caller(p) for p, _ in allows)
    delegated = any(names_account(p) for p, _ in allows)
    if caller_account != ACCOUNT:
        return cross_account_operation and (direct or delegated) and iam_allows
    return direct or (delegated and iam_allows)


@settings(max_examples=400, deadline=None)
@given(caller=st.sampled_from(CALLERS), key_statements=st.lists(statement_data, max_size=4),
       identity=st.lists(st.tuples(st.sampled_from(["Allow", "Deny"]), st.sampled_from(ACTIONS)), max_size=3),
       cross=st.booleans())
def test_evaluation_matches_the_reference_model(caller: str, key_statements: list[tuple[str, str, str]],
                                                identity: list[tuple[str, str]], cross: bool) -> None:
    key_policy = parse_policy({"Statement": [
        {"Effect": e, "Principal": "*" if p == "*" else {"AWS": p}, "Action": a, "Resource": "*"}
        for e, p, a in key_statements]}, key_policy=True)
    identity_policies = [parse_policy({"Statement": [{"Effect": e, "Action": a, "Resource": "*"}
                                                     for e, a in identity]}, key_policy=False)] if identity else []
    decision = decide(AccessRequest(caller, ACTION, KEY, {}, ACCOUNT, cross), key_policy, identity_policies)
    assert decision.allowed is _reference(caller, key_statements, identity, cross)
    if not decision.allowed:
        assert decision.message is not None and decision.message.startswith(f"User: {caller} is not authorized")
