"""Key inventory: creating keys, describing them, and their life cycle (enable, disable, delete)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from . import errors
from .key_factory import new_key
from .key_states import REFUSED_BY_ENABLE_DISABLE, SCHEDULED_FOR_DELETION, check_key_state
from .key_stores import store_for_new_key
from .keyspecs import CreateKeyRefusal, algorithms_metadata, check_create_key, check_key_spec_region
from .managed import aws_managed_lookup
from .model import (
    DISABLED,
    ENABLED,
    PENDING_DELETION,
    SYMMETRIC_DEFAULT,
    Key,
)
from .paging import marker_secret, page
from .policies import check_policy_document
from .resolve import key_by_id_or_arn, resolve_key
from .rotation import resume_rotation
from .schedule import KEY_DELETION
from .state import Request, State
from .tags import checked_tags


def shows_material_id(key: Key) -> bool:
    """CurrentKeyMaterialId appears for symmetric AWS_KMS keys, and EXTERNAL ones once imported (fidelity §11)."""
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
        if key.origin == "AWS_CLOUDHSM":
            meta["CloudHsmClusterId"] = key.cloudhsm_cluster_id or cloudhsm_cluster_id(key.custom_key_store_id)
    if key.xks_key_id is not None:
        meta["XksKeyConfiguration"] = {"Id": key.xks_key_id}
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
    # Primary and replicas alike list every replica (OBS stackd multi_region.json).
    primary = key.lineage.primary_arn
    return {
        "MultiRegionKeyType": "REPLICA" if key.is_replica else "PRIMARY",
        "PrimaryKey": {"Arn": primary, "Region": _region_of(primary)},
        "ReplicaKeys": [{"Arn": arn, "Region": _region_of(arn)} for arn in key.lineage.replica_arns],
    }


def cloudhsm_cluster_id(custom_key_store_id: str) -> str:
    """A stable, well-formed CloudHSM cluster ID for a store the fake does not model."""
    return "cluster-" + hashlib.sha256(custom_key_store_id.encode()).hexdigest()[:11]


def _refuse(refusal: CreateKeyRefusal) -> errors.KMSError:
    return errors.KMSError(refusal.code, refusal.message)


def _check_key_store(p: Mapping[str, Any], origin: str) -> None:
    xks_key_id = p.get("XksKeyId")
    if origin == "EXTERNAL_KEY_STORE" and xks_key_id is None:
        raise errors.validation("XksKeyId is required for Origin EXTERNAL_KEY_STORE.")  # inferred
    if origin != "EXTERNAL_KEY_STORE" and xks_key_id is not None:
        raise errors.validation(f"XksKeyId is not valid for Origin {origin}.")  # inferred


def create_key(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    multi_region = bool(p.get("MultiRegion", False))
    decision = check_create_key(
        p.get("KeySpec"),
        p.get("KeyUsage"),
        p.get("CustomerMasterKeySpec"),
        p.get("Origin"),
        multi_region,
        "CustomKeyStoreId" in p,
        state.enums,
    )
    if isinstance(decision, CreateKeyRefusal):
        raise _refuse(decision)
    region_refusal = check_key_spec_region(decision.key_spec, request.region)
    if region_refusal is not None:
        raise _refuse(region_refusal)
    _check_key_store(p, decision.origin)
    store = None
    if p.get("CustomKeyStoreId") is not None:
        # The store must exist, be connected and be of the key's origin (key_stores.py).
        store = store_for_new_key(state, request, p["CustomKeyStoreId"], decision.origin, p.get("XksKeyId"))
    if p.get("Policy") is not None:
        check_policy_document(p["Policy"])  # issue 15 deviation 5: as PutKeyPolicy refuses it
    tags = checked_tags(p.get("Tags", []))
    key = new_key(
        state,
        request,
        key_spec=decision.key_spec,
        key_usage=decision.key_usage,
        origin=decision.origin,
        description=p.get("Description", ""),
        multi_region=multi_region,
        custom_key_store_id=p.get("CustomKeyStoreId"),
        tags=tags,
        policy=p.get("Policy"),
        xks_key_id=p.get("XksKeyId"),
    )
    if store is not None:
        key.cloudhsm_cluster_id = store.cluster_id
    return {"KeyMetadata": key_metadata(key)}


def describe_key(state: State, request: Request) -> dict[str, Any]:
    key = resolve_key(state, request, request.params["KeyId"], alias_lookup=aws_managed_lookup)
    return {"KeyMetadata": key_metadata(key)}


def enable_key(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    check_key_state(key, REFUSED_BY_ENABLE_DISABLE)
    was_enabled = key.key_state == ENABLED
    key.key_state = ENABLED
    if not was_enabled:
        resume_rotation(state, key, request.now)
    return {}


def disable_key(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    check_key_state(key, REFUSED_BY_ENABLE_DISABLE)  # PendingImport: DOC23 footnote 5
    key.key_state = DISABLED
    return {}


def _window_error(days: int) -> errors.KMSError:
    # The model allows 1..365; AWS narrows it to 7..30 server-side. Standard Coral wording (inferred).
    bound = "greater than or equal to 7" if days < 7 else "less than or equal to 30"
    return errors.validation(
        f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy "
        f"constraint: Member must have value {bound}"
    )


def schedule_key_deletion(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    days = request.params.get("PendingWindowInDays", 30)
    if not 7 <= days <= 30:
        raise _window_error(days)
    # OBS (terraform-provider-aws#17889): scheduling twice gives "<arn> is pending deletion."
    check_key_state(key, SCHEDULED_FOR_DELETION)
    key.key_state = PENDING_DELETION
    key.deletion_date = request.now + timedelta(days=days)
    key.pending_window_days = days
    state.schedule.add(key.deletion_date, KEY_DELETION, key.arn)
    return {
        "KeyId": key.arn,
        "DeletionDate": key.deletion_date,
        "KeyState": key.key_state,
        "PendingWindowInDays": days,
    }


def cancel_key_deletion(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    if key.key_state != PENDING_DELETION:
        raise errors.invalid_state(f"{key.arn} is not pending deletion.")  # inferred: text not recorded
    # AWS leaves a key whose deletion was cancelled Disabled (fidelity §3 rule 7).
    key.key_state = DISABLED
    key.deletion_date = None
    key.pending_window_days = None
    return {"KeyId": key.arn}


def delete_when_due(state: State, key: Key, when: datetime) -> None:
    """The waiting period ended: the key and its aliases are gone for good (NotFoundException after)."""
    if key.key_state != PENDING_DELETION or key.deletion_date != when:
        return  # cancelled meanwhile
    del state.keys[key.arn]
    for name, alias in list(state.aliases.items()):
        if alias.arn.split(":")[3] == key.region and alias.target_key_id == key.key_id \
                and name[0] == key.account:
            del state.aliases[name]
    if key.is_replica:
        key.lineage.replica_arns.remove(key.arn)


def list_keys(state: State, request: Request) -> dict[str, Any]:
    keys = [{"KeyId": k.key_id, "KeyArn": k.arn} for k in state.keys_in(request.account, request.region)]
    scope = f"ListKeys:{request.account}:{request.region}"
    return page(keys, request.params.get("Limit", 100), request.params.get("Marker"), scope, "Keys",
                secret=marker_secret(state))


def update_key_description(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    check_key_state(key, SCHEDULED_FOR_DELETION)
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
