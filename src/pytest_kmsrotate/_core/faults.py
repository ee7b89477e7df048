"""Injected faults: the next calls of an operation fail as AWS fails them under stress."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .errors import KMSError

# The HTTP status AWS sends with each error botocore's retry modes care about; 400 otherwise.
STATUS = {
    "KMSInternalException": 500,
    "DependencyTimeoutException": 503,
    "ThrottlingException": 400,
}
# The model's documentation sentences, used when the test gives no message of its own.
DEFAULT_MESSAGES = {
    "KMSInternalException": "The request was rejected because an internal exception occurred. "
    "The request can be retried.",
    "DependencyTimeoutException": "The system timed out while trying to fulfill the request. "
    "You can retry the request.",
    "ThrottlingException": "Rate exceeded",
}


@dataclass
class Fault:
    operation: str
    code: str
    message: str | None
    status: int
    remaining: int | None  # None: every call until the test ends
    key_arn: str | None = None
    fired: int = 0

    def error(self) -> KMSError:
        return KMSError(self.code, self.message, self.status)


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def take(self, operation: str, key_arn: str | None) -> KMSError | None:
        """The error of the first armed fault for this call, using one of its shots."""
        for fault in self._faults:
            if fault.operation != operation or (fault.remaining is not None and fault.remaining <= 0):
                continue
            if fault.key_arn is not None and fault.key_arn != key_arn:
                continue
            if fault.remaining is not None:
                fault.remaining -= 1
            fault.fired += 1
            return fault.error()
        return None

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __iter__(self) -> Iterator[Fault]:
        return iter(list(self._faults))
