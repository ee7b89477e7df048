"""Settings of one fake: who the caller is and which AWS quotas and delays apply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .defaults import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_ON_DEMAND_LIMIT,
    DEFAULT_REGION,
    DEFAULT_REPLICATION_DELAY,
    DEFAULT_START,
)


@dataclass(frozen=True)
class Config:
    account_id: str = DEFAULT_ACCOUNT_ID
    region: str = DEFAULT_REGION
    on_demand_limit: int = DEFAULT_ON_DEMAND_LIMIT
    on_demand_delay: timedelta = timedelta(0)
    # How long a new replica stays `Creating` (issue 15, deviation 1): 60 s by default, as the
    # longest AWS recording (defaults.DEFAULT_REPLICATION_DELAY); 0 makes replicas Enabled at once.
    replication_delay: timedelta = DEFAULT_REPLICATION_DELAY
    # Fidelity §3 rule 9: observed `false` for AWS managed keys, documented `true`.
    aws_managed_rotation_status: bool = False
    start: datetime = DEFAULT_START
    seed: str = "pytest-kmsrotate"
    # Evaluate key policies, identity policies and grants before each call (opt-in: off, every
    # caller may do everything the rules allow, as before).
    enforce_policies: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.account_id, str) and len(self.account_id) == 12 and self.account_id.isdigit()):
            raise ValueError(f"account_id must be 12 digits, got {self.account_id!r}")
        if not isinstance(self.on_demand_limit, int) or isinstance(self.on_demand_limit, bool) \
                or self.on_demand_limit < 0:
            raise ValueError(f"on_demand_limit must be a whole number >= 0, got {self.on_demand_limit!r}")
        if not isinstance(self.on_demand_delay, timedelta) or self.on_demand_delay < timedelta(0):
            raise ValueError(f"on_demand_delay must be a timedelta >= 0, got {self.on_demand_delay!r}")
        if not isinstance(self.replication_delay, timedelta) or self.replication_delay < timedelta(0):
            raise ValueError(f"replication_delay must be a timedelta >= 0, got {self.replication_delay!r}")
