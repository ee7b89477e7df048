"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

Grants are stored, listed and retired here, and `grant_allowing` is how the authorisation step
(policies enforced) asks whether one lets a call through. Grant IDs are 64 lowercase hex digits and grant tokens
have the layout of AWS's recorded tokens: base64url (no padding) of a protobuf-like frame whose
first field is the grant ID (`AQpA` + the ID's base64), then an opaque part unique per call.
Sources are in docs/fidelity.md "Grants".
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from . import errors
from .crypto_operations import _dry_run
from .errors import KMSError
from .model import CREATING, PENDING_DELETION, PENDING_REPLICA_DELETION, Grant, Key
from .paging import marker_secret, page
from .policy_language import principal_names
from .resolve import key_by_id_or_arn
from .state import Request, State

# ListGrants/ListRetirableGrants Limit: "between 1 and 100, inclusive ... default value is 50" (API reference).
LIST_DEFAULT, LIST_MAX = 50, 100
_GRANT_ID = re.compile(r"[0-9a-f]{64}")
_TOKEN_HEAD = b"\x01\x0a\x40"  # AWS's tokens start with these bytes, then the 64-character grant ID

# Operations a grant may allow, by what the key can do (developer guide, "Grant operations").
_ALWAYS = frozenset({"CreateGrant", "DescribeKey", "RetireGrant"})
_BY_USAGE: Mapping[str, frozenset[str]] = {
    "SYMMETRIC": frozenset({
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
    }),
    "ENCRYPT_DECRYPT": frozenset({"Decrypt", "Encrypt", "GetPublicKey", "ReEncryptFrom", "ReEncryptTo"}),
    "SIGN_VERIFY": frozenset({"Sign", "Verify", "GetPublicKey"}),
    "GENERATE_VERIFY_MAC": frozenset({"GenerateMac", "VerifyMac"}),
    "KEY_AGREEMENT": frozenset({"DeriveSharedSecret", "GetPublicKey"}),
    "ENCAPSULATE_DECAPSULATE": frozenset({"Encapsulate", "Decapsulate", "GetPublicKey"}),
}
# Encryption-context constraints apply only to operations that take an encryption context.
_TAKES_CONTEXT = _BY_USAGE["SYMMETRIC"]


def _allowed_operations(key: Key) -> frozenset[str]:
    usage = "SYMMETRIC" if key.key_spec == "SYMMETRIC_DEFAULT" else key.key_usage
    return _ALWAYS | _BY_USAGE.get(usage, frozenset())


def _check_grantable(key: Key, request: Request) -> None:
    if key.key_state in (PENDING_DELETION, PENDING_REPLICA_DELETION):
        raise errors.pending_deletion(key.arn)  # key-state table: CreateGrant refused
    if key.key_state == CREATING:
        raise errors.invalid_state(f"{key.arn} is creating.")
    if key.is_aws_managed:
        # The AWS managed key policy allows CreateGrant only through the service (kms:ViaService),
        # so the account's own call is denied; the text is the policy-denial template.
        action = "kms:CreateGrant"
        raise errors.access_denied(
            f"User: {request.caller_arn} is not authorized to perform: {action} "
            f"on resource: {key.arn} because no resource-based policy allows the {action} action"
        )


def _one_of(params: Mapping[str, Any], plain: str, service: str, required: bool) -> tuple[str | None, str | None]:
    a, b = params.get(plain), params.get(service)
    if a is not None and b is not None:
        raise errors.validation(f"Only one of {plain} and {service} can be specified.")  # inferred
    if required and a is None and b is None:
        raise errors.validation(f"Either {plain} or {service} must be specified.")  # inferred
    return a, b


def _checked_constraints(key: Key, operations: tuple[str, ...], constraints: Any) -> Any:
    if not constraints:
        return None
    if "EncryptionContextEquals" in constraints and "EncryptionContextSubset" in constraints:
        # inferred: the docs allow one type of encryption-context constraint per grant.
        raise errors.validation("Only one of EncryptionContextEquals and EncryptionContextSubset can be specified.")
    if not set(operations) <= (_TAKES_CONTEXT | _ALWAYS) or key.key_spec != "SYMMETRIC_DEFAULT":
        # Developer guide: encryption-context constraints only in grants whose operations take an
        # encryption context, so never on asymmetric or HMAC keys (text inferred).
        raise errors.validation(
            "Grant constraints are not supported for the operations or the key spec of this grant."
        )
    return {k: dict(v) for k, v in constraints.items()}


def _token(state: State, grant_id: str) -> str:
    """A fresh token for `grant_id`: every CreateGrant call gets its own, as AWS's docs say."""
    tail = bytes.fromhex(state.ids.token("grant-token") + state.ids.token("grant-token"))
    frame = _TOKEN_HEAD + grant_id.encode() + b"\x22" + bytes([len(tail)]) + tail
    token = base64.urlsafe_b64encode(frame).decode().rstrip("=")
    state.grant_tokens[token] = grant_id
    return token


def _same_request(grant: Grant, candidate: Grant) -> bool:
    return (grant.key_arn, grant.name, grant.grantee, grant.grantee_service, grant.retiring,
            grant.retiring_service, sorted(grant.operations), grant.constraints) == (
        candidate.key_arn, candidate.name, candidate.grantee, candidate.grantee_service, candidate.retiring,
        candidate.retiring_service, sorted(candidate.operations), candidate.constraints)


def create_grant(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    key = key_by_id_or_arn(state, request)
    _check_grantable(key, request)
    grantee, grantee_service = _one_of(p, "GranteePrincipal", "GranteeServicePrincipal", required=True)
    retiring, retiring_service = _one_of(p, "RetiringPrincipal", "RetiringServicePrincipal", required=False)
    operations = tuple(dict.fromkeys(p["Operations"]))
    if not operations:
        # inferred: Coral's list-length text (the model sets no min on the list).
        raise errors.validation(
            "1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    refused = sorted(set(operations) - _allowed_operations(key))
    if refused:
        # Developer guide: an operation the key cannot do fails CreateGrant with ValidationException (text inferred).
        raise errors.validation(
            f"Grant operations {refused} are not valid for key {key.arn} with key spec {key.key_spec}."
        )
    constraints = _checked_constraints(key, operations, p.get("Constraints"))
    _dry_run(p)
    candidate = Grant(
        grant_id="", key_arn=key.arn, account=key.account, region=key.region, operations=operations,
        creation_date=request.now, grantee=grantee, grantee_service=grantee_service, name=p.get("Name"),
        retiring=retiring, retiring_service=retiring_service, constraints=constraints,
    )
    if candidate.name is not None:
        # API reference: a retry with the same Name and identical parameters returns the original
        # GrantId (and a new token); different parameters create a new grant.
        for existing in state.grants.values():
            if _same_request(existing, candidate):
                return {"GrantToken": _token(state, existing.grant_id), "GrantId": existing.grant_id}
    grant_id = state.ids.token("grant")
    state.grants[grant_id] = Grant(**{**candidate.__dict__, "grant_id": grant_id})
    return {"GrantToken": _token(state, grant_id), "GrantId": grant_id}


def _entry(grant: Grant) -> dict[str, Any]:
    entry: dict[str, Any] = {"KeyId": grant.key_arn, "GrantId": grant.grant_id}
    if grant.name is not None:
        entry["Name"] = grant.name
    entry["CreationDate"] = grant.creation_date
    for field, value in (("GranteePrincipal", grant.grantee), ("GranteeServicePrincipal", grant.grantee_service),
                         ("RetiringPrincipal", grant.retiring),
                         ("RetiringServicePrincipal", grant.retiring_service)):
        if value is not None:
            entry[field] = value
    entry["IssuingAccount"] = f"arn:{grant.key_arn.split(':')[1]}:iam::{grant.account}:root"
    entry["Operations"] = list(grant.operations)
    if grant.constraints is not None:
        entry["Constraints"] = grant.constraints
    return entry


def _live(state: State, grant: Grant) -> bool:
    """A grant lives as long as its key: deleting the key deletes its grants."""
    return grant.key_arn in state.keys


def _limit(params: Mapping[str, Any]) -> int:
    return min(int(params.get("Limit", LIST_DEFAULT)), LIST_MAX)  # inferred: clamp above 100


def _check_grant_id(grant_id: str) -> None:
    if not _GRANT_ID.fullmatch(grant_id):
        raise KMSError("InvalidGrantIdException", "Invalid grant ID")  # inferred text


def list_grants(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    key = key_by_id_or_arn(state, request)  # every key state lists its grants (key-state table)
    grant_id, grantee = p.get("GrantId"), p.get("GranteePrincipal")
    grantee_service = p.get("GranteeServicePrincipal")
    if grant_id is not None:
        _check_grant_id(grant_id)
    items = [
        _entry(g) for g in state.grants.values()
        if g.key_arn == key.arn
        and (grant_id is None or g.grant_id == grant_id)
        and (grantee is None or g.grantee == grantee)
        and (grantee_service is None or g.grantee_service == grantee_service)
    ]
    scope = f"ListGrants:{key.arn}:{grant_id}:{grantee}:{grantee_service}"
    return page(items, _limit(p), p.get("Marker"), scope, "Grants", secret=marker_secret(state))


def list_retirable_grants(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    retiring, retiring_service = _one_of(p, "RetiringPrincipal", "RetiringServicePrincipal", required=True)
    items = [
        _entry(g) for g in state.grants.values()
        if g.account == request.account and g.region == request.region and _live(state, g)
        and (retiring is None or g.retiring == retiring)
        and (retiring_service is None or g.retiring_service == retiring_service)
    ]
    scope = f"ListRetirableGrants:{request.account}:{request.region}:{retiring}:{retiring_service}"
    return page(items, _limit(p), p.get("Marker"), scope, "Grants", secret=marker_secret(state))


def _grant_id_of_token(state: State, token: str) -> str:
    """The grant a token names; InvalidGrantTokenException for a string the fake never issued.

    AWS's tokens are opaque and issued only by CreateGrant, so any other string (malformed,
    truncated, edited, or made up) is not a grant token. One rule for RetireGrant's GrantToken and
    for the GrantTokens of every operation that checks them (docs/fidelity.md §20.2; text inferred).
    """
    grant_id = state.grant_tokens.get(token)
    if grant_id is None:
        raise KMSError("InvalidGrantTokenException", "Invalid grant token")
    return grant_id


def check_grant_tokens(state: State, tokens: Any) -> None:
    """Every token in a request's GrantTokens must be one CreateGrant handed out; a token of a grant
    since retired or revoked is still a token, and adds no permission."""
    for token in tokens or ():
        _grant_id_of_token(state, token)


def _grant_of_token(state: State, token: str) -> Grant:
    grant_id = _grant_id_of_token(state, token)
    grant = state.grants.get(grant_id)
    if grant is None or not _live(state, grant):
        raise KMSError("NotFoundException", f"Grant ID {grant_id} not found")  # inferred text (moto's)
    return grant


def _grant_on_key(state: State, key: Key, grant_id: str) -> Grant:
    _check_grant_id(grant_id)
    grant = state.grants.get(grant_id)
    if grant is None or grant.key_arn != key.arn:
        # OBS: AWS answers NotFoundException for an unknown grant (getmoto/moto#5411, run on AWS);
        # the text is moto's (inferred).
        raise KMSError("NotFoundException", f"Grant ID {grant_id} not found")
    return grant


def retire_grant(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    token, key_ref, grant_id = p.get("GrantToken"), p.get("KeyId"), p.get("GrantId")
    if token is not None:
        grant = _grant_of_token(state, token)
        if grant_id is not None and grant_id != grant.grant_id:
            raise KMSError("InvalidGrantIdException", "Grant ID does not match the grant token")  # inferred
        if key_ref is not None and key_by_id_or_arn(state, request).arn != grant.key_arn:
            raise KMSError("NotFoundException", f"Grant ID {grant.grant_id} not found")  # inferred
    elif key_ref is not None and grant_id is not None:
        grant = _grant_on_key(state, key_by_id_or_arn(state, request), grant_id)
    else:
        # API reference: "identify the grant to retire by its grant token or by a combination of the
        # grant ID and the key ARN"; text inferred (LocalStack's).
        raise errors.validation("Grant token OR (grant ID, key ID) must be specified")
    _dry_run(p)
    del state.grants[grant.grant_id]
    return {}


def revoke_grant(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    key = key_by_id_or_arn(state, request)  # RevokeGrant works in every key state (key-state table)
    grant = _grant_on_key(state, key, p["GrantId"])
    _dry_run(p)
    del state.grants[grant.grant_id]
    return {}


OPERATIONS = {
    "CreateGrant": create_grant,
    "ListGrants": list_grants,
    "ListRetirableGrants": list_retirable_grants,
    "RetireGrant": retire_grant,
    "RevokeGrant": revoke_grant,
}


def grant_allowing(state: State, request: Request, key: Key, action: str) -> str | None:
    """The grant that lets the caller do `action` on `key` now, named for the report, or None.

    A grant allows its grantee the operations it lists on its key, while it exists (retiring or
    revoking removes it), and only if its encryption-context constraint holds for the request:
    `EncryptionContextEquals` exactly, `EncryptionContextSubset` as a subset.
    """
    operation = action.split(":", 1)[-1]
    names = principal_names(request.caller_arn)
    context = request.params.get("EncryptionContext") or {}
    for grant in state.grants.values():
        if grant.key_arn != key.arn or grant.grantee not in names or operation not in grant.operations:
            continue
        constraints = grant.constraints or {}
        equals = constraints.get("EncryptionContextEquals")
        subset = constraints.get("EncryptionContextSubset")
        if equals is not None and dict(context) != dict(equals):
            continue
        if subset is not None and not all(context.get(k) == v for k, v in subset.items()):
            continue
        return f"grant {grant.grant_id[:12]}… ({grant.name or 'unnamed'}) for {operation}"
    return None
