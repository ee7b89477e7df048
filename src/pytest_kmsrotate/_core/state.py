"""Everything one fake knows, and the request context every operation receives."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .config import Config
from .enum_order import ModelEnums
from .event_records import Rotated, RotationRun
from .ids import IdFactory
from .model import Alias, Grant, ImportBook, Key
from .schedule import Schedule


@dataclass(frozen=True)
class Request:
    """One API call as the core sees it: decoded parameters plus who asked, where and when."""

    operation: str
    params: Mapping[str, Any]
    region: str
    account: str
    now: datetime
    caller: str = ""  # the caller's principal ARN; "" is the account's root user
    # The region's AWS partition (aws, aws-cn, aws-us-gov, ...): the core knows none of them, so
    # whoever runs the engine says (the protocol side reads botocore's endpoint data).
    partition: str = "aws"

    def arn_prefix(self) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}"

    @property
    def caller_arn(self) -> str:
        return self.caller or f"arn:{self.partition}:iam::{self.account}:root"


class State:
    """Keys and aliases of every account and region of one fake, plus its ID source."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.ids = IdFactory(config.seed)
        self.keys: dict[str, Key] = {}  # by key ARN
        self.aliases: dict[tuple[str, str, str], Alias] = {}  # by (account, region, alias name)
        self.schedule = Schedule()  # timed work: automatic and delayed rotations, deletions
        self.imports = ImportBook()
        self.rotations: list[Rotated | RotationRun] = []  # every completed rotation, in order, for the event log
        self.grants: dict[str, Grant] = {}  # by grant ID, in creation order
        self.grant_tokens: dict[str, str] = {}  # every grant token handed out -> its grant ID
        self.custom_key_stores: dict[str, Any] = {}  # by store ID: key_stores.KeyStore
        self.last_usage: dict[str, Any] = {}  # key ARN -> usage.LastUse, for GetKeyLastUsage
        # The engine's lookup of a logged call's CloudTrail (eventID, requestID), for GetKeyLastUsage.
        self.event_ids: Callable[[object], tuple[str, str] | None] | None = None
        # The delay of the next on-demand rotation that starts, whichever key (then back to per key).
        self.next_on_demand_delay: timedelta | None = None
        # The installed model's enums (Engine.learn_enums); None: the core's own facts decide alone.
        self.enums: ModelEnums | None = None

    def add_key(self, key: Key) -> None:
        self.keys[key.arn] = key

    def keys_in(self, account: str, region: str) -> Iterator[Key]:
        return (k for k in self.keys.values() if k.account == account and k.region == region)

    def aliases_in(self, account: str, region: str) -> Iterator[Alias]:
        return (a for (acct, reg, _), a in self.aliases.items() if acct == account and reg == region)
