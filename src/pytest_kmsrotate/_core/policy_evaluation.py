"""Who may call what: KMS's evaluation of key policies, identity policies and grants.

The order is AWS's ("Determining access to an AWS KMS key" and "Policy evaluation logic"):
1. an explicit Deny in the key policy or in the caller's identity policies denies;
2. the key policy allows a principal it names directly (the caller's ARN, its role, or `*`);
3. a key policy statement naming the caller's *account* delegates to IAM: the account root is
   allowed, any other principal only if an identity policy of its own allows too;
4. a grant for the caller that lists the operation (and whose constraints hold) allows;
5. anything else is denied.
Across accounts both sides must allow: the key policy (of the key's account) and an identity
policy in the caller's account, and only the operations AWS documents as "Cross-account use:
Yes" can succeed at all. Operations authorised by IAM policy alone (CreateKey, ListKeys, ...)
consult only the caller's identity policies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .policy_conditions import Context, conditions_hold
from .policy_language import (
    ALLOW,
    DENY,
    Policy,
    Statement,
    action_matches,
    names_account_root,
    names_caller,
    resource_matches,
)

RESOURCE_BASED = "resource-based policy"
IDENTITY_BASED = "identity-based policy"


@dataclass(frozen=True)
class Decision:
    """The outcome of one authorisation, and which statement (or none) decided it."""

    allowed: bool
    decided_by: str
    message: str | None = None  # AccessDeniedException's message when denied


@dataclass(frozen=True)
class AccessRequest:
    caller: str  # the caller's principal ARN
    action: str  # "kms:RotateKeyOnDemand"
    resource: str  # the key ARN, or "*" for operations on no key
    context: Context
    key_account: str | None = None  # None: an operation authorised by IAM policy alone
    cross_account_allowed: bool = False

    @property
    def caller_account(self) -> str:
        return self.caller.split(":")[4]

    @property
    def caller_is_root(self) -> bool:
        return self.caller.endswith(":root")

    def denied(self, why: str) -> str:
        return f"User: {self.caller} is not authorized to perform: {self.action} on resource: {self.resource} {why}"


def _applies(statement: Statement, request: AccessRequest) -> bool:
    """Action, resource and conditions match (who it is for is judged separately)."""
    if statement.actions is not None and not action_matches(statement.actions, request.action):
        return False
    if statement.not_actions is not None and action_matches(statement.not_actions, request.action):
        return False
    if statement.resources is not None and not resource_matches(statement.resources, request.resource):
        return False
    if statement.not_resources is not None and resource_matches(statement.not_resources, request.resource):
        return False
    return conditions_hold(statement.conditions, request.context)


def _key_policy_names(statement: Statement, request: AccessRequest) -> tuple[bool, bool]:
    """(names the caller directly, names the caller's account) for a key policy statement."""
    if statement.not_principals is not None:
        excluded = names_caller(statement.not_principals, request.caller) or names_account_root(
            statement.not_principals, request.caller_account)
        return (not excluded, False)
    principals = statement.principals or ()
    return (names_caller(principals, request.caller),
            names_account_root(principals, request.caller_account))


def _first(statements: Sequence[tuple[str, Statement]], effect: str, request: AccessRequest) -> str | None:
    for where, statement in statements:
        if statement.effect == effect and _applies(statement, request):
            return f"{where} {statement.label}"
    return None


def decide(request: AccessRequest, key_policy: Policy | None, identity: Sequence[Policy],
           grant: str | None = None) -> Decision:
    """Allow or deny `request`; `grant` names a grant that covers it, if one does."""
    mine = [("identity policy", s) for policy in identity for s in policy.statements]
    key_statements = [s for s in (key_policy.statements if key_policy else ())
                      if any(_key_policy_names(s, request))]
    denied_by_key = _first([("key policy", s) for s in key_statements], DENY, request)
    if denied_by_key is not None:
        return Decision(False, denied_by_key, request.denied(f"with an explicit deny in a {RESOURCE_BASED}"))
    denied_by_iam = _first(mine, DENY, request)
    if denied_by_iam is not None:
        return Decision(False, denied_by_iam, request.denied(f"with an explicit deny in an {IDENTITY_BASED}"))

    allowed_by_iam = _first(mine, ALLOW, request)
    no_identity_allow = request.denied(f"because no {IDENTITY_BASED} allows the {request.action} action")
    if request.key_account is None:  # authorised by IAM policy alone
        if request.caller_is_root:
            return Decision(True, "the account root user")
        if allowed_by_iam is not None:
            return Decision(True, allowed_by_iam)
        return Decision(False, f"no identity policy statement allows {request.action}", no_identity_allow)

    no_key_allow = request.denied(f"because no {RESOURCE_BASED} allows the {request.action} action")
    cross_account = request.caller_account != request.key_account
    if cross_account and not request.cross_account_allowed:
        return Decision(False, f"{request.action} cannot be used across accounts", no_key_allow)
    direct = delegated = None
    for statement in key_statements:
        if statement.effect != ALLOW or not _applies(statement, request):
            continue
        names_directly, names_account = _key_policy_names(statement, request)
        if names_directly and direct is None:
            direct = f"key policy {statement.label}"
        if names_account and delegated is None:
            delegated = f"key policy {statement.label}"
    identity_ok = request.caller_is_root or allowed_by_iam is not None
    identity_label = "the account root user" if request.caller_is_root else allowed_by_iam
    if not cross_account and direct is not None:
        return Decision(True, direct)
    if (direct or delegated) is not None and identity_ok:
        return Decision(True, f"{direct or delegated} and {identity_label}")
    if grant is not None:
        return Decision(True, grant)
    if delegated is not None or (cross_account and direct is not None):
        return Decision(False, f"{direct or delegated} needs an identity policy, and none allows "
                               f"{request.action}", no_identity_allow)
    return Decision(False, f"no key policy statement allows {request.action}", no_key_allow)
