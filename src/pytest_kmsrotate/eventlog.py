"""`kms_rotation.events`: what AWS would have logged, with filters for assertions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


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
