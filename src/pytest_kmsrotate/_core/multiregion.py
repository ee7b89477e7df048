"""Multi-Region keys: ReplicateKey and UpdatePrimaryRegion (docs/fidelity.md §12).

A replica shares its primary's `Lineage` object, so every rotation setting and every key
material of the primary is the replica's at the same instant, as AWS shows it. Replication and
the primary change complete at once: the fake skips the `Creating` and `Updating` states that
real AWS passes through for a few minutes (see the decisions in docs/fidelity.md).
Messages are the ones recorded from real AWS (stackd multi_region.json, 2026-09-12) unless
marked `# inferred`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import errors
from .key_factory import default_policy
from .key_states import REFUSED_BY_REPLICATE, check_key_state
from .keys import key_metadata
from .model import CREATING, ENABLED, PENDING_IMPORT, Key
from .resolve import key_by_id_or_arn, resolve_key
from .schedule import REPLICA_CREATION
from .state import Request, State

# Regions that host KMS multi-Region keys, by partition.
_REGIONS: dict[str, frozenset[str]] = {
    "aws": frozenset({
        "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
        "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
        "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5",
        "ap-southeast-7", "ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-west-1",
        "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1", "il-central-1",
        "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
    }),
    "aws-cn": frozenset({"cn-north-1", "cn-northwest-1"}),
    "aws-us-gov": frozenset({"us-gov-east-1", "us-gov-west-1"}),
}


def _partition(region: str) -> str | None:
    for partition, regions in _REGIONS.items():
        if region in regions:
            return partition
    return None


def _kms_arn_head(key: Key) -> str:
    """`arn:<partition>:kms` of the key's own ARN: a replica is always in its primary's partition."""
    return ":".join(key.arn.split(":", 3)[:3])


def _not_primary_unsupported(key: Key) -> errors.KMSError:
    return errors.unsupported(f"{key.arn} is not a multi-region primary key.")


def replicate_key(state: State, request: Request) -> dict[str, Any]:
    p = request.params
    key = resolve_key(state, request, p["KeyId"], allow_alias=False)
    if not key.multi_region or key.is_replica:
        # Observed for a replica; a single-Region key is taken to get the same answer (inferred).
        raise _not_primary_unsupported(key)
    check_key_state(key, REFUSED_BY_REPLICATE)  # pending deletion: inferred (fidelity §7 form)
    region = p["ReplicaRegion"]
    if region == key.region:
        raise errors.validation(f"{region} cannot have a replica because it contains the primary.")
    partition = _partition(region)
    if partition is None:
        raise errors.validation(
            f"Region {region} is not a valid Region or multi-Region keys are not supported in Region {region}."
        )
    if partition != _partition(key.region):
        raise errors.validation("The replica key Region must be in the same AWS partition as the primary key Region.")
    arn = f"{_kms_arn_head(key)}:{region}:{key.account}:key/{key.key_id}"
    if arn in state.keys:
        raise errors.KMSError(
            "AlreadyExistsException", "You can create only one replica of each primary key in each AWS Region."
        )
    tags = {t["TagKey"]: t["TagValue"] for t in p.get("Tags", [])}
    delay = state.config.replication_delay
    # OBS (issue 15, deviation 1): AWS answers with the replica Creating and Enabled false, and it
    # becomes usable some tens of seconds later; `replication_delay` sets how long (0: at once).
    ready = PENDING_IMPORT if key.origin == "EXTERNAL" else ENABLED
    replica = Key(
        key_id=key.key_id,
        arn=arn,
        account=key.account,
        region=region,
        creation_date=request.now,
        key_spec=key.key_spec,
        key_usage=key.key_usage,
        origin=key.origin,
        key_manager=key.key_manager,
        # Imported material must be imported into each replica, so such a replica waits for it.
        key_state=CREATING if delay else ready,
        lineage=key.lineage,
        description=p.get("Description", ""),  # not copied from the primary (OBS)
        multi_region=True,
        tags=tags,
        policy=p.get("Policy") or default_policy(key.account, key.arn.split(":", 2)[1]),
    )
    state.add_key(replica)
    key.lineage.replica_arns.append(arn)
    if delay:
        state.schedule.add(request.now + delay, REPLICA_CREATION, arn)
    metadata = key_metadata(replica)
    # AWS answers while the replica is still being created, before its material is there (fidelity §11).
    metadata.pop("CurrentKeyMaterialId", None)
    response: dict[str, Any] = {"ReplicaKeyMetadata": metadata, "ReplicaPolicy": replica.policy}
    if "Tags" in p:
        response["ReplicaTags"] = [{"TagKey": k, "TagValue": v} for k, v in tags.items()]
    return response


def finish_replica(state: State, key: Key, when: datetime) -> None:
    """The replication delay is over: the replica is ready (PendingImport for imported material)."""
    if key.key_state == CREATING:
        key.key_state = PENDING_IMPORT if key.origin == "EXTERNAL" else ENABLED


def finish_replicas_now(state: State, now: datetime, only: str | None = None) -> int:
    """Make every replica still `Creating` ready now (only replicas of, or named by, ARN `only`); how many.

    Its planned REPLICA_CREATION entry then finds it ready and does nothing (`finish_replica`).
    """
    done = 0
    for key in list(state.keys.values()):
        if key.key_state == CREATING and only in (None, key.arn, key.lineage.primary_arn):
            finish_replica(state, key, now)
            done += 1
    return done


def update_primary_region(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    if not key.multi_region or key.is_replica:
        # Observed for a replica (note AWS's capital R here); inferred for single-Region keys.
        raise errors.invalid_state(f"{key.arn} is not a multi-Region primary key.")
    region = request.params["PrimaryRegion"]
    if region == key.region:
        return {}  # observed: a no-op success
    new_arn = f"{_kms_arn_head(key)}:{region}:{key.account}:key/{key.key_id}"
    new_primary = state.keys.get(new_arn)
    lineage = key.lineage
    if new_primary is None or new_arn not in lineage.replica_arns:
        raise errors.validation(f"{key.key_id} does not have a replica key in the specified Region.")
    # The lineage is shared, so rotation status and NextRotationDate carry over (fidelity §12).
    lineage.replica_arns = [key.arn if arn == new_arn else arn for arn in lineage.replica_arns]
    lineage.primary_arn = new_arn
    return {}


OPERATIONS = {
    "ReplicateKey": replicate_key,
    "UpdatePrimaryRegion": update_primary_region,
}
