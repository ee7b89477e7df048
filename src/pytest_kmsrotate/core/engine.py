"""One fake KMS: state, the operation table and the call log, behind one lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import Clock
from .config import Config
from .errors import KMSError, NotImplementedByFake
from .rotation import complete_due_rotations
from .state import Request, State

Handler = Callable[[State, Request], dict[str, Any]]


@dataclass(frozen=True)
class CallRecord:
    """What one API call asked and how it ended, in the order calls were answered."""

    operation: str
    params: Mapping[str, Any]
    region: str
    time: datetime
    response: Mapping[str, Any] | None = None
    error: KMSError | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def _operation_table() -> dict[str, Handler]:
    # Imported here so `engine` stays importable on its own and the table is built once.
    from .operations import OPERATIONS

    return dict(OPERATIONS)


class Engine:
    """Answers KMS operations. Thread-safe: every call runs under one re-entrant lock."""

    def __init__(self, config: Config | None = None, clock: Clock | None = None) -> None:
        self.config = config or Config()
        self.clock = clock or Clock(self.config.start)
        self.state = State(self.config, self.clock)
        self.lock = threading.RLock()
        self.calls: list[CallRecord] = []
        self.unimplemented: list[str] = []
        self._operations = _operation_table()

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._operations)

    def handle(self, operation: str, params: Mapping[str, Any], region: str | None = None) -> dict[str, Any]:
        """Run one operation; raises `KMSError` for AWS's error answers."""
        handler = self._operations.get(operation)
        region = region or self.config.region
        with self.lock:
            now = self.clock.now()
            if handler is None:
                self.unimplemented.append(operation)
                raise NotImplementedByFake(operation)
            # Rotations that fell due while the clock moved land before this call observes state.
            complete_due_rotations(self.state, now)
            request = Request(operation, params, region, self.config.account_id, now)
            try:
                response = handler(self.state, request)
            except KMSError as error:
                self.calls.append(CallRecord(operation, params, region, now, error=error))
                raise
            self.calls.append(CallRecord(operation, params, region, now, response=response))
            return response
