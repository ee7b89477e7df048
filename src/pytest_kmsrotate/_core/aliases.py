"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

An alias lives in one account and Region and points at one key there. Names under
`alias/aws/` belong to AWS managed keys (see `managed`): users can list and use them but never
create, repoint or delete them.
"""

from __future__ import annotations

import re
from typing import Any

from . import errors
from .key_states import SCHEDULED_FOR_DELETION, check_key_state
from .managed import PREFIX, SERVICES, is_reserved
from .model import Alias, Key
from .paging import marker_secret, page
from .resolve import alias_arn, key_by_id_or_arn, resolve_key
from .state import Request, State

# Developer guide (alias names): after `alias/`, only alphanumerics, `/`, `_` and `-`; the model's
# pattern also allows `:` (issue 15, deviation 6).
_NAME = re.compile(r"[a-zA-Z0-9/_-]+")


def _check_name(name: str) -> None:
    if not name.startswith("alias/"):
        # OBS-LS test_create_alias (2023).
        raise errors.validation(
            'Alias must start with the prefix "alias/". Please see '
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if not _NAME.fullmatch(name):
        # inferred text: Coral's pattern refusal, with the pattern AWS documents.
        raise errors.validation(
            f"1 validation error detected: Value '{name}' at 'aliasName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_-]+$"
        )
    if is_reserved(name):
        # Not a modelled KMS error: AWS sends it with no message (3P local-kms and moto agree).
        raise errors.KMSError("NotAuthorizedException")


def _target(state: State, request: Request) -> Key:
    ref = request.params["TargetKeyId"]
    if ref.startswith("alias/") or ":alias/" in ref:
        raise errors.validation("Aliases must refer to keys. Not aliases")  # 3P moto
    key = resolve_key(state, request, ref, allow_alias=False)
    check_key_state(key, SCHEDULED_FOR_DELETION)  # key-state table (fidelity §7, DOC23 footnote 3)
    return key


def _not_found(request: Request, name: str) -> errors.KMSError:
    # Same text as DescribeKey on a missing alias (resolve.py, OBS LocalStack).
    return errors.KMSError("NotFoundException", f"Alias {alias_arn(request, name)} is not found.")


def create_alias(state: State, request: Request) -> dict[str, Any]:
    name = request.params["AliasName"]
    _check_name(name)
    slot = (request.account, request.region, name)
    if slot in state.aliases:
        raise errors.KMSError(
            "AlreadyExistsException", f"An alias with the name {alias_arn(request, name)} already exists"
        )  # 3P moto/floci, believed to be AWS's text
    key = _target(state, request)
    state.aliases[slot] = Alias(name, alias_arn(request, name), key.key_id, request.now, request.now)
    return {}


def _family(key: Key) -> tuple[bool, str]:
    return key.key_spec == "SYMMETRIC_DEFAULT", key.key_usage


def update_alias(state: State, request: Request) -> dict[str, Any]:
    name = request.params["AliasName"]
    _check_name(name)
    slot = (request.account, request.region, name)
    alias = state.aliases.get(slot)
    if alias is None:
        raise _not_found(request, name)
    key = _target(state, request)
    current = state.keys.get(f"{request.arn_prefix()}:key/{alias.target_key_id}")
    # UpdateAlias doc (MODEL): the new key must be the same type (symmetric or asymmetric)
    # and have the same key usage as the current one.
    if current is not None and _family(current) != _family(key):
        raise errors.validation(  # inferred: AWS's text is not recorded
            f"Alias {alias.arn} cannot be changed from a key of type {current.key_spec} with key usage "
            f"{current.key_usage} to a key of type {key.key_spec} with key usage {key.key_usage}."
        )
    state.aliases[slot] = Alias(name, alias.arn, key.key_id, alias.creation_date, request.now)
    return {}


def delete_alias(state: State, request: Request) -> dict[str, Any]:
    name = request.params["AliasName"]
    _check_name(name)
    if state.aliases.pop((request.account, request.region, name), None) is None:
        raise _not_found(request, name)
    return {}


def _entry(alias: Alias) -> dict[str, Any]:
    return {
        "AliasName": alias.name,
        "AliasArn": alias.arn,
        "TargetKeyId": alias.target_key_id,
        "CreationDate": alias.creation_date,
        "LastUpdatedDate": alias.last_updated_date,
    }


def list_aliases(state: State, request: Request) -> dict[str, Any]:
    aliases = sorted(state.aliases_in(request.account, request.region), key=lambda a: a.name)  # order inferred
    scope = f"ListAliases:{request.account}:{request.region}"
    if "KeyId" in request.params:
        # KeyId doc (MODEL): "Specify the key ID or key ARN"; an alias is refused like elsewhere.
        key = key_by_id_or_arn(state, request)
        aliases = [a for a in aliases if a.target_key_id == key.key_id]
        scope += f":{key.arn}"
    entries = [_entry(a) for a in aliases]
    if "KeyId" not in request.params:
        # OBS (issue 15, deviation 2): AWS lists the predefined alias/aws/* aliases it has not yet
        # associated with a key, with no TargetKeyId (nor dates, inferred).
        named = {a.name for a in aliases}
        entries += [{"AliasName": f"{PREFIX}{service}", "AliasArn": alias_arn(request, f"{PREFIX}{service}")}
                    for service in SERVICES if f"{PREFIX}{service}" not in named]
        entries.sort(key=lambda e: str(e["AliasName"]))
    return page(entries, request.params.get("Limit", 100), request.params.get("Marker"), scope, "Aliases",
                secret=marker_secret(state))


OPERATIONS = {
    "CreateAlias": create_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}
