"""What happens as simulated time passes: scheduled rotations, deletions, material expiry.

The engine calls `settle` before every operation and whenever the clock moves, so whichever
way time moved, and whichever operation looks first, the state is what AWS would show.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from datetime import datetime

from .event_records import Rotated
from .imports import expire_materials
from .keys import delete_when_due
from .model import Key
from .multiregion import finish_replica
from .rotation import finish_on_demand, replan_family, scheduled_rotation
from .schedule import AUTOMATIC_ROTATION, KEY_DELETION, ON_DEMAND_COMPLETION, REPLICA_CREATION
from .state import State

_RUNNERS: dict[str, Callable[[State, Key, datetime], None]] = {
    ON_DEMAND_COMPLETION: finish_on_demand,
    KEY_DELETION: delete_when_due,
    REPLICA_CREATION: finish_replica,
}


def settle(state: State, now: datetime) -> None:
    """Run every piece of timed work due at or before `now`, each at its own instant."""
    next_due = state.schedule.next_due()
    if next_due is not None and next_due <= now:
        # A long jump allocates hundreds of thousands of acyclic objects (materials, records);
        # the cyclic collector would rescan every survivor again and again, doubling the cost
        # of the jump. Nothing here makes cycles, so collection waits until the jump is over.
        collecting = gc.isenabled()
        gc.disable()
        logged = len(state.rotations)
        try:
            _run_due(state, now)
        finally:
            if collecting:
                gc.enable()
        # Keys rotate a run of dates at a time; the log reads in time order across keys.
        state.rotations[logged:] = sorted(state.rotations[logged:], key=_when)
    expire_materials(state, now)


def _when(rotated: Rotated) -> datetime:
    return rotated.when


def _run_due(state: State, now: datetime) -> None:
    keys = state.keys
    for entry in state.schedule.due(now):
        # Material that expired before this entry's instant expires first.
        expire_materials(state, entry.when)
        key = keys.get(entry.key_arn)
        if key is None:
            continue
        if entry.kind == AUTOMATIC_ROTATION:
            scheduled_rotation(state, key, entry.when, now)
        else:
            _RUNNERS[entry.kind](state, key, entry.when)
            if entry.kind == KEY_DELETION and key.arn not in keys and key.is_replica:
                replan_family(state, key)
