"""Key inventory: creating keys, describing them, and their life cycle (enable, disable, delete)."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from . import errors
from .keyspecs import CreateKeyRefusal, algorithms_metadata, check_create_key
from .model import (
    CURRENT,
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    PENDING_IMPORT,
    Key,
    KeyMaterial,
    Lineage,
)
from .paging import page
from .resolve import resolve_key
from .state import Request, State

SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"


def default_policy(account: str) -> str:
    """The key policy AWS attaches when CreateKey gets none (the "default key policy")."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )


def new_material(state: State, secret: bytes | None = None, **fields: Any) -> KeyMaterial:
    """A fresh CURRENT material; the secret is drawn once here, never per call."""
    return KeyMaterial(
        material_id=state.ids.material_id(),
        secret=secret if secret is not None else secrets.token_bytes(32),
        state=fields.pop("state", CURRENT),
        **fields,
    )


def shows_material_id(key: Key) -> bool:
    """CurrentKeyMaterialId appears for symmetric AWS_KMS keys, and EXTERNAL ones once imported (§11)."""
    if key.key_spec != SYMMETRIC_DEFAULT:
        return False
    if key.origin == "AWS_KMS":
        return True
    return key.origin == "EXTERNAL" and key.has_imported


def key_metadata(key: Key) -> dict[str, Any]:
    """KeyMetadata exactly as DescribeKey shows it for this key."""
    meta: dict[str, Any] = {
        "AWSAccountId": key.account,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.creation_date,
        "Enabled": key.key_state == ENABLED,
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.key_state,
        "Origin": key.origin,
        "KeyManager": key.key_manager,
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        **algorithms_metadata(key.key_spec, key.key_usage),
        "MultiRegion": key.multi_region,
    }
    if key.deletion_date is not None:
        meta["DeletionDate"] = key.deletion_date
        if key.pending_window_days is not None:
            meta["PendingDeletionWindowInDays"] = key.pending_window_days
    if key.custom_key_store_id is not None:
        meta["CustomKeyStoreId"] = key.custom_key_store_id
    if key.origin == "EXTERNAL":
        current = key.lineage.current()
        if current is not None and current.expiration_model is not None:
            meta["ExpirationModel"] = current.expiration_model
            if current.valid_to is not None:
                meta["ValidTo"] = current.valid_to
    if key.multi_region:
        meta["MultiRegionConfiguration"] = multi_region_configuration(key)
    if shows_material_id(key):
        current = key.lineage.current()
        if current is not None:
            meta["CurrentKeyMaterialId"] = current.material_id
    return meta


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def multi_region_configuration(key: Key) -> dict[str, Any]:
    primary = key.primary_arn or key.arn
    return {
        "MultiRegionKeyType": "REPLICA" if key.is_replica else "PRIMARY",
        "PrimaryKey": {"Arn": primary, "Region": _region_of(primary)},
        "ReplicaKeys": [{"Arn": arn, "Region": _region_of(arn)} for arn in replicas_of(key)],
    }


def replicas_of(key: Key) -> list[str]:
    return list(key.replica_arns) if not key.is_replica else []


