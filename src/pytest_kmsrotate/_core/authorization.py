"""The engine's authorisation step: which keys a call uses, and whether its caller may use them.

Runs before the operation itself when policies are enforced (`Config.enforce_policies`). A key
that cannot be found is left to the operation, which answers NotFoundException as AWS does; a
found key's key policy, the caller's identity policies and the key's grants then decide.
"""

from __future__ import annotations

from collections.abc import Callable

from . import errors, primitives
from .access import Access, request_context
from .model import Key
from .policy_evaluation import AccessRequest, Decision, decide
from .policy_language import LOCKOUT, malformed, parse_policy
from .resolve import resolve_key
from .state import Request, State

# Finds a grant of the key that lets the request through, and names it (None if none does).
GrantFinder = Callable[[State, Request, Key, str], str | None]


_KEY_REFERENCES = ("KeyId", "TargetKeyId", "SourceKeyId", "DestinationKeyId", "CiphertextBlob", "AliasName")


class DeniedError(errors.KMSError):
    """AccessDeniedException, remembering which statement decided it for the failure report."""

    def __init__(self, decision: Decision) -> None:
        super().__init__("AccessDeniedException", decision.message or "")
        self.decided_by = decision.decided_by


def _find(state: State, request: Request, ref: object) -> Key | None:
    if not isinstance(ref, str):
        return None
    try:
        return resolve_key(state, request, ref)
    except errors.KMSError:
        return None


def _blob_key(state: State, request: Request, blob: object) -> Key | None:
    if not isinstance(blob, bytes):
        return None
    sealed = primitives.parse_blob(blob)
    return state.keys.get(sealed.key_arn) if sealed is not None else None


def keys_used(state: State, request: Request, default_action: str) -> list[tuple[str, Key]]:
    """(action, key) for every key the call uses; empty for calls on no key (CreateKey, ListKeys)."""
    p = request.params
    if request.operation == "ReEncrypt":
        source = _find(state, request, p.get("SourceKeyId")) or _blob_key(state, request, p.get("CiphertextBlob"))
        destination = _find(state, request, p.get("DestinationKeyId"))
        return [(action, key) for action, key in (("kms:ReEncryptFrom", source), ("kms:ReEncryptTo", destination))
                if key is not None]
    if request.operation == "Decrypt" and "KeyId" not in p:
        key = _blob_key(state, request, p.get("CiphertextBlob"))
        return [(default_action, key)] if key is not None else []
    if request.operation == "DeleteAlias":
        alias = state.aliases.get((request.account, request.region, p.get("AliasName", "")))
        key = state.keys.get(f"{request.arn_prefix()}:key/{alias.target_key_id}") if alias else None
        return [(default_action, key)] if key is not None else []
    key = _find(state, request, p.get("KeyId", p.get("TargetKeyId")))
    return [(default_action, key)] if key is not None else []


def authorize(state: State, access: Access, request: Request, grants: GrantFinder | None = None) -> str:
    """Raise AccessDeniedException unless the caller may make `request`; say what allowed it."""
    caller = request.caller_arn
    identity = access.identity_policies(caller)
    permission = access.permission(request.operation, names_key=True)
    used = keys_used(state, request, permission.action) if permission.key_policy else []
    if not used:
        if permission.key_policy and any(name in request.params for name in _KEY_REFERENCES):
            return ""  # the key is not there: the operation answers NotFoundException as AWS does
        # Authorised by IAM policy alone (CreateKey, ListKeys, ListAliases, GenerateRandom, ...).
        decision = decide(AccessRequest(caller, permission.action, "*", request_context(request, None)),
                          None, identity)
        if not decision.allowed:
            raise DeniedError(decision)
        _check_lockout(access, request, None)
        return decision.decided_by
    decision = Decision(True, "")
    for action, key in used:
        grant = grants(state, request, key, action) if grants is not None else None
        access_request = AccessRequest(caller, action, key.arn, request_context(request, key), key.account,
                                       permission.cross_account)
        decision = decide(access_request, parse_policy(key.policy, key_policy=True), identity, grant)
        if not decision.allowed:
            raise DeniedError(decision)
    _check_lockout(access, request, used[0][1])
    return decision.decided_by


def _check_lockout(access: Access, request: Request, key: Key | None) -> None:
    """AWS's lockout safety check: a new key policy must let the caller update it later."""
    document = request.params.get("Policy")
    if request.operation not in ("CreateKey", "PutKeyPolicy") or not isinstance(document, str):
        return
    if request.params.get("BypassPolicyLockoutSafetyCheck"):
        return
    policy = parse_policy(document, key_policy=True)
    arn = key.arn if key is not None else f"{request.arn_prefix()}:key/*"
    account = key.account if key is not None else request.account
    check = AccessRequest(request.caller_arn, "kms:PutKeyPolicy", arn, {}, account, False)
    if not decide(check, policy, access.identity_policies(request.caller_arn)).allowed:
        raise malformed(LOCKOUT)
