"""IAM's policy language as KMS reads it: documents parsed into statements, and what matches what.

Key policies and the identity policies a test attaches share this grammar (IAM JSON policy
reference). Parsing refuses what AWS refuses with `MalformedPolicyDocumentException`; matching
(actions, resources, principals) follows the reference's wildcard rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from . import errors

ALLOW = "Allow"
DENY = "Deny"

# Observed AWS texts (Terraform and CloudFormation reports of PutKeyPolicy/CreateKey failures).
NOT_JSON = "The policy is not a valid JSON document."  # inferred: kept from PutKeyPolicy's earlier answer
INVALID_PRINCIPALS = "Policy contains a statement with one or more invalid principals."
LOCKOUT = "The new key policy will not allow you to update the key policy in the future."

_ACCOUNT = re.compile(r"\d{12}")
_IAM_PRINCIPAL = re.compile(
    r"arn:aws[a-z-]*:(iam|sts)::(\d{12}):(root|user/.+|role/.+|assumed-role/.+|federated-user/.+)")


def malformed(message: str) -> errors.KMSError:
    return errors.KMSError("MalformedPolicyDocumentException", message)


@dataclass(frozen=True)
class Statement:
    """One statement, its list-or-string elements normalised to tuples."""

    index: int
    sid: str | None
    effect: str
    principals: tuple[str, ...] | None  # AWS principals; None: the element is absent (identity policy)
    not_principals: tuple[str, ...] | None
    services: tuple[str, ...]
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    conditions: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """How a reader finds the statement: its Sid, else its position."""
        return f"statement {self.sid!r}" if self.sid else f"statement #{self.index + 1}"


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...]


def _strings(value: Any, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    # inferred text: AWS's message for a wrongly typed element is not recorded.
    raise malformed(f"Policy contains a statement with an invalid {element} element.")


def _condition_values(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, (str, bool, int, float)) for v in values):
        raise malformed("Policy contains a statement with an invalid Condition element.")  # inferred text
    return tuple(str(v).lower() if isinstance(v, bool) else str(v) for v in values)


def _principal(value: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(AWS principals, service principals) of a Principal/NotPrincipal element."""
    if value == "*":
        return ("*",), ()
    if not isinstance(value, dict) or not value:
        raise malformed(INVALID_PRINCIPALS)
    aws: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    for kind, names in value.items():
        listed = _strings(names, "Principal")
        if kind == "AWS":
            for name in listed:
                if name != "*" and not (_ACCOUNT.fullmatch(name) or _IAM_PRINCIPAL.fullmatch(name)):
                    raise malformed(INVALID_PRINCIPALS)
            aws += listed
        elif kind == "Service":
            services += listed
        elif kind in ("Federated", "CanonicalUser"):
            continue  # never a KMS caller in the fake: such statements match nobody
        else:
            raise malformed(INVALID_PRINCIPALS)
    return aws, services


def _statement(index: int, raw: Any, *, key_policy: bool) -> Statement:
    if not isinstance(raw, dict):
        raise malformed("Policy contains a statement that is not a JSON object.")  # inferred text
    effect = raw.get("Effect")
    if effect not in (ALLOW, DENY):
        raise malformed("Policy contains a statement with an invalid Effect element.")  # inferred text
    if ("Action" in raw) == ("NotAction" in raw):
        raise malformed("Policy contains a statement with no Action element.")  # inferred text
    principals = not_principals = None
    services: tuple[str, ...] = ()
    if "Principal" in raw:
        principals, services = _principal(raw["Principal"])
    if "NotPrincipal" in raw:
        not_principals, _ = _principal(raw["NotPrincipal"])
    if key_policy and principals is None and not_principals is None:
        raise malformed(INVALID_PRINCIPALS)  # a key policy statement must name who it is for
    conditions: dict[str, dict[str, tuple[str, ...]]] = {}
    condition = raw.get("Condition", {})
    if not isinstance(condition, dict):
        raise malformed("Policy contains a statement with an invalid Condition element.")  # inferred text
    for operator, pairs in condition.items():
        if not isinstance(pairs, dict):
            raise malformed("Policy contains a statement with an invalid Condition element.")  # inferred text
        conditions[operator] = {name: _condition_values(v) for name, v in pairs.items()}
    sid = raw.get("Sid")
    return Statement(
        index=index,
        sid=sid if isinstance(sid, str) and sid else None,
        effect=effect,
        principals=principals,
        not_principals=not_principals,
        services=services,
        actions=_strings(raw["Action"], "Action") if "Action" in raw else None,
        not_actions=_strings(raw["NotAction"], "NotAction") if "NotAction" in raw else None,
        resources=_strings(raw["Resource"], "Resource") if "Resource" in raw else None,
        not_resources=_strings(raw["NotResource"], "NotResource") if "NotResource" in raw else None,
        conditions=conditions,
    )


def parse_policy(document: str | Mapping[str, Any], *, key_policy: bool) -> Policy:
    """The statements of a policy document, or MalformedPolicyDocumentException."""
    if isinstance(document, str):
        try:
            raw: Any = json.loads(document)
        except ValueError:
            raise malformed(NOT_JSON) from None
    else:
        raw = document
    if not isinstance(raw, dict):
        raise malformed(NOT_JSON)
    statements = raw.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise malformed("Policy contains no Statement element.")  # inferred text
    return Policy(tuple(_statement(i, s, key_policy=key_policy) for i, s in enumerate(statements)))


# -- matching ----------------------------------------------------------------------------------


def wildcard(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """IAM's `*` (any run) and `?` (any one character) match; the rest is literal."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def action_matches(patterns: Sequence[str], action: str) -> bool:
    # Action names are case-insensitive in IAM (`kms:rotatekeyondemand` matches).
    return any(wildcard(p, action, ignore_case=True) for p in patterns)


def resource_matches(patterns: Sequence[str], arn: str) -> bool:
    return any(wildcard(p, arn) for p in patterns)


def principal_names(caller_arn: str) -> tuple[str, ...]:
    """Every name a policy may use for the caller: its ARN, its role's ARN, its account (root)."""
    account = caller_arn.split(":")[4]
    partition = caller_arn.split(":")[1]
    names = [caller_arn]
    resource = caller_arn.split(":", 5)[5]
    if resource.startswith("assumed-role/"):
        role = resource.split("/")[1]
        names.append(f"arn:{partition}:iam::{account}:role/{role}")
    return tuple(names)


def names_account_root(patterns: Sequence[str], account: str) -> bool:
    """A Principal of `123456789012` or `arn:aws:iam::123456789012:root` stands for the account."""
    return any(p == account or (p.endswith(":root") and p.split(":")[4] == account) for p in patterns)


def names_caller(patterns: Sequence[str], caller_arn: str) -> bool:
    """The caller itself is named (its ARN, its role for an assumed-role session, or `*`)."""
    names = principal_names(caller_arn)
    return any(p == "*" or p in names for p in patterns)