def create_key(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    decision = check_create_key(
        p.get("KeySpec"),
        p.get("KeyUsage"),
        p.get("CustomerMasterKeySpec"),
        p.get("Origin"),
        bool(p.get("MultiRegion", False)),
        "CustomKeyStoreId" in p,
    )
    if isinstance(decision, CreateKeyRefusal):
        raise errors.KMSError(decision.code, decision.message)
    multi_region = bool(p.get("MultiRegion", False))
    key_id = state.ids.multi_region_key_id() if multi_region else state.ids.key_id()
    external = decision.origin == "EXTERNAL"
    lineage = Lineage()
    if not external:
        lineage.materials.append(new_material(state))
    key = Key(
        key_id=key_id,
        arn=f"{request.arn_prefix()}:key/{key_id}",
        account=request.account,
        region=request.region,
        creation_date=request.now,
        key_spec=decision.key_spec,
        key_usage=decision.key_usage,
        origin=decision.origin,
        key_manager="CUSTOMER",
        key_state=PENDING_IMPORT if external else ENABLED,
        lineage=lineage,
        description=p.get("Description", ""),
        multi_region=multi_region,
        custom_key_store_id=p.get("CustomKeyStoreId"),
        tags={t["TagKey"]: t["TagValue"] for t in p.get("Tags", [])},
        policy=p.get("Policy") or default_policy(request.account),
    )
    state.add_key(key)
    return {"KeyMetadata": key_metadata(key)}


def describe_key(state: State, request: Request) -> dict[str, Any]:
    key = resolve_key(state, request, request.params["KeyId"])
    return {"KeyMetadata": key_metadata(key)}


def _require_not_pending_deletion(key: Key) -> None:
    if key.key_state == PENDING_DELETION:
        raise errors.invalid_state(f"{key.arn} is pending deletion.")


def enable_key(state: State, request: Request) -> dict[str, Any]:
    key = resolve_key(state, request, request.params["KeyId"])
    _require_not_pending_deletion(key)
    if key.key_state == PENDING_IMPORT:
        raise errors.invalid_state(f"{key.arn} is pending import.")
    key.key_state = ENABLED
    return {}


def disable_key(state: State, request: Request) -> dict[str, Any]:
    key = resolve_key(state, request, request.params["KeyId"])
    _require_not_pending_deletion(key)
    if key.key_state == PENDING_IMPORT:
        raise errors.invalid_state(f"{key.arn} is pending import.")
    key.key_state = DISABLED
    return {}


def schedule_key_deletion(state: State, request: Request) -> dict[str, Any]:
    key = resolve_key(state, request, request.params["KeyId"])
    days = request.params.get("PendingWindowInDays", 30)
    if not 7 <= days <= 30:
        # The model bounds are 1..365; AWS narrows them to 7..30 server-side.
        raise errors.validation(
            f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
            f"constraint: Member must have value {'greater than or equal to 7' if days < 7 else 'less than or equal to 30'}"
        )
    _require_not_pending_deletion(key)
    key.key_state = PENDING_DELETION
    key.deletion_date = request.now + timedelta(days=days)
    key.pending_window_days = days
    return {
        "KeyId": key.arn,
        "DeletionDate": key.deletion_date,
        "KeyState": key.key_state,
        "PendingWindowInDays": days,
    }


def cancel_key_deletion(state: State, request: Request) -> dict[str, Any]:
    key = resolve_key(state, request, request.params["KeyId"])
    if key.key_state != PENDING_DELETION:
        raise errors.invalid_state(f"{key.arn} is not pending deletion.")
    # AWS leaves a key whose deletion was cancelled Disabled (spec §3 rule 7).
    key.key_state = DISABLED
    key.deletion_date = None
    key.pending_window_days = None
    return {"KeyId": key.arn}


def list_keys(state: State, request: Request) -> dict[str, Any]:
    keys = [{"KeyId": k.key_id, "KeyArn": k.arn} for k in state.keys_in(request.account, request.region)]
    scope = f"ListKeys:{request.account}:{request.region}"
    return page(keys, request.params.get("Limit", 100), request.params.get("Marker"), scope, "Keys")


def update_key_description(state: State, request: Request) -> dict[str, Any]:
    key = resolve_key(state, request, request.params["KeyId"])
    _require_not_pending_deletion(key)
    key.description = request.params["Description"]
    return {}


OPERATIONS = {
    "CreateKey": create_key,
    "DescribeKey": describe_key,
    "EnableKey": enable_key,
    "DisableKey": disable_key,
    "ScheduleKeyDeletion": schedule_key_deletion,
    "CancelKeyDeletion": cancel_key_deletion,
    "ListKeys": list_keys,
    "UpdateKeyDescription": update_key_description,
}
