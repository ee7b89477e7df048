"""Key-state checks several operations share, with AWS's messages (spec §7)."""

from __future__ import annotations

from . import errors
from .model import PENDING_DELETION, Key


def require_not_pending_deletion(key: Key) -> None:
    if key.key_state == PENDING_DELETION:
        raise errors.pending_deletion(key.arn)
