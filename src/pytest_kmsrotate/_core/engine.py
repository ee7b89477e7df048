"""One fake KMS: state, the operation table, the call log and the event log, behind one lock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from . import event_records, secrets, usage
from .access import Access, Credentials, Permission, check_principal
from .authorization import DeniedError, authorize
from .calls import CallRecord
from .clock import Clock
from .config import Config
from .enum_order import ModelEnums
from .errors import KMSError, NotImplementedByFake
from .faults import Fault, Faults
from .grants import check_grant_tokens, grant_allowing
from .inspection import Inspection, KeySnapshot, snapshot
from .multiregion import finish_replicas_now
from .resolve import is_key_id, resolve_key
from .rotation import complete_on_demand_now
from .state import Request, State
from .timed_work import settle

__all__ = ["CallRecord", "Engine", "aws_now"]

Handler = Callable[[State, Request], dict[str, Any]]


def _operation_table() -> dict[str, Handler]:
    from .operations import OPERATIONS

    return dict(OPERATIONS)


def _commercial(region: str) -> str:
    return "aws"


class Engine:
    """Answers KMS operations. Thread-safe: every call runs under one re-entrant lock."""

    # What a checkpoint (snapshot.py) copies and puts back besides the state and the clock's time.
    # An attribute that changes as calls are answered belongs here, or restore() would keep it.
    SNAPSHOT_FIELDS = ("calls", "_log", "_built", "unimplemented", "faults", "_rotations_logged", "_events_built",
                       "access")

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
        self.state = State(self.config)
        self.lock = threading.RLock()
        self.calls: list[CallRecord] = []
        # Calls and completed rotations in the order they happened; CloudTrail and EventBridge
        # records are built from it only when a test reads them, never on the hot path.
        self._log: list[CallRecord | event_records.Rotated | event_records.RotationRun] = []
        self._built: list[dict[str, Any]] = []
        self.unimplemented: list[str] = []
        self.faults = Faults()
        self.access = Access(self.config.seed, enforce=self.config.enforce_policies)
        self._operations = _operation_table()
        self._rotations_logged = 0
        self._events_built = 0
        # Time passing is observed at once, not at the next call: handles and events stay current.
        self.clock.subscribe(lambda _now: self.settle())
        self.state.event_ids = self._event_ids_of  # GetKeyLastUsage names a call's CloudTrail IDs

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

    # -- the read and control API: what code outside the core may use ---------------------------

    @contextmanager
    def exclusively(self) -> Iterator[None]:
        """No other thread's call, clock move or control step runs inside: for a caller that must
        keep several steps in the engine's own order (the standalone server's journal)."""
        with self.lock:
            yield

    def key_snapshot(self, arn: str) -> KeySnapshot | None:
        """The key with this ARN as it stands now, or None once its deletion completed."""
        with self.lock:
            key = self.state.keys.get(arn)
            return snapshot(self.state, key) if key is not None else None

    def key_arns(self) -> list[str]:
        with self.lock:
            return list(self.state.keys)

    def find_key(self, ref: str, region: str | None = None) -> str:
        """The ARN of the key a key ID, key ARN, alias name or alias ARN names; KMSError if none.

        An ARN says its own region; anything else is looked up in `region` (default: the fake's).
        """
        if region is None and ref.startswith("arn:") and ref.count(":") >= 5:
            region = ref.split(":")[3]
        with self.lock:
            region = region or self.config.region
            request = Request("DescribeKey", {}, region, self.config.account_id, self.clock.now(),
                              partition=self.partition_of(region))
            return resolve_key(self.state, request, ref).arn

    def inspect(self) -> Inspection:
        """The clock, every key and every call at one instant (what the failure report shows)."""
        with self.lock:
            keys = tuple(snapshot(self.state, key) for key in self.state.keys.values())
            return Inspection(self.clock.now(), keys, tuple(self.calls))

    def call_log(self) -> list[CallRecord]:
        with self.lock:
            return list(self.calls)

    def call_count(self) -> int:
        """How many calls reached an operation so far (a door compares it before and after a call)."""
        return len(self.calls)

    def last_call(self) -> CallRecord | None:
        return next(iter(self.calls[-1:]), None)

    def export_secrets(self) -> secrets.Secrets:
        """What this fake and process drew at random, which replaying its calls cannot redraw."""
        with self.lock:
            return secrets.export(self.state)

    def adopt_secrets(self, drawn: secrets.Secrets) -> None:
        """Take secrets another fake exported as this one's (before and again after a replay)."""
        with self.lock:
            secrets.adopt(self.state, drawn)

    def unimplemented_calls(self) -> list[str]:
        with self.lock:
            return list(self.unimplemented)

    def add_fault(self, fault: Fault) -> Fault:
        with self.lock:
            return self.faults.add(fault)

    def set_on_demand_delay(self, arn: str | None, delay: timedelta | None) -> None:
        """How long on-demand rotations of key `arn` take (None: the fake's delay again), or, with
        `arn=None`, how long the next on-demand rotation to start takes, whichever key it is."""
        if delay is not None and (not isinstance(delay, timedelta) or delay < timedelta(0)):
            raise ValueError(f"on_demand_delay must be a timedelta >= 0, got {delay!r}")
        with self.lock:
            if arn is None:
                self.state.next_on_demand_delay = delay
            else:
                self.state.keys[arn].lineage.on_demand_delay = delay

    def complete_on_demand_rotations(self, arn: str | None = None) -> int:
        """Finish every on-demand rotation still in progress (of key `arn`, if given), now; how many."""
        with self.lock:
            done = complete_on_demand_now(self.state, self.clock.now(), arn)
            self.settle()
            return done

    def complete_replications(self, arn: str | None = None) -> int:
        """Make every replica still Creating (of primary `arn` or that replica, if given) ready now; how many."""
        with self.lock:
            done = finish_replicas_now(self.state, self.clock.now(), arn)
            self.settle()
            return done

    def issue_credentials(self, principal: str) -> Credentials:
        """Credentials whose requests the fake attributes to `principal` (an IAM principal ARN)."""
        return self.access.issue(check_principal(principal))

    def issued_credentials(self, access_key_id: str | None) -> Credentials | None:
        """The credentials `issue_credentials` made with this access key ID, or None."""
        return self.access.credentials(access_key_id)

    def learn_permissions(self, permissions: Mapping[str, Permission]) -> None:
        """What each operation needs (the model's "Required permissions"), for policy evaluation."""
        self.access.learn(permissions)

    def learn_enums(self, enums: Mapping[str, Iterable[str]]) -> None:
        """The installed model's enum value sets (shape name -> values in model order): CreateKey and
        DescribeKey then offer only values the model has, and list them in enum errors."""
        with self.lock:
            self.state.enums = enums if isinstance(enums, ModelEnums) else ModelEnums(enums)

    def attach_policy(self, principal: str, document: str | Mapping[str, Any]) -> None:
        """Attach an identity (IAM) policy to `principal`; it counts when policies are enforced."""
        with self.lock:
            self.access.attach_policy(principal, document)

    def request_id_token(self) -> str:
        """Twelve hex digits, fixed per engine, that make this fake's request IDs its own."""
        return self.state.ids.token("request-ids")[:12]

    def execute(self, operation: str, params: Mapping[str, Any], region: str | None = None,
                access_key_id: str | None = None) -> dict[str, Any]:
        """Run one operation for the caller the access key stands for; raises `KMSError` for AWS's answers."""
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
            caller = self.access.caller(access_key_id) or ""
            account = caller.split(":")[4] if caller else self.config.account_id
            request = Request(operation, params, region, account, now, caller, self.partition_of(region))
            key_arn = self._key_arn(request)
            injected = self.faults.take(operation, key_arn) if self.faults else None
            decided_by = None
            try:
                if injected is not None:
                    raise injected
                if "GrantTokens" in params and self.access.checks_grant_tokens(operation):
                    check_grant_tokens(self.state, params["GrantTokens"])  # before the key: INF
                if self.access.enforce:
                    decided_by = authorize(self.state, self.access, request, grant_allowing)
                response = handler(self.state, request)
            except KMSError as error:
                if isinstance(error, DeniedError):
                    decided_by = error.decided_by
                self._record(CallRecord(operation, params, region, now, error=error, key_arn=key_arn,
                                        injected=error is injected, caller=caller, decided_by=decided_by))
                raise
            call = CallRecord(operation, params, region, now, response=response,
                              key_arn=key_arn or _arn_in(response), caller=caller, decided_by=decided_by)
            self._record(call)
            usage.note(self.state, operation, now, response, call)
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

    def _event_ids_of(self, call: object) -> tuple[str, str] | None:
        """CloudTrail's (eventID, requestID) of a logged call; None if it left no record (seeding)."""
        built = self.events
        n = 0
        for entry in self._log:
            if entry is call:
                return built[n]["eventID"], built[n]["requestID"]
            n += 1 if isinstance(entry, CallRecord) else 2
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
            for entry in _in_time_order(self._log[self._events_built:]):
                n = len(self._built)
                if isinstance(entry, CallRecord):
                    self._built.append(event_records.api_call(
                        n, entry.operation, entry.params, entry.region, self.config.account_id, entry.time,
                        entry.response, entry.error, entry.key_arn, entry.caller, self.partition_of(entry.region)))
                else:
                    self._built.append(event_records.rotate_key_service_event(n, entry))
                    self._built.append(event_records.rotation_eventbridge_event(n + 1, entry))
            self._events_built = len(self._log)
            return list(self._built)


def _in_time_order(
    entries: list[CallRecord | event_records.Rotated | event_records.RotationRun],
) -> list[CallRecord | event_records.Rotated]:
    """The log with each run of rotations between two calls in time order.

    One clock jump rotates key after key, each a run of dates at a time (`timed_work.settle`);
    sorting here, when a test reads the events, keeps that cost off the jump. The sort is stable
    and a run never mixes settles out of order, so this is the order the rotations happened in.
    """
    ordered: list[CallRecord | event_records.Rotated] = []
    run: list[event_records.Rotated] = []
    for entry in entries:
        if isinstance(entry, CallRecord):
            ordered.extend(sorted(run, key=_WHEN))
            run.clear()
            ordered.append(entry)
        elif isinstance(entry, event_records.RotationRun):
            run.extend(entry.expand())
        else:
            run.append(entry)
    ordered.extend(sorted(run, key=_WHEN))
    return ordered


_WHEN = attrgetter("when")


def aws_now(clock: Clock) -> datetime:
    """The clock's time at AWS's precision: KMS keeps and returns milliseconds."""
    now = clock.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _arn_in(response: Mapping[str, Any]) -> str | None:
    for value in (response.get("KeyId"), (response.get("KeyMetadata") or {}).get("Arn")):
        if isinstance(value, str) and value.startswith("arn:"):
            return value
    return None
