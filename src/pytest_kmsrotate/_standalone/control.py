"""The control API of the standalone server: the clock, keys, faults, calls, events, reset.

Plain JSON over the endpoint's own port, under `/_kmsrotate/` (a path AWS never uses). Each
request is one method and path; bad input gets a 400 with a sentence saying what is wrong,
never a traceback. docs/standalone.md is the reference.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .._core.clock import ClockError
from .._core.config import Config
from .._core.engine import CallRecord
from .._protocol.respond import Protocol
from .._pytest_plugin.fake import KmsRotation
from .._pytest_plugin.seeding import SeedingError
from .._pytest_plugin.settings import SettingsError, parse_start
from .._pytest_plugin.views import KeyHandle
from .state import Journal, JournalingProtocol

Answer = tuple[int, Any]
_CLOCK_UNITS = ("days", "hours", "minutes", "seconds")


class ControlError(ValueError):
    """A control request the server cannot carry out; the message says why (answered with 400)."""


def _iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when is not None else None


def call_json(call: CallRecord) -> dict[str, Any]:
    return {
        "operation": call.operation,
        "region": call.region,
        "time": _iso(call.time),
        "ok": call.ok,
        "key_arn": call.key_arn,
        "injected": call.injected,
        "error": None if call.error is None else {
            "code": call.error.code, "message": call.error.message, "status": call.error.status},
    }


def key_json(key: KeyHandle) -> dict[str, Any]:
    if not key.exists:
        return {"arn": key.arn, "key_id": key.key_id, "exists": False}
    return {
        "arn": key.arn,
        "key_id": key.key_id,
        "region": key.region,
        "exists": True,
        "state": key.state,
        "rotation_enabled": key.rotation_enabled,
        "rotation_period_days": key.rotation_period_days,
        "next_rotation_date": _iso(key.next_rotation_date),
        "on_demand_rotations_remaining": key.on_demand_rotations_remaining,
        "rotations": [{"type": r.type, "date": _iso(r.date), "material_id": r.material_id} for r in key.rotations],
    }


def _object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except ValueError:
        raise ControlError("the request body must be a JSON object") from None
    if not isinstance(value, dict):
        raise ControlError("the request body must be a JSON object")
    return value


class Control:
    """Routes control requests to the current fake; `reset` replaces it with a fresh one."""

    def __init__(self, config: Config, on_reset: Callable[[Protocol], None], journal: Journal | None = None) -> None:
        self.config = config
        self._on_reset = on_reset
        self._lock = threading.Lock()
        self.journal = journal or Journal()
        self.fake = self._new_fake()
        self.protocol: Protocol = JournalingProtocol(self.fake.engine, self.journal)
        self._routes: dict[tuple[str, str], Callable[[dict[str, Any]], Answer]] = {
            ("GET", "/health"): lambda _: (200, {"status": "ok"}),
            ("GET", "/clock"): self._now,
            ("POST", "/clock/advance"): self._advance,
            ("POST", "/clock/move_to"): self._move_to,
            ("GET", "/keys"): lambda _: (200, [key_json(k) for k in self.fake.keys]),
            ("POST", "/keys"): self._create_key,
            ("POST", "/faults"): self._inject_fault,
            ("GET", "/calls"): lambda _: (200, [call_json(c) for c in self.fake.calls]),
            ("GET", "/events"): lambda _: (200, list(self.fake.events)),
            ("POST", "/reset"): self._reset,
        }

    def adopt(self, fake: KmsRotation) -> None:
        """Serve `fake` (rebuilt from a state file, its journal already in `self.journal`)."""
        self.fake = fake
        self.protocol = JournalingProtocol(fake.engine, self.journal)

    def _new_fake(self) -> KmsRotation:
        # Never started: the server patches nothing in its own process; the HTTP door is its only door.
        return KmsRotation(self.config, freeze_time=False, patch_sleep=False)

    def __call__(self, method: str, path: str, body: bytes) -> Answer:
        route = self._routes.get((method, path.split("?", 1)[0].rstrip("/") or "/"))
        if route is None:
            known = ", ".join(f"{m} /_kmsrotate{p}" for m, p in self._routes)
            return 404, {"error": f"no control operation {method} /_kmsrotate{path}; there are: {known}"}
        try:
            return route(_object(body))
        except (ControlError, ClockError, SeedingError, SettingsError, LookupError, ValueError, TypeError) as error:
            return 400, {"error": str(error)}

    def _record(self, kind: str, **entry: Any) -> None:
        self.journal.record({"kind": kind, "time": self.fake.clock.now().isoformat(), **entry})

    def _now(self, _: Mapping[str, Any]) -> Answer:
        return 200, {"now": _iso(self.fake.clock.now())}

    def _advance(self, body: Mapping[str, Any]) -> Answer:
        unknown = sorted(set(body) - set(_CLOCK_UNITS))
        if unknown or not body:
            raise ControlError(f"clock/advance takes {', '.join(_CLOCK_UNITS)} (numbers), got {sorted(body)}")
        amounts: dict[str, float] = {}
        for unit, value in body.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ControlError(f"clock/advance: {unit} must be a number, got {value!r}")
            amounts[unit] = float(value)
        with self.fake.engine.exclusively():
            self.fake.clock.advance(timedelta(**amounts))
            self._record("clock")
        return self._now(body)

    def _move_to(self, body: Mapping[str, Any]) -> Answer:
        if set(body) != {"time"}:
            raise ControlError('clock/move_to takes {"time": "<ISO 8601 with a time zone>"}')
        with self.fake.engine.exclusively():
            self.fake.clock.move_to(parse_start(body["time"], "clock/move_to time"))
            self._record("clock")
        return self._now(body)

    def _create_key(self, body: Mapping[str, Any]) -> Answer:
        with self.fake.engine.exclusively():
            key = self.fake.create_key(**body)
            self._record("key", fields=dict(body))
        return 200, key_json(key)

    def _inject_fault(self, body: Mapping[str, Any]) -> Answer:
        fields = dict(body)
        try:
            operation, code = fields.pop("operation"), fields.pop("code")
        except KeyError:
            raise ControlError('faults takes {"operation": ..., "code": ..., and optionally "message", '
                               '"times", "key", "status"}') from None
        allowed = {"message", "times", "key", "status"}
        if set(fields) - allowed:
            raise ControlError(f"faults: unknown field(s) {sorted(set(fields) - allowed)}; "
                               f"allowed: operation, code, {', '.join(sorted(allowed))}")
        with self.fake.engine.exclusively():
            fault = self.fake.inject_fault(operation, code, **fields)
            self._record("fault", fields=dict(body))
        return 200, {"operation": fault.operation, "code": fault.code, "times": fault.remaining}

    def _reset(self, _: Mapping[str, Any]) -> Answer:
        with self._lock:
            self.fake = self._new_fake()
            self.journal.clear()
            self.protocol = JournalingProtocol(self.fake.engine, self.journal)
            self._on_reset(self.protocol)
        return self._now(_)
