"""Read-only views a test uses to look at the fake: key handles, rotation records, the event log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._core.access import Credentials
from .._core.inspection import KeySnapshot, RotationRecord
from .tracebacks import hide_misuse

if TYPE_CHECKING:
    from .._core.engine import Engine

__all__ = ["EventLog", "KeyHandle", "Principal", "RotationRecord"]

# The caller's mistakes show the caller's line, not these frames (see tracebacks.py).
__tracebackhide__ = hide_misuse


@dataclass(frozen=True)
class KeyHandle:
    """A live view of one key: every attribute reads the fake's state at the moment it is read."""

    engine: Engine
    arn: str

    def snapshot(self) -> KeySnapshot:
        """Every attribute of the key at one instant (the properties below each take their own)."""
        snap = self.engine.key_snapshot(self.arn)
        if snap is None:
            raise LookupError(f"key {self.arn} no longer exists in the fake: its deletion completed")
        return snap

    @property
    def key_id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def exists(self) -> bool:
        return self.engine.key_snapshot(self.arn) is not None

    @property
    def state(self) -> str:
        """The KeyState: Enabled, Disabled, PendingDeletion, PendingImport, ..."""
        return self.snapshot().key_state

    @property
    def aliases(self) -> list[str]:
        """The key's alias names, sorted."""
        return list(self.snapshot().aliases)

    @property
    def rotation_enabled(self) -> bool:
        return self.snapshot().rotation_enabled

    @property
    def rotation_period_days(self) -> int | None:
        return self.snapshot().rotation_period_days

    @property
    def next_rotation_date(self) -> datetime | None:
        return self.snapshot().next_rotation_date

    @property
    def rotations(self) -> list[RotationRecord]:
        """Completed rotations, oldest first (what ListKeyRotations lists)."""
        return list(self.snapshot().rotations)

    @property
    def current_material_id(self) -> str | None:
        return self.snapshot().current_material_id

    @property
    def material_ids(self) -> list[str]:
        """Every KeyMaterialId the key has held, oldest first."""
        return list(self.snapshot().material_ids)

    @property
    def on_demand_rotations_used(self) -> int:
        return self.snapshot().on_demand_used

    @property
    def on_demand_rotations_remaining(self) -> int:
        return self.snapshot().on_demand_remaining

    @property
    def on_demand_rotation_in_progress(self) -> bool:
        return self.snapshot().on_demand_started is not None

    def __repr__(self) -> str:
        return f"<KeyHandle {self.arn}>"


def _key_matches(event: dict[str, Any], key: str) -> bool:
    arns = [r.get("ARN") for r in event.get("resources", []) if isinstance(r, dict)]
    arns += [r for r in event.get("resources", []) if isinstance(r, str)]
    return any(arn == key or (arn or "").endswith("/" + key) for arn in arns)


class EventLog(list[dict[str, Any]]):
    """CloudTrail records and EventBridge events, in the order AWS would have emitted them."""

    def __init__(self, events: Iterable[dict[str, Any]] = ()) -> None:
        super().__init__(events)

    def where(self, *, name: str | None = None, key: str | None = None, type: str | None = None) -> EventLog:
        """Events matching every given filter.

        `name`: CloudTrail eventName (`RotateKey`, `RotateKeyOnDemand`, ...) or EventBridge
        detail-type (`KMS CMK Rotation`); `key`: key ARN or key ID; `type`: CloudTrail eventType
        (`AwsApiCall`, `AwsServiceEvent`) or `EventBridge`.
        """
        def keep(event: dict[str, Any]) -> bool:
            if name is not None and name not in (event.get("eventName"), event.get("detail-type")):
                return False
            if type is not None and type != event.get("eventType", "EventBridge" if "detail-type" in event else None):
                return False
            return key is None or _key_matches(event, key)

        return EventLog(e for e in self if keep(e))

    @property
    def cloudtrail(self) -> EventLog:
        return EventLog(e for e in self if "eventType" in e)

    @property
    def eventbridge(self) -> EventLog:
        return EventLog(e for e in self if "detail-type" in e)

    @property
    def names(self) -> list[str]:
        """eventName (or detail-type) of each event, in order: handy in an assertion."""
        return [e.get("eventName") or e.get("detail-type", "") for e in self]


class Principal:
    """A caller the fake knows: its ARN and the credentials that make a request its own."""

    def __init__(self, credentials: Credentials, region: str) -> None:
        self.arn = credentials.principal
        self.access_key_id = credentials.access_key_id
        self.secret_access_key = credentials.secret_access_key
        self._region = region

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def client_kwargs(self) -> dict[str, str]:
        """Keyword arguments for `boto3.client("kms", **kwargs)` (or botocore's `create_client`)."""
        return {"aws_access_key_id": self.access_key_id, "aws_secret_access_key": self.secret_access_key,
                "region_name": self._region}

    def _settings(self, region_name: str | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        return {**self.client_kwargs, **({"region_name": region_name} if region_name else {}), **kwargs}

    def client(self, region_name: str | None = None, **kwargs: Any) -> Any:
        """A botocore KMS client signing as this principal (boto3's `boto3.client` makes the same)."""
        import botocore.session

        return botocore.session.get_session().create_client("kms", **self._settings(region_name, kwargs))

    def aio_client(self, region_name: str | None = None, **kwargs: Any) -> Any:
        """An aiobotocore KMS client signing as this principal: use it with `async with`.

        Needs the `aio` extra (aiobotocore); answered by the async door like any aiobotocore client.
        """
        from aiobotocore.session import get_session

        return get_session().create_client("kms", **self._settings(region_name, kwargs))

    def environment(self) -> dict[str, str]:
        """Variables that make a child process's AWS SDK sign as this principal."""
        return {"AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
                "AWS_DEFAULT_REGION": self._region, "AWS_REGION": self._region}

    def __repr__(self) -> str:
        return f"<Principal {self.arn}>"
