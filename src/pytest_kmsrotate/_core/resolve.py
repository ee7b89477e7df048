"""Key references resolved as AWS resolves them: key ID, key ARN, alias name, alias ARN.

Messages come from docs/fidelity.md §9: `Key '<arn>' does not exist`, `Invalid keyId '<x>'`,
`Invalid arn <region>`, and the alias refusal of the rotation operations.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import errors
from .model import Key
from .state import Request, State

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MRK = re.compile(r"mrk-[0-9a-f]{32}")
_ARN = re.compile(r"arn:(?P<partition>[^:]*):kms:(?P<region>[^:]*):(?P<account>[^:]*):(?P<resource>.*)")

# Looks up (or materialises) an alias's key; AWS managed aliases hook in here.
AliasLookup = Callable[[State, Request, str], Key | None]


def is_key_id(text: str) -> bool:
    return bool(_UUID.fullmatch(text) or _MRK.fullmatch(text))


def alias_arn(request: Request, name: str) -> str:
    return f"{request.arn_prefix()}:{name}"


def _alias_not_found(request: Request, name: str) -> errors.KMSError:
    # Observed AWS text for a missing alias (LocalStack snapshot of DescribeKey on an unknown alias).
    return errors.KMSError("NotFoundException", f"Alias {alias_arn(request, name)} is not found.")


def _live(state: State, arn: str) -> Key | None:
    return state.keys.get(arn)


def resolve_key(
    state: State,
    request: Request,
    ref: str,
    *,
    allow_alias: bool = True,
    alias_lookup: AliasLookup | None = None,
) -> Key:
    """Find the key `ref` names in the caller's account and region, or raise AWS's error."""
    match = _ARN.fullmatch(ref)
    if match:
        resource = match["resource"]
        if resource.startswith("alias/"):
            if not allow_alias:
                raise errors.alias_not_supported()
            if match["region"] != request.region:
                raise errors.invalid_arn_region(match["region"])
            if match["account"] != request.account:
                return _foreign_alias(state, match["account"], request.region, resource, ref)
            return _resolve_alias(state, request, resource, alias_lookup)
        if not resource.startswith("key/"):
            raise errors.KMSError("InvalidArnException", f"ARN {ref} is not a valid KMS key ARN")  # inferred
        if match["region"] != request.region:
            raise errors.invalid_arn_region(match["region"])
        key_id = resource[len("key/"):]
        key = _live(state, ref) if is_key_id(key_id) else None
        if key is None:
            raise errors.not_found(ref)
        return key
    if ref.startswith("alias/"):
        if not allow_alias:
            raise errors.alias_not_supported()
        return _resolve_alias(state, request, ref, alias_lookup)
    if not is_key_id(ref):
        raise errors.invalid_key_id(ref)
    arn = f"{request.arn_prefix()}:key/{ref}"
    key = _live(state, arn)
    if key is None:
        raise errors.not_found(arn)
    return key


def key_by_id_or_arn(state: State, request: Request, param: str = "KeyId") -> Key:
    """The key of an operation that takes only a key ID or key ARN.

    AWS refuses an alias name or alias ARN there, before any lookup, with InvalidArnException
    `Key Aliases are not supported for this operation.` (fidelity §4, §9).
    """
    return resolve_key(state, request, request.params[param], allow_alias=False)


def _foreign_alias(state: State, account: str, region: str, name: str, ref: str) -> Key:
    """An alias ARN of another account is looked up in that account (issue 15, deviation 3)."""
    alias = state.aliases.get((account, region, name))
    partition = ref.split(":")[1]
    key = state.keys.get(f"arn:{partition}:kms:{region}:{account}:key/{alias.target_key_id}") if alias else None
    if key is None:
        # The not-found text of a missing alias, naming the ARN asked for.
        raise errors.KMSError("NotFoundException", f"Alias {ref} is not found.")
    return key


def _resolve_alias(state: State, request: Request, name: str, alias_lookup: AliasLookup | None) -> Key:
    alias = state.aliases.get((request.account, request.region, name))
    if alias is not None:
        key = _live(state, f"{request.arn_prefix()}:key/{alias.target_key_id}")
        if key is not None:
            return key
    if alias_lookup is not None:
        key = alias_lookup(state, request, name)
        if key is not None:
            return key
    raise _alias_not_found(request, name)
