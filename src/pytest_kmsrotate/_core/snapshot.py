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
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .model import Key

if TYPE_CHECKING:
    from .engine import Engine
    from .state import State

# State attributes a snapshot copies, and those it leaves alone because they never change or are
# the fake's identity. tests/core/test_snapshot.py checks the two lists cover State exactly, so
# a new attribute cannot be forgotten silently.
STATE_COPIED = ("keys", "aliases", "schedule", "imports", "rotations")
STATE_KEPT = ("config", "clock", "ids")


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


def _copy_state(state: State) -> tuple[Any, ...]:
    """Deep copies of the state's mutable parts in one pass, so shared objects stay shared.

    One `deepcopy` call for all of them keeps a multi-Region lineage shared by its primary and
    replicas shared in the copy; the memo makes every material's cache of derived objects the
    same dict in every copy (cryptography's objects cannot be copied, and need not be).
    """
    memo: dict[int, Any] = {}
    for key in state.keys.values():
        for material in key.lineage.materials:
            if material.derived is None:
                material.derived = {}
            memo[id(material.derived)] = material.derived
    keys, aliases, imports = copy.deepcopy((state.keys, state.aliases, state.imports), memo)
    return keys, aliases, state.schedule.entries(), imports, list(state.rotations)


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
        keys, aliases, heap, imports, rotations = _copy_from(snapshot)
        state.keys, state.aliases, state.imports, state.rotations = keys, aliases, imports, rotations
        state.schedule.replace(heap)
        state.ids.rewind(snapshot.id_position)
        for name, value in zip(engine.SNAPSHOT_FIELDS, snapshot.engine, strict=True):
            setattr(engine, name, _copy_engine_field(value))
        engine.clock.restore(snapshot.now)


def _copy_from(snapshot: Checkpoint) -> tuple[Any, ...]:
    keys: dict[str, Key]
    keys, aliases, heap, imports, rotations = snapshot.state
    memo: dict[int, Any] = {}
    for key in keys.values():
        for material in key.lineage.materials:
            memo[id(material.derived)] = material.derived
    keys, aliases, imports = copy.deepcopy((keys, aliases, imports), memo)
    return keys, aliases, list(heap), imports, list(rotations)
