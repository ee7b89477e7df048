"""`KmsRotation`: what the `kms_rotation` fixture gives a test.

It owns one engine, its clock and the botocore interceptor, and keeps freezegun in step with
the clock. It is usable without pytest too (`with KmsRotation() as kms: ...`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from typing import Any

from .core.clock import Clock
from .core.config import Config
from .core.engine import CallRecord, Engine
from .core.errors import KMSError
from .core.faults import Fault
from .core.resolve import resolve_key
from .core.state import Request
from .environment import EnvironmentPatch
from .eventlog import EventLog
from .handles import KeyHandle
from .sleep import SleepPatch

_REAL_TIME_MODULES = ["_pytest.runner", "_pytest.timing", "_pytest.junitxml", "_pytest.terminal", "xdist"]


class KmsRotation:
    """A fake AWS KMS for one test: start it, point code at AWS as usual, inspect, stop it."""

    def __init__(self, config: Config | None = None, *, freeze_time: bool = True, patch_sleep: bool = True) -> None:
        self.config = config or Config()
        self.engine = Engine(self.config)
        self._freeze = freeze_time
        self._patch_sleep = patch_sleep
        self._sleep: SleepPatch | None = None
        self._freezer: Any = None
        self._frozen: Any = None
        self._interceptor: Any = None
        self._environment = EnvironmentPatch(self.config.region)

    @property
    def clock(self) -> Clock:
        """The simulated clock: `now()`, `advance(...)`, `move_to(...)`."""
        return self.engine.clock

    @property
    def calls(self) -> list[CallRecord]:
        """Every KMS call answered so far, oldest first."""
        with self.engine.lock:
            return list(self.engine.calls)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> KmsRotation:
        from .wire.interceptor import Interceptor

        self._environment.apply()
        try:
            if self._freeze:
                self._start_freezegun()
            if self._patch_sleep:
                self._sleep = SleepPatch(self.clock)
                self._sleep.install()
            self._interceptor = Interceptor(self.engine)
            self._interceptor.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._interceptor is not None:
            self._interceptor.stop()
            self._interceptor = None
        if self._sleep is not None:
            self._sleep.uninstall()
            self._sleep = None
        if self._freezer is not None:
            self.clock.unsubscribe(self._follow_clock)
            self._freezer.stop()
            self._freezer = None
            self._frozen = None
        self._environment.restore()

    def __enter__(self) -> KmsRotation:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _start_freezegun(self) -> None:
        import freezegun

        # pytest's own timing (durations, junit times) keeps reading real time.
        self._freezer = freezegun.freeze_time(self.clock.now(), tick=False, ignore=_REAL_TIME_MODULES)
        self._frozen = self._freezer.start()
        self.clock.subscribe(self._follow_clock)

    def _follow_clock(self, now: datetime) -> None:
        if self._frozen is not None:
            self._frozen.move_to(now)

    # -- keys --------------------------------------------------------------------------------

    def key(self, ref: str, *, region: str | None = None) -> KeyHandle:
        """The key a key ID, key ARN, alias name or alias ARN names (in `region`, else the default)."""
        request = Request("DescribeKey", {}, region or self.config.region, self.config.account_id, self.clock.now())
        with self.engine.lock:
            try:
                key = resolve_key(self.engine.state, request, ref)
            except KMSError as error:
                raise LookupError(f"no key {ref!r} in the fake: {error.message}") from None
            return KeyHandle(self.engine, key.arn)

    @property
    def keys(self) -> list[KeyHandle]:
        with self.engine.lock:
            return [KeyHandle(self.engine, arn) for arn in self.engine.state.keys]

    def __iter__(self) -> Iterator[KeyHandle]:
        return iter(self.keys)

    # -- time and events ---------------------------------------------------------------------

    @property
    def events(self) -> EventLog:
        """CloudTrail records of every call and rotation, and EventBridge rotation events."""
        with self.engine.lock:
            return EventLog(self.engine.events)

    def complete_rotations(self) -> int:
        """Finish every on-demand rotation still in progress, now; returns how many there were."""
        from .core.rotation import complete_on_demand_now

        with self.engine.lock:
            done = complete_on_demand_now(self.engine.state, self.clock.now())
            self.engine.settle()
            return done

    # -- fault injection ---------------------------------------------------------------------

    def inject_fault(
        self,
        operation: str,
        code: str,
        message: str | None = None,
        *,
        times: int | None = 1,
        key: str | None = None,
        status: int | None = None,
    ) -> Fault:
        """Make the next `times` calls of `operation` (of `key`, if given) fail with AWS's `code`.

        The error travels the wire like a real one, with AWS's HTTP status (500 for
        KMSInternalException, 503 for DependencyTimeoutException, 400 otherwise), so botocore's
        retry modes act on it. `times=None` fails every call until the test ends.
        """
        from .core.faults import DEFAULT_MESSAGES, STATUS
        from .wire.interceptor import service_model

        model = service_model()
        if operation not in model.operation_names:
            raise ValueError(f"inject_fault: {operation!r} is not a KMS operation; "
                             f"did you mean one of {sorted(model.operation_names)}?")
        codes = sorted({e.name for e in model.operation_model(operation).error_shapes} | set(STATUS))
        if code not in codes:
            raise ValueError(f"inject_fault: {operation} cannot fail with {code!r}; its errors are: {', '.join(codes)}")
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError(f"inject_fault: times must be a whole number >= 1 or None, got {times!r}")
        key_arn = self.key(key).arn if key is not None else None
        fault = Fault(operation, code, message if message is not None else DEFAULT_MESSAGES.get(code),
                      status or STATUS.get(code, 400), times, key_arn)
        with self.engine.lock:
            return self.engine.faults.add(fault)

    @property
    def unimplemented_calls(self) -> list[str]:
        with self.engine.lock:
            return list(self.engine.unimplemented)
