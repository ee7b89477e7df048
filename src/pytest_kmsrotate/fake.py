"""`KmsRotation`: what the `kms_rotation` fixture gives a test.

It owns one engine, its clock and the botocore interceptor, and keeps freezegun in step with
the clock. It is usable without pytest too (`with KmsRotation() as kms: ...`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any

from .core.clock import Clock
from .core.config import Config
from .core.engine import CallRecord, Engine
from .core.errors import KMSError
from .core.model import Key
from .core.resolve import resolve_key
from .core.state import Request
from .environment import EnvironmentPatch
from .sleep import SleepPatch


@dataclass(frozen=True)
class KeyHandle:
    """A live view of one key of the fake: every attribute reads the current state."""

    _fake: KmsRotation
    arn: str

    @property
    def _key(self) -> Key:
        key = self._fake.engine.state.keys.get(self.arn)
        if key is None:
            raise LookupError(f"key {self.arn} no longer exists in the fake (it was deleted)")
        return key

    @property
    def key_id(self) -> str:
        return self.arn.rsplit("/", 1)[1]

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]

    @property
    def state(self) -> str:
        with self._fake.engine.lock:
            return self._key.key_state

    def __repr__(self) -> str:
        return f"<KeyHandle {self.arn}>"


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

        self._freezer = freezegun.freeze_time(self.clock.now(), tick=False)
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
            return KeyHandle(self, key.arn)

    @property
    def keys(self) -> list[KeyHandle]:
        with self.engine.lock:
            return [KeyHandle(self, arn) for arn in self.engine.state.keys]

    def __iter__(self) -> Iterator[KeyHandle]:
        return iter(self.keys)

    @property
    def unimplemented_calls(self) -> list[str]:
        with self.engine.lock:
            return list(self.engine.unimplemented)
