"""The fake's defaults, in a module cheap enough for the pytest plugin to import at load time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

# A fixed start: the same simulated time on every run.
DEFAULT_START = datetime(2024, 1, 1, tzinfo=timezone.utc)
# AWS documented 10 on-demand rotations per key until 2026-02, 25 since (fidelity §0); the project
# brief says 10, so 10 is the default and 25 is one setting away.
DEFAULT_ON_DEMAND_LIMIT = 10
DEFAULT_ACCOUNT_ID = "111122223333"
DEFAULT_REGION = "us-east-1"
# How long a new replica stays `Creating` (issue 15, deviation 1; docs/fidelity.md "Deviations" row 1):
# AWS's recordings show it Enabled within 23 s (stackd, us-west-2, 2026-09-12) and after about a minute
# (LocalStack's AWS-validated test_replicate_key, 2025-11-10, polling every 5 s for 64.6 s); the
# default is the longest recorded, so code that waits as long as AWS may take passes. 0: at once.
DEFAULT_REPLICATION_DELAY = timedelta(seconds=60)
