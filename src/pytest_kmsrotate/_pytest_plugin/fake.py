"""`KmsRotation`: what the `kms_rotation` fixture gives a test.

It owns one engine, its clock, the protocol in front of the engine and the doors through which
requests reach it, and keeps the process's time in step with the clock. It is usable without
pytest too (`with KmsRotation() as kms: ...`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._adapters import aiobotocore_installed
from .._core.clock import Clock
from .._core.config import Config
from .._core.engine import CallRecord, Engine
from .._core.errors import KMSError
from .._core.faults import Fault
from .._process.outside import ThreadWatch, current_test
from .._process.simulated_time import TimePatch
from .._process.sleep import SleepPatch
from .._process.stack import PatchStack
from .._process.time_follow import FreezePatch, user_freeze_active
from .._protocol.partitions import partition_of
from .._protocol.respond import Protocol
from .running import RUNNING
from .settings import parse_delay
from .tracebacks import hide_misuse
from .views import EventLog, KeyHandle, Principal

if TYPE_CHECKING:
    from .._adapters import Door
    from .._adapters.http_endpoint import HttpEndpoint
    from .._core.snapshot import Checkpoint

# The caller's mistakes show the caller's line, not these frames (see tracebacks.py).
__tracebackhide__ = hide_misuse


def _nothing() -> None:
    pass


class KmsRotation:
    """A fake AWS KMS for one test: start it, point code at AWS as usual, inspect, stop it."""

    def __init__(
        self,
        config: Config | None = None,
        *,
        freeze_time: bool = True,
        patch_sleep: bool = True,
        async_time: bool = False,
        follow_freezegun: bool = False,
        keys: Sequence[Mapping[str, Any]] = (),
        endpoint: bool = False,
    ) -> None:
        from .seeding import build, earliest, parse_keys

        self.config = config or Config()
        # Seeded history lies before the start: the clock starts at the oldest key and runs to the start.
        seeds = parse_keys(keys, self.config)
        self.engine = Engine(self.config, Clock(earliest(seeds, self.config.start)),
                             partition_of=partition_of)
        # The protocol in front of the engine, shared by every door (and by seeding: one entry for all).
        self.protocol = Protocol(self.engine)
        self._seeded = build(self.protocol, seeds, self.config.start)
        self._freeze = freeze_time
        self._patch_sleep = patch_sleep
        self._async_time = async_time
        self._follow_freezegun = follow_freezegun
        self._patches = PatchStack()
        self._doors: list[Door] = []
        self._start_endpoint = endpoint
        self._endpoint: HttpEndpoint | None = None
        self._endpoint_lock = threading.Lock()
        self.started_by = "code outside any test"  # named by errors about calls after stop()

    @property
    def clock(self) -> Clock:
        """The simulated clock: `now()`, `advance(...)`, `move_to(...)`."""
        return self.engine.clock

    @property
    def calls(self) -> list[CallRecord]:
        """Every KMS call answered so far, oldest first."""
        return self.engine.call_log()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> KmsRotation:
        from .._adapters.botocore_containment import Containment
        from .._adapters.botocore_sync import BotocoreDoor

        try:
            # Containment (docs/containment.md): KMS clients get throwaway credentials and no
            # config-file region; threads this fake outlives are refused after stop().
            self.started_by = current_test() or self.started_by
            threads = ThreadWatch(self.started_by)
            self._patches.enter(threads.install, threads.uninstall)
            containment = Containment(self.config.region)
            self._patches.enter(containment.install, containment.uninstall)
            if self._freeze:
                timing = TimePatch(self.clock)
                self._patches.enter(timing.install, timing.uninstall)
                if user_freeze_active():  # a freeze started before the fake: the fake's clock wins
                    freezing = FreezePatch(self.clock)
                    self._patches.enter(freezing.install, freezing.uninstall)
            if self._follow_freezegun:
                from .._process.freezegun_follow import FollowFreezegun

                following = FollowFreezegun(self.clock)
                self._patches.enter(following.install, following.uninstall)
            if self._async_time:
                from .._process.loop_time import LoopTimePatch

                loops = LoopTimePatch(self.clock)
                self._patches.enter(loops.install, loops.uninstall)
            if self._patch_sleep:
                sleep = SleepPatch(self.clock)
                self._patches.enter(sleep.install, sleep.uninstall)
            self.open_door(BotocoreDoor(self.protocol))
            if aiobotocore_installed():
                from .._adapters.botocore_async import AiobotocoreDoor

                self.open_door(AiobotocoreDoor(self.protocol))
            RUNNING.append(self)
            if self._start_endpoint:
                _ = self.endpoint  # start it with the fake, as the marker or ini option asked
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Close every door and undo every patch; each step runs even if another fails."""
        if self in RUNNING:
            RUNNING.remove(self)
        stack = PatchStack()  # unwinds last-entered first: doors newest first, then the process patches
        stack.enter(_nothing, self._patches.unwind)
        for door in self._doors:
            stack.enter(_nothing, door.close)
        self._doors.clear()
        self._endpoint = None
        stack.unwind()

    @property
    def doors(self) -> tuple[Door, ...]:
        """The doors open on this fake (botocore's, and aiobotocore's where installed, while it runs), oldest first."""
        return tuple(self._doors)

    def open_door(self, door: Door) -> Door:
        """Open another way in to this running fake; it closes with the fake or `close_door`."""
        door.open()
        self._doors.append(door)
        return door

    def close_door(self, door: Door) -> None:
        if door in self._doors:
            self._doors.remove(door)
            door.close()

    # -- the local HTTP endpoint (other processes, other languages) ---------------------------

    @property
    def endpoint(self) -> HttpEndpoint:
        """The fake's KMS endpoint on 127.0.0.1 (a free port), started on first use, stopped
        with the fake. While it runs, `AWS_ENDPOINT_URL_KMS` in the environment names it."""
        with self._endpoint_lock:
            if self._endpoint is None:
                if not self.running:
                    raise RuntimeError("the KMS endpoint serves a running fake: start the KmsRotation first")
                from .._adapters.http_endpoint import HttpEndpoint
                from .._process.endpoint_environment import EndpointVariable

                endpoint = HttpEndpoint(self.protocol)
                self.open_door(endpoint)
                variable = EndpointVariable(endpoint.url)
                self._patches.enter(variable.apply, variable.restore)
                self._endpoint = endpoint
            return self._endpoint

    @property
    def endpoint_url(self) -> str:
        """`http://127.0.0.1:<port>`: the endpoint a child process's KMS client should use."""
        return self.endpoint.url

    def subprocess_env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """An environment for `subprocess.run(..., env=...)`: `base` (os.environ by default) with
        KMS pointed at the endpoint (starting it) and the fake's throwaway credentials and region."""
        from .._process.endpoint_environment import subprocess_environment

        return subprocess_environment(self.endpoint_url, self.config.region, base)

    @property
    def running(self) -> bool:
        return bool(self._doors) or bool(self._patches)

    def __enter__(self) -> KmsRotation:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- checkpoints (scoped fakes: seed once, start every test from the seeded state) -------

    def checkpoint(self) -> Checkpoint:
        """Everything the fake knows now, to `restore()` later, any number of times.

        Keys and their materials, aliases, the rotation schedule, import tokens, the clock's
        time, `calls`, `events`, injected faults and the ID sequence (so a key made after a
        restore gets the same ID every time). See docs/scoped-fakes.md.
        """
        from .._core.snapshot import take

        return take(self.engine)

    def restore(self, checkpoint: Checkpoint) -> None:
        """Put the fake back to `checkpoint`: the clock goes back to its time, freezegun with it."""
        from .._core.snapshot import restore

        restore(self.engine, checkpoint)

    # -- keys --------------------------------------------------------------------------------

    def key(self, ref: str | KeyHandle, *, region: str | None = None) -> KeyHandle:
        """The key a key ID, key ARN, alias name or alias ARN names.

        An ARN says its own region; a key ID or alias name is looked up in `region`, else the
        fake's default region.
        """
        if isinstance(ref, KeyHandle):
            return ref
        if not isinstance(ref, str):
            raise TypeError(f"key() takes a key ID, key ARN, alias name, alias ARN or KeyHandle, "
                            f"not {type(ref).__name__} ({ref!r})")
        try:
            return KeyHandle(self.engine, self.engine.find_key(ref, region))
        except KMSError as error:
            raise LookupError(f"no key {ref!r} in the fake: {error.message}") from None

    def create_key(self, **fields: Any) -> KeyHandle:
        """Create a key now, described by `@pytest.mark.kms_keys`'s fields (all but `created`).

        It is built through the fake's own operations, so AWS's rules apply; its calls are not
        listed in `calls`. `on_demand_rotations=n` gives it n on-demand rotations dated now.
        Raises `SeedingError` naming the field when the fields cannot describe a KMS key.
        """
        from .seeding import create_key

        return create_key(self.protocol, fields)

    @property
    def seeded_keys(self) -> list[KeyHandle]:
        """The keys the `keys=` argument (the `kms_keys` markers) seeded, in the order given."""
        return list(self._seeded)

    @property
    def keys(self) -> list[KeyHandle]:
        return [KeyHandle(self.engine, arn) for arn in self.engine.key_arns()]

    def __iter__(self) -> Iterator[KeyHandle]:
        return iter(self.keys)

    # -- time and events ---------------------------------------------------------------------

    @property
    def events(self) -> EventLog:
        """CloudTrail records of every call and rotation, and EventBridge rotation events."""
        return EventLog(self.engine.events)

    def next_on_demand_delay(self, delay: timedelta | float) -> None:
        """The next on-demand rotation to start (whichever key) takes `delay` (seconds or a
        timedelta) to complete; later ones take their key's delay or the test's again."""
        self.engine.set_on_demand_delay(None, parse_delay(delay, "next_on_demand_delay(delay)"))

    def complete_rotations(self) -> int:
        """Finish every on-demand rotation still in progress, now; returns how many there were."""
        return self.engine.complete_on_demand_rotations()

    # -- fault injection ---------------------------------------------------------------------

    # -- callers and permissions -----------------------------------------------------------------

    def principal(self, arn: str) -> Principal:
        """A caller: credentials whose requests the fake attributes to the IAM principal `arn`.

        `arn` is a user, role, assumed-role session or account root ARN, of any account.
        Requests signed with its credentials (through any door) are that principal's: with
        `enforce_policies=True` its key policies, identity policies and grants decide.
        """
        __tracebackhide__ = True
        try:
            credentials = self.engine.issue_credentials(arn)
        except ValueError as error:
            raise ValueError(f"kms_rotation.principal: {error}") from None
        return Principal(credentials, self.config.region)

    def attach_policy(self, principal: str | Principal, document: str | Mapping[str, Any]) -> None:
        """Attach an identity (IAM) policy to a principal; it counts with `enforce_policies=True`.

        A document AWS would refuse raises `KMSError` MalformedPolicyDocumentException.
        """
        __tracebackhide__ = True
        arn = principal.arn if isinstance(principal, Principal) else principal
        try:
            self.engine.attach_policy(arn, document)
        except ValueError as error:
            raise ValueError(f"kms_rotation.attach_policy: {error}") from None

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
        from .._core.faults import DEFAULT_MESSAGES, STATUS
        from .._protocol.service_model import service_model
        from .assertions import check_operation

        check_operation("inject_fault", operation)
        op_model = service_model().operation_model(operation)
        codes = sorted({e.name for e in op_model.error_shapes} | set(STATUS))
        if code not in codes:
            raise ValueError(f"inject_fault: {operation} cannot fail with {code!r}; its errors are: {', '.join(codes)}")
        if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 1):
            raise ValueError(f"inject_fault: times must be a whole number >= 1 or None, got {times!r}")
        if key is not None and "KeyId" not in op_model.input_shape.members:
            # The fault would wait for a key this operation never names, and never fire.
            raise ValueError(f"inject_fault: {operation} names no key, so key= cannot filter it")
        if status is not None and (not isinstance(status, int) or isinstance(status, bool)
                                   or not 400 <= status <= 599):
            # botocore reads the status as an int, and below 400 the "error" would parse as a success.
            raise ValueError(f"inject_fault: status must be an HTTP error status, a whole number from 400 to 599 "
                             f"(None: AWS's own, {STATUS.get(code, 400)} for {code}), got {status!r}")
        key_arn = self.key(key).arn if key is not None else None
        fault = Fault(operation, code, message if message is not None else DEFAULT_MESSAGES.get(code),
                      status or STATUS.get(code, 400), times, key_arn)
        return self.engine.add_fault(fault)

    @property
    def unimplemented_calls(self) -> list[str]:
        return self.engine.unimplemented_calls()

    # -- assertions (see assertions.py; each hides its frames so pytest points at the test) --

    def assert_rotated(self, key: str | KeyHandle, *, times: int | None = None, type: str | None = None) -> None:
        """Assert the key completed exactly `times` rotations (at least one if None), of `type` if given.

        `key` is a handle, key ID, key ARN or alias; `type` is "AUTOMATIC" or "ON_DEMAND".
        """
        __tracebackhide__ = True
        from .assertions import assert_rotated

        assert_rotated(self.key(key), times=times, type=type)

    def assert_not_rotated(self, key: str | KeyHandle, *, type: str | None = None) -> None:
        """Assert the key completed no rotation (of `type`, if given)."""
        __tracebackhide__ = True
        from .assertions import assert_not_rotated

        assert_not_rotated(self.key(key), type=type)

    def assert_called(self, operation: str, *, times: int | None = None, key: str | KeyHandle | None = None) -> None:
        """Assert `operation` was answered exactly `times` times (at least once if None), for `key` if given.

        Failed calls, injected faults and each botocore retry count: AWS would have seen them all.
        """
        __tracebackhide__ = True
        from .assertions import assert_called

        assert_called(self, operation, times=times, key=key)

    def assert_not_called(self, operation: str, *, key: str | KeyHandle | None = None) -> None:
        """Assert `operation` was never answered (for `key`, if given)."""
        __tracebackhide__ = True
        from .assertions import assert_not_called

        assert_not_called(self, operation, key=key)

    def report(self) -> str:
        """The text the failure report shows: clock, keys with their rotations, the last calls."""
        from .report import render

        return render(self)

    def __repr__(self) -> str:
        from .report import when

        inspection = self.engine.inspect()
        keys, calls = len(inspection.keys), len(inspection.calls)
        running = "active" if self.running else "stopped"
        return (f"<KmsRotation {running} {self.config.region} account {self.config.account_id} "
                f"clock {when(self.clock.now())} UTC, {keys} keys, {calls} calls>")
