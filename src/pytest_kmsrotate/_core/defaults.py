"""The fake's defaults, in a module cheap enough for the pytest plugin to import at load time."""

from __future__ import annotations

from datetime import datetime, timezone

# A fixed start: the same simulated time on every run.
DEFAULT_START = datetime(2024, 1, 1, tzinfo=timezone.utc)
# AWS documented 10 on-demand rotations per key until 2026-02, 25 since (fidelity §0); the project
# brief says 10, so 10 is the default and 25 is one setting away.
DEFAULT_ON_DEMAND_LIMIT = 10
DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"
