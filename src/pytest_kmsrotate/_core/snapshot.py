"""Checkpoints of one engine: everything it knows, copied so it can be put back any number of times.

A shared fake (one per class, module or session) is seeded once; each test then starts from that
seeded state by restoring a checkpoint instead of seeding again. A checkpoint holds the clock's
time, every key with its materials and rotation settings, aliases, timed work (the schedule),
import tokens, completed rotations, the call and event logs, injected faults, unimplemented
calls and how many IDs were drawn, so a restored fake names its next key as it did the first
time: the same test gets the same key IDs in any order of tests.

What is not copied, and why:
- the realm (ids.py): a checkpoint belongs to its fake, and restoring never changes who it is;
- objects derived from a material's secret (AES-GCM contexts, key pairs): they are pure functions
  of the secret, so the copies share one cache, and an RSA key pair generated in one test is the
  one every later test sees after a restore (it is part of the key, as in AWS);
- records already written (calls, events, completed rotations): immutable, shared.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .model import ImportBook, Key, KeyMaterial, Lineage

if TYPE_CHECKING:
    from .engine import Engine
    from .state import State

# State attributes a snapshot copies, and those it leaves alone because they never change or are
# the fake's identity. tests/core/test_snapshot.py checks the two lists cover State exactly, so
# a new attribute cannot be forgotten silently.
STATE_COPIED = ("keys", "aliases", "schedule", "imports", "rotations", "next_on_demand_delay") + (
    # Grants, custom key stores and last use (issue 15): few and small, so a deep copy is cheap.
    DEEP_COPIED := ("grants", "grant_tokens", "custom_key_stores", "last_usage"))
# event_ids: the engine's own hook; enums: the model's, learned once (Engine.learn_enums). Neither changes.
STATE_KEPT = ("config", "ids", "event_ids", "enums")


class CheckpointError(ValueError):
    """A checkpoint put back into a fake it does not belong to."""


@dataclass(frozen=True)
class Checkpoint:
    """One engine's state at one instant. Opaque: restore it with `restore(engine, snapshot)`."""

    owner: int  # id() of the engine it came from
    now: datetime
    id_position: int
    state: tuple[Any, ...]  # deep copies of STATE_COPIED, in that order (the schedule as its heap)
    engine: tuple[Any, ...]  # copies of Engine.SNAPSHOT_FIELDS, in that order
    deep: tuple[Any, ...] = ()  # deep copies of DEEP_COPIED, in that order


# Fields that hold mutable containers, copied one level down; every other field of these classes
# holds an immutable value (str, int, bool, datetime, bytes, None), so a shallow copy is a full one.
# tests/core/test_snapshot.py checks this on a state with every kind of key, so a new field that
# holds a container cannot slip through. A hand-written copy, not deepcopy: restoring runs before
# every test of a shared fake and must cost less than seeding again (benchmarks/bench.py scoped).
KEY_CONTAINERS = ("lineage", "tags")
LINEAGE_CONTAINERS = ("materials", "replica_arns")
MATERIAL_SHARED = ("derived",)  # one cache per material, shared by every copy (see the module doc)
IMPORT_BOOK_CONTAINERS = ("tokens", "awaiting_replicas")
_MATERIAL_SLOTS = tuple(f.name for f in fields(KeyMaterial))


def _copy_material(material: KeyMaterial) -> KeyMaterial:
    if material.derived is None:
        material.derived = {}  # made now, so that the copies share it
    copied = object.__new__(KeyMaterial)
    for name in _MATERIAL_SLOTS:
        object.__setattr__(copied, name, getattr(material, name))
    return copied


def _shallow(obj: Any) -> Any:
    """A shallow copy of a plain (non-slotted) dataclass, without copy.copy's reduce protocol."""
    copied = object.__new__(type(obj))
    copied.__dict__.update(obj.__dict__)
    return copied


def _copy_lineage(lineage: Lineage) -> Lineage:
    copied: Lineage = _shallow(lineage)
    copied.materials = lineage.materials.copy(_copy_material)
    copied.replica_arns = list(lineage.replica_arns)
    return copied


def _copy_keys(keys: dict[str, Key]) -> dict[str, Key]:
    lineages: dict[int, Lineage] = {}  # a multi-Region family shares one lineage: so do its copies
    copied: dict[str, Key] = {}
    for arn, key in keys.items():
        lineage = lineages.get(id(key.lineage))
        if lineage is None:
            lineage = lineages[id(key.lineage)] = _copy_lineage(key.lineage)
        new: Key = _shallow(key)
        new.lineage, new.tags = lineage, dict(key.tags)
        copied[arn] = new
    return copied


def _copy_imports(book: ImportBook) -> ImportBook:
    copied: ImportBook = _shallow(book)
    copied.tokens = dict(book.tokens)
    copied.awaiting_replicas = {material: set(arns) for material, arns in book.awaiting_replicas.items()}
    return copied


def _copy_parts(keys: dict[str, Key], aliases: dict[Any, Any], heap: list[Any], imports: ImportBook,
                rotations: list[Any], next_on_demand_delay: Any) -> tuple[Any, ...]:
    # Aliases, schedule entries and completed rotations are immutable records: new containers
    # suffice (a RotationRun's run is never changed once logged); the delay is a value.
    return (_copy_keys(keys), dict(aliases), list(heap), _copy_imports(imports), list(rotations),
            next_on_demand_delay)


def _copy_state(state: State) -> tuple[Any, ...]:
    return _copy_parts(state.keys, state.aliases, state.schedule.entries(), state.imports, state.rotations,
                       state.next_on_demand_delay)


def _copy_engine_field(value: Any) -> Any:
    # Lists of records are append-only logs of immutable records: a new list is a full copy.
    return list(value) if isinstance(value, list) else copy.deepcopy(value)


def take(engine: Engine) -> Checkpoint:
    """A checkpoint of `engine` now (after letting everything due by now happen)."""
    with engine.lock:
        engine.settle()
        state = engine.state
        return Checkpoint(
            owner=id(engine),
            now=engine.clock.now(),
            id_position=state.ids.position,
            state=_copy_state(state),
            engine=tuple(_copy_engine_field(getattr(engine, name)) for name in engine.SNAPSHOT_FIELDS),
            deep=tuple(copy.deepcopy(getattr(state, name)) for name in DEEP_COPIED),
        )


def restore(engine: Engine, snapshot: Checkpoint) -> None:
    """Put `engine` back to `snapshot`; the snapshot stays as it is, ready to be restored again.

    The clock goes back to the checkpoint's time (the one move backwards the clock allows), and
    its listeners (freezegun, the engine's own scheduler) follow as for any move.
    """
    if snapshot.owner != id(engine):
        raise CheckpointError("this checkpoint was taken from another fake; restore it into the fake it came from")
    with engine.lock:
        state = engine.state
        keys, aliases, heap, imports, rotations, next_delay = _copy_from(snapshot)
        state.keys, state.aliases, state.imports, state.rotations = keys, aliases, imports, rotations
        state.next_on_demand_delay = next_delay
        state.schedule.replace(heap)
        for name, value in zip(DEEP_COPIED, snapshot.deep, strict=True):
            setattr(state, name, copy.deepcopy(value))
        state.ids.rewind(snapshot.id_position)
        for name, value in zip(engine.SNAPSHOT_FIELDS, snapshot.engine, strict=True):
            setattr(engine, name, _copy_engine_field(value))
        engine.clock.restore(snapshot.now)


def _copy_from(snapshot: Checkpoint) -> tuple[Any, ...]:
    return _copy_parts(*snapshot.state)
