"""What happens as simulated time passes: scheduled rotations, deletions, material expiry.

The engine calls `settle` before every operation and whenever the clock moves, so whichever
way time moved, and whichever operation looks first, the state is what AWS would show.
"""

from __future__ import annotations

from datetime import datetime

from .imports import expire_materials
from .keys import delete_when_due
from .rotation import finish_on_demand, scheduled_rotation
from .schedule import AUTOMATIC_ROTATION, KEY_DELETION, ON_DEMAND_COMPLETION
from .state import State

_RUNNERS = {
    AUTOMATIC_ROTATION: scheduled_rotation,
    ON_DEMAND_COMPLETION: finish_on_demand,
    KEY_DELETION: delete_when_due,
}


def settle(state: State, now: datetime) -> None:
    """Run every piece of timed work due at or before `now`, each at its own instant."""
    for entry in state.schedule.due(now):
        # Material that expired before this entry's instant expires first.
        expire_materials(state, entry.when)
        key = state.keys.get(entry.key_arn)
        if key is not None:
            _RUNNERS[entry.kind](state, key, entry.when)
    expire_materials(state, now)
