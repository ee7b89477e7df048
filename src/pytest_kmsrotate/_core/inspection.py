"""Read-only snapshots of the fake's state, for code outside the core.

Everything outside `_core` (key handles, assertions, the failure report) reads the fake through
these frozen values, taken under the engine's lock by `Engine.key_snapshot()` and
`Engine.inspect()`, so no outside module ever takes the lock or walks the state itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .calls import CallRecord
from .model import Key
from .state import State


@dataclass(frozen=True)
class RotationRecord:
    """One completed rotation of a key: how, when, and the material it made current."""

    type: str  # "AUTOMATIC" or "ON_DEMAND"
    date: datetime
    material_id: str


@dataclass(frozen=True)
class KeySnapshot:
    """One key as it stood at one instant."""

    arn: str
    key_id: str
    region: str
    key_state: str
    aliases: tuple[str, ...]
    rotation_enabled: bool
    rotation_period_days: int | None
    next_rotation_date: datetime | None
    rotations: tuple[RotationRecord, ...]
    current_material_id: str | None
    material_ids: tuple[str, ...]
    on_demand_used: int
    on_demand_limit: int
    on_demand_started: datetime | None
    # For the HTML report's timeline (timeline.py): when the key began, what it is for, when it goes.
    creation_date: datetime | None = None
    description: str = ""
    deletion_date: datetime | None = None

    @property
    def on_demand_remaining(self) -> int:
        return max(0, self.on_demand_limit - self.on_demand_used)


@dataclass(frozen=True)
class Inspection:
    """The whole fake at one instant: what the failure report shows."""

    now: datetime
    keys: tuple[KeySnapshot, ...]
    calls: tuple[CallRecord, ...]


def alias_names(state: State, key: Key) -> tuple[str, ...]:
    return tuple(sorted(
        alias.name
        for (account, region, _), alias in state.aliases.items()
        if account == key.account and region == key.region and alias.target_key_id == key.key_id
    ))


def snapshot(state: State, key: Key) -> KeySnapshot:
    lineage = key.lineage
    current = lineage.current()
    return KeySnapshot(
        arn=key.arn,
        key_id=key.key_id,
        region=key.region,
        key_state=key.key_state,
        aliases=alias_names(state, key),
        rotation_enabled=lineage.rotation_enabled,
        rotation_period_days=lineage.rotation_period_days,
        next_rotation_date=lineage.next_rotation_date,
        rotations=tuple(
            RotationRecord(m.rotation_type, m.rotation_date, m.material_id)
            for m in lineage.materials
            if m.rotation_type is not None and m.rotation_date is not None
        ),
        current_material_id=current.material_id if current is not None else None,
        material_ids=tuple(m.material_id for m in lineage.materials),
        on_demand_used=lineage.on_demand_used,
        on_demand_limit=state.config.on_demand_limit,
        on_demand_started=lineage.on_demand_started,
        creation_date=key.creation_date,
        description=key.description,
        deletion_date=key.deletion_date,
    )
