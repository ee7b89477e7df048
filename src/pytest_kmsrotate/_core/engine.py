"""One fake KMS: state, the operation table, the call log and the event log, behind one lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import event_records
from .clock import Clock
from .config import Config
from .errors import KMSError, NotImplementedByFake
from .faults import Faults
from .resolve import is_key_id, resolve_key
from .state import Request, State
from .timed_work import settle

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
    key_arn: str | None = None
    injected: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


def _operation_table() -> dict[str, Handler]:
    from .operations import OPERATIONS

    return dict(OPERATIONS)


def _commercial(region: str) -> str:
    return "aws"


class Engine:
    """Answers KMS operations. Thread-safe: every call runs under one re-entrant lock."""

    def __init__(
        self,
        config: Config | None = None,
        clock: Clock | None = None,
        partition_of: Callable[[str], str] | None = None,
    ) -> None:
        self.config = config or Config()
        # Region -> AWS partition, for every ARN the fake makes or accepts; "aws" unless told.
        self.partition_of: Callable[[str], str] = partition_of or _commercial
        self.clock = clock or Clock(self.config.start)
        self.state = State(self.config, self.clock)
        self.lock = threading.RLock()
        self.calls: list[CallRecord] = []
        # Calls and completed rotations in the order they happened; CloudTrail and EventBridge
        # records are built from it only when a test reads them, never on the hot path.
        self._log: list[CallRecord | event_records.Rotated] = []
        self._built: list[dict[str, Any]] = []
        self.unimplemented: list[str] = []
        self.faults = Faults()
        self._operations = _operation_table()
        self._rotations_logged = 0
        self._events_built = 0
        # Time passing is observed at once, not at the next call: handles and events stay current.
        self.clock.subscribe(lambda _now: self.settle())

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._operations)

    def settle(self) -> None:
        """Let everything due by now happen (rotations, deletions, expiry) and log it."""
        with self.lock:
            self._settle_to(aws_now(self.clock))

    def _settle_to(self, now: datetime) -> None:
        settle(self.state, now)
        self._log_rotations()

    @contextmanager
    def off_the_record(self) -> Iterator[None]:
        """Calls made inside (seeding a test's keys) are not the test's: they leave no call record
        and no event, and faults the test injected neither fire nor get used up."""
        with self.lock:
            calls, logged, faults = len(self.calls), len(self._log), self.faults
            self.faults = Faults()
            try:
                yield
            finally:
                self.settle()
                self.faults = faults
                del self.calls[calls:]
                del self._log[logged:]

    def request_id_token(self) -> str:
        """Twelve hex digits, fixed per engine, that make this fake's request IDs its own."""
        return self.state.ids.token("request-ids")[:12]

    def execute(self, operation: str, params: Mapping[str, Any], region: str | None = None) -> dict[str, Any]:
        """Run one operation; raises `KMSError` for AWS's error answers."""
        handler = self._operations.get(operation)
        region = region or self.config.region
        with self.lock:
            if handler is None:
                self.unimplemented.append(operation)
                raise NotImplementedByFake(operation)
            # One reading of the clock per call: were it read again after settling, a move by
            # another thread in between would answer at a time whose due work has not run yet.
            now = aws_now(self.clock)
            self._settle_to(now)
            request = Request(operation, params, region, self.config.account_id, now, self.partition_of(region))
            key_arn = self._key_arn(request)
            injected = self.faults.take(operation, key_arn) if self.faults else None
            try:
                if injected is not None:
                    raise injected
                response = handler(self.state, request)
            except KMSError as error:
                self._record(CallRecord(operation, params, region, now, error=error, key_arn=key_arn,
                                        injected=error is injected))
                raise
            self._record(CallRecord(operation, params, region, now, response=response,
                                    key_arn=key_arn or _arn_in(response)))
            return response

    def _key_arn(self, request: Request) -> str | None:
        """The ARN of the key a call names, without a lookup where the reference already says it."""
        ref = request.params.get("KeyId", request.params.get("TargetKeyId"))
        if not isinstance(ref, str):
            return None
        if ref.startswith("arn:") and ":key/" in ref:
            return ref
        if is_key_id(ref):
            return f"{request.arn_prefix()}:key/{ref}"
        try:
            return resolve_key(self.state, request, ref).arn
        except KMSError:
            return None

    def _record(self, call: CallRecord) -> None:
        self.calls.append(call)
        self._log.append(call)
        self._log_rotations()

    def _log_rotations(self) -> None:
        rotations = self.state.rotations
        if self._rotations_logged < len(rotations):
            self._log.extend(rotations[self._rotations_logged:])
            self._rotations_logged = len(rotations)

    @property
    def events(self) -> list[dict[str, Any]]:
        """CloudTrail records of every call and rotation, and EventBridge rotation events, in order."""
        with self.lock:
            for entry in self._log[self._events_built:]:
                n = len(self._built)
                if isinstance(entry, CallRecord):
                    self._built.append(event_records.api_call(
                        n, entry.operation, entry.params, entry.region, self.config.account_id, entry.time,
                        entry.response, entry.error, entry.key_arn, self.partition_of(entry.region)))
                else:
                    self._built.append(event_records.rotate_key_service_event(n, entry))
                    self._built.append(event_records.rotation_eventbridge_event(n + 1, entry))
            self._events_built = len(self._log)
            return list(self._built)


def aws_now(clock: Clock) -> datetime:
    """The clock's time at AWS's precision: KMS keeps and returns milliseconds."""
    now = clock.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _arn_in(response: Mapping[str, Any]) -> str | None:
    for value in (response.get("KeyId"), (response.get("KeyMetadata") or {}).get("Arn")):
        if isinstance(value, str) and value.startswith("arn:"):
            return value
    return None
