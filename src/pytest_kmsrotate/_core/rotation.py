"""The five rotation operations, the rotation primitive and the rotation schedule.

`complete_rotation` is the only place a key's material rotates, and `finish_on_demand_rotation`
the only place an on-demand rotation in progress completes: the API operations, the schedule
(`timed_work.settle`) and the pytest helpers go through them.
Checks in every operation run in AWS's order where it was observed (docs/fidelity.md §4, §7, §8, §14.7);
where it was not, the order chosen is marked `# inferred`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from . import errors
from .event_records import Rotated, RotationRun
from .key_states import REFUSED_BY_MATERIAL_USE, SCHEDULED_FOR_DELETION, check_key_state
from .materials import new_material
from .model import (
    AUTOMATIC,
    CURRENT,
    ENABLED,
    NON_CURRENT,
    ON_DEMAND,
    PENDING_ROTATION,
    SYMMETRIC_DEFAULT,
    Key,
    KeyMaterial,
    MaterialRun,
)
from .paging import marker_secret, page
from .resolve import key_by_id_or_arn
from .schedule import AUTOMATIC_ROTATION, ON_DEMAND_COMPLETION
from .state import Request, State

DEFAULT_PERIOD_DAYS = 365  # Fidelity §2 [MODEL]
CONFLICT_WINDOW = timedelta(minutes=20)  # Fidelity §4 [MODEL]
DEFAULT_LIST_LIMIT = 100  # Fidelity §1 [MODEL]
EXTERNAL = "EXTERNAL"
CUSTOM_KEY_STORE_ORIGINS = frozenset({"AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"})

# AWS publishes no text for this error (fidelity §14.3); this is the model's own sentence.
CONFLICT_MESSAGE = (  # inferred
    "The request was rejected because an automatic rotation of this key is currently in "
    "progress or scheduled to begin within the next 20 minutes."
)


# -- the rotation primitive --------------------------------------------------------------------


def complete_rotation(state: State, key: Key, when: datetime, rotation_type: str) -> KeyMaterial | None:
    """Rotate `key`'s material at `when`; returns the new CURRENT material.

    AWS_KMS keys get a fresh material; EXTERNAL keys promote their PENDING_ROTATION material
    and, with none left (it was deleted while the rotation ran), the rotation is a no-op and
    returns None (fidelity §5.7). Replicas share the lineage, so they see the rotation too (fidelity §12).
    """
    lineage = key.lineage
    previous = lineage.current()
    if key.origin == EXTERNAL:
        pending = [m for m in lineage.materials if m.state == PENDING_ROTATION]
        if not pending:
            return None
        # A newer NEW import while the rotation runs wins (fidelity §5.7); only one can exist anyway.
        material = pending[-1]
    else:
        material = new_material(state)
        lineage.materials.append(material)
    if previous is not None and previous is not material:
        previous.state = NON_CURRENT
    material.state = CURRENT
    material.rotation_date = when
    material.rotation_type = rotation_type
    state.rotations.append(
        Rotated(key.arn, key.key_id, key.account, key.region, key.origin, rotation_type,
                previous.material_id if previous is not None else None, material.material_id, when)
    )
    return material


# -- the schedule ------------------------------------------------------------------------------


def schedule_next_rotation(state: State, key: Key) -> None:
    lineage = key.lineage
    if lineage.rotation_enabled and lineage.next_rotation_date is not None:
        state.schedule.add(lineage.next_rotation_date, AUTOMATIC_ROTATION, lineage.primary_arn)


def rotate_automatically(state: State, key: Key, when: datetime) -> None:
    """An automatic rotation at `when`, and the next one a period later (fidelity §3.8)."""
    complete_rotation(state, key, when, AUTOMATIC)
    key.lineage.next_rotation_date = when + timedelta(days=_period(key))
    schedule_next_rotation(state, key)


def resume_rotation(state: State, key: Key, now: datetime) -> None:
    """EnableKey: a rotation missed while the key was not Enabled happens now (fidelity §3.6, INF)."""
    lineage = key.lineage
    if key.is_replica or not lineage.rotation_enabled or lineage.next_rotation_date is None:
        return
    if lineage.next_rotation_date <= now:
        rotate_automatically(state, key, now)
    else:
        schedule_next_rotation(state, key)


def scheduled_rotation(state: State, key: Key, when: datetime, now: datetime) -> None:
    """A schedule entry came due; it runs only if the plan it was made for still holds.

    Every rotation of this key due by `now` happens here, each at its own instant, unless an
    on-demand rotation is in flight (its completion must interleave in time order). The caller
    puts the rotation log back in time order across keys (`timed_work.settle`).
    """
    lineage = key.lineage
    if not lineage.rotation_enabled or lineage.next_rotation_date != when:
        return  # disabled, or re-planned by a new period
    primary = state.keys.get(lineage.primary_arn)
    if primary is None or primary.key_state != ENABLED:
        return  # Disabled and PendingDeletion keys do not rotate; EnableKey resumes (fidelity §3.6, §3.7)
    period = timedelta(days=_period(primary))
    if primary.origin == EXTERNAL or lineage.on_demand_started is not None:
        complete_rotation(state, primary, when, AUTOMATIC)
        when = when + period
    else:
        when = _rotate_run(state, primary, when, period, now)
    lineage.next_rotation_date = when
    schedule_next_rotation(state, primary)


def _rotate_run(state: State, key: Key, when: datetime, period: timedelta, now: datetime) -> datetime:
    """Every automatic rotation of an AWS_KMS key from `when` to `now`, a period apart.

    What `complete_rotation` does once per rotation, for a whole run at a time: a century of
    90-day rotations over a thousand keys is 405,000 of them. All but the last become one
    `MaterialRun` (its members are built when read) and the run is logged as one `RotationRun`,
    expanded when the log is read, so the jump costs a few microseconds per key.
    Returns the instant of the next rotation.
    """
    count = (now - when) // period + 1
    if count == 1:
        complete_rotation(state, key, when, AUTOMATIC)
        return when + period
    lineage = key.lineage
    previous = lineage.current()
    seed, first = state.ids.material_run(count - 1)
    run = MaterialRun(seed, first, count - 1, when, period, state.ids.realm)
    last_date = when + period * (count - 1)
    last = new_material(state, rotation_date=last_date, rotation_type=AUTOMATIC)
    if previous is not None:
        previous.state = NON_CURRENT
    lineage.materials.add_run(run)
    lineage.materials.append(last)
    state.rotations.append(RotationRun(key.arn, key.key_id, key.account, key.region, key.origin,
                                       previous.material_id if previous is not None else None, run,
                                       last.material_id, last_date))
    return when + period * count


def finish_on_demand_rotation(state: State, key: Key, when: datetime) -> bool:
    """The one way an on-demand rotation in progress completes: at `when`, under the current
    primary, whatever the key state became meanwhile (fidelity §4). False if none was in progress.

    The schedule (`finish_on_demand`), `KmsRotation.complete_rotations` and seeding all use it.
    """
    lineage = key.lineage
    if lineage.on_demand_started is None:
        return False
    lineage.on_demand_started = lineage.on_demand_due = None
    complete_rotation(state, state.keys.get(lineage.primary_arn, key), when, ON_DEMAND)
    return True


def finish_on_demand(state: State, key: Key, when: datetime) -> None:
    """A schedule entry for a delayed on-demand rotation came due: finish it if it is that one."""
    if key.lineage.on_demand_started is not None and key.lineage.on_demand_due == when:
        finish_on_demand_rotation(state, key, when)


def replan_family(state: State, deleted: Key) -> None:
    """A deleted replica may be named by its family's timed work: it was primary before
    UpdatePrimaryRegion. Plan that work again under the current primary so it is not lost;
    the stale entries are skipped when they come due.
    """
    lineage = deleted.lineage
    if lineage.primary_arn not in state.keys:
        return
    schedule_next_rotation(state, deleted)
    if lineage.on_demand_started is not None and lineage.on_demand_due is not None:
        state.schedule.add(lineage.on_demand_due, ON_DEMAND_COMPLETION, lineage.primary_arn)


def complete_on_demand_now(state: State, now: datetime, only: str | None = None) -> int:
    """Finish every on-demand rotation still in progress at `now` (of key ARN `only`, if given)."""
    return sum(finish_on_demand_rotation(state, key, now) for key in list(state.keys.values())
               if not key.is_replica and only in (None, key.arn))


def _on_demand_delay(state: State, key: Key) -> timedelta:
    """How long the on-demand rotation starting now takes: the delay set for the next one
    (used up here), else the key's own, else the fake's (AWS gives no figure: fidelity §4)."""
    delay = state.next_on_demand_delay
    if delay is not None:
        state.next_on_demand_delay = None
        return delay
    own = key.lineage.on_demand_delay
    fallback: timedelta = state.config.on_demand_delay
    return own if own is not None else fallback


def _period(key: Key) -> int:
    return key.lineage.rotation_period_days or DEFAULT_PERIOD_DAYS


# -- shared checks -----------------------------------------------------------------------------


def _refuse_aws_managed(key: Key, request: Request) -> None:
    if key.is_aws_managed:
        # AWS managed keys' policies allow their service only, so no caller of the fake may do this.
        action = f"kms:{request.operation}"
        raise errors.access_denied(
            f"User: {request.caller_arn} is not authorized to perform: {action} "
            f"on resource: {key.arn} because no resource-based policy allows the {action} action"
        )


def _refuse_custom_key_store(key: Key) -> None:
    if key.custom_key_store_id is not None or key.origin in CUSTOM_KEY_STORE_ORIGINS:
        # Code per DOC23 footnote 7; the text follows AWS's observed EXTERNAL-origin template.
        raise errors.origin_not_valid(key.arn, key.origin)  # inferred


def _refuse_external(key: Key) -> None:
    if key.origin == EXTERNAL:
        raise errors.origin_not_valid(key.arn, EXTERNAL)


def _refuse_replica(key: Key, operation: str) -> None:
    if key.is_replica:
        raise errors.unsupported(f"{key.arn} is a multi-region replica key which is not valid for {operation}.")


def _refuse_non_symmetric(key: Key) -> None:
    if key.key_spec != SYMMETRIC_DEFAULT:
        raise errors.unsupported(None)  # AWS sends no message here (fidelity §4, OBS)


# -- EnableKeyRotation / DisableKeyRotation ----------------------------------------------------


def _check_enable_disable(state: State, request: Request) -> Key:
    key = key_by_id_or_arn(state, request)
    _refuse_aws_managed(key, request)  # inferred: authorization precedes every other check
    _refuse_external(key)  # observed before the PendingImport state check (fidelity §5.9)
    _refuse_custom_key_store(key)
    _refuse_replica(key, request.operation)  # inferred: before the key state
    check_key_state(key, REFUSED_BY_MATERIAL_USE)  # observed before the key spec (fidelity §4)
    return key


def enable_key_rotation(state: State, request: Request) -> dict[str, Any]:
    key = _check_enable_disable(state, request)
    _refuse_non_symmetric(key)
    lineage = key.lineage
    period: int | None = request.params.get("RotationPeriodInDays")
    if not lineage.rotation_enabled:
        # Fidelity §3.1: a previous custom period is not remembered.
        lineage.rotation_enabled = True
        lineage.rotation_period_days = period or DEFAULT_PERIOD_DAYS
        lineage.next_rotation_date = request.now + timedelta(days=lineage.rotation_period_days)
    elif period is not None and period != lineage.rotation_period_days:
        # Fidelity §3.2: a new period restarts the schedule from this call.
        lineage.rotation_period_days = period
        lineage.next_rotation_date = request.now + timedelta(days=period)
    else:
        return {}  # Fidelity §3.3: the same or an omitted period on an enabled key changes nothing.
    schedule_next_rotation(state, key)
    return {}


def disable_key_rotation(state: State, request: Request) -> dict[str, Any]:
    key = _check_enable_disable(state, request)
    # HMAC keys accept it as a no-op (fidelity §8, OBS); asymmetric keys are taken to do the same (INF).
    lineage = key.lineage
    lineage.rotation_enabled = False
    lineage.rotation_period_days = None
    lineage.next_rotation_date = None
    return {}


# -- GetKeyRotationStatus ----------------------------------------------------------------------


def _rotation_status_enabled(state: State, key: Key) -> bool:
    if key.key_spec != SYMMETRIC_DEFAULT or key.origin == EXTERNAL:
        return False
    if key.key_state in SCHEDULED_FOR_DELETION:
        return False  # Fidelity §3.7: reads as disabled; CancelKeyDeletion shows it again
    if key.is_aws_managed:
        return state.config.aws_managed_rotation_status  # Fidelity §3.9
    return key.lineage.rotation_enabled


def get_key_rotation_status(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    _refuse_custom_key_store(key)  # DOC23: Unsupported for custom key stores
    lineage = key.lineage
    enabled = _rotation_status_enabled(state, key)
    response: dict[str, Any] = {"KeyRotationEnabled": enabled, "KeyId": key.arn}
    if enabled and lineage.rotation_enabled:
        response["RotationPeriodInDays"] = _period(key)
        if lineage.next_rotation_date is not None:
            response["NextRotationDate"] = lineage.next_rotation_date
    if lineage.on_demand_started is not None:
        response["OnDemandRotationStartDate"] = lineage.on_demand_started
    return response


# -- RotateKeyOnDemand -------------------------------------------------------------------------


def _has_pending_material(key: Key) -> bool:
    return any(m.state == PENDING_ROTATION for m in key.lineage.materials)


def rotate_key_on_demand(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    _refuse_aws_managed(key, request)  # inferred: authorization first
    _refuse_custom_key_store(key)
    _refuse_replica(key, "RotateKeyOnDemand")  # inferred: before the key state
    check_key_state(key, REFUSED_BY_MATERIAL_USE)  # observed: Disabled before key spec, PendingImport before material
    _refuse_non_symmetric(key)
    if key.origin == EXTERNAL and not _has_pending_material(key):
        raise errors.invalid_state(f"No available key material pending rotation for the key: {key.arn}.")
    lineage = key.lineage
    response = {"KeyId": key.arn}
    if lineage.on_demand_started is not None:
        # A repeat call joins the rotation in progress: success, no second one, no quota (fidelity §4, §14.2).
        return response
    if (
        lineage.rotation_enabled
        and lineage.next_rotation_date is not None
        and lineage.next_rotation_date <= request.now + CONFLICT_WINDOW
    ):
        raise errors.KMSError("ConflictException", CONFLICT_MESSAGE)
    if lineage.on_demand_used >= state.config.on_demand_limit:
        raise errors.KMSError(
            "LimitExceededException",
            "The on-demand rotations limit has been reached for the given keyId. "
            f"No more on-demand rotations can be performed for this key: {key.arn}",
        )
    lineage.on_demand_used += 1
    delay = _on_demand_delay(state, key)
    if delay:
        lineage.on_demand_started = request.now
        lineage.on_demand_due = request.now + delay
        state.schedule.add(lineage.on_demand_due, ON_DEMAND_COMPLETION, key.arn)
    else:
        complete_rotation(state, key, request.now, ON_DEMAND)
    return response


# -- ListKeyRotations --------------------------------------------------------------------------


def rotation_entry(key: Key, material: KeyMaterial) -> dict[str, Any]:
    """One RotationsListEntry (fidelity §6): KeyId is the ARN of the key asked about."""
    entry: dict[str, Any] = {
        "KeyId": key.arn,
        "KeyMaterialId": material.material_id,
        "KeyMaterialState": material.state,
    }
    if key.origin == EXTERNAL:
        if material.import_state is not None:
            entry["ImportState"] = material.import_state
        if material.expiration_model is not None and material.import_state != "PENDING_IMPORT":
            entry["ExpirationModel"] = material.expiration_model
        if material.valid_to is not None:
            entry["ValidTo"] = material.valid_to
        if material.description is not None:
            entry["KeyMaterialDescription"] = material.description
    if material.rotation_date is not None and material.rotation_type is not None:
        entry["RotationDate"] = material.rotation_date
        entry["RotationType"] = material.rotation_type
    return entry


def list_key_rotations(state: State, request: Request) -> dict[str, Any]:
    key = key_by_id_or_arn(state, request)
    _refuse_custom_key_store(key)  # inferred (fidelity §7: Unavailable column)
    mode = request.params.get("IncludeKeyMaterial", "ROTATIONS_ONLY")
    include_all = mode == "ALL_KEY_MATERIAL"
    if key.key_spec != SYMMETRIC_DEFAULT:
        # HMAC keys answer with an empty list (fidelity §6, OBS); asymmetric keys alike (inferred).
        items: list[dict[str, Any]] = []
    else:
        items = [
            rotation_entry(key, m)
            for m in key.lineage.materials
            if include_all or m.rotation_type is not None
        ]
    # The scope binds the key and the mode, so another list's marker is refused.
    scope = f"ListKeyRotations:{key.arn}:{mode}"
    return page(items, request.params.get("Limit", DEFAULT_LIST_LIMIT), request.params.get("Marker"), scope,
                "Rotations", secret=marker_secret(state))


OPERATIONS = {
    "EnableKeyRotation": enable_key_rotation,
    "DisableKeyRotation": disable_key_rotation,
    "GetKeyRotationStatus": get_key_rotation_status,
    "RotateKeyOnDemand": rotate_key_on_demand,
    "ListKeyRotations": list_key_rotations,
}
