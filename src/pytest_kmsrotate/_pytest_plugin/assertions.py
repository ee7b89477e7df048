"""Assertion helpers whose failure messages say what was expected, what happened, and show the timeline.

Each is also a method of `KmsRotation` (`kms_rotation.assert_rotated("alias/orders", times=2)`).
They raise `AssertionError`, hide their own frames from pytest's traceback, and raise
`ValueError` for arguments that could never match (a misspelt operation or rotation type), so
a typo cannot make an assertion pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from .report import aliases, call_rows, rotation_lines, when
from .views import KeyHandle

if TYPE_CHECKING:
    from .._core.calls import CallRecord
    from .._core.inspection import KeySnapshot


class Asserted(Protocol):
    """What the call assertions read of a fake (a `KmsRotation`)."""

    @property
    def calls(self) -> list[CallRecord]: ...

    def key(self, ref: str | KeyHandle, *, region: str | None = None) -> KeyHandle: ...

ROTATION_TYPES = ("AUTOMATIC", "ON_DEMAND")


def operation_names() -> frozenset[str]:
    from .._protocol.service_model import service_model

    return frozenset(service_model().operation_names)


def check_operation(caller: str, operation: str) -> None:
    """ValueError naming the closest real operation, for a name botocore's KMS model lacks."""
    names = operation_names()
    if operation in names:
        return
    close = difflib.get_close_matches(str(operation), sorted(names), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else "; see botocore's KMS model for the operation names"
    raise ValueError(f"{caller}: {operation!r} is not a KMS operation{hint}")


def _check_times(caller: str, times: int | None) -> None:
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 0):
        raise ValueError(f"{caller}: times must be a whole number >= 0 or None, got {times!r}")


def _check_type(caller: str, type: str | None) -> None:
    if type is not None and type not in ROTATION_TYPES:
        raise ValueError(f"{caller}: type must be 'AUTOMATIC', 'ON_DEMAND' or None, got {type!r}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _label(key: KeySnapshot) -> str:
    names = aliases(key)
    return f"key {key.key_id}" + (f" ({names})" if names != "-" else "")


def timeline(key: KeySnapshot, now: datetime) -> list[str]:
    """The key's rotations, its rotation settings and the simulated time, for a failure message."""
    rotations = key.rotations
    lines = [f"rotations of {_label(key)}:" if rotations else f"rotations of {_label(key)}: none"]
    lines += rotation_lines(rotations, key.on_demand_started, indent="  ", last=None)
    if key.on_demand_started is not None:
        lines.append("  (kms_rotation.complete_rotations() finishes it now)")
    if key.rotation_enabled and key.next_rotation_date is not None:
        automatic = f"every {key.rotation_period_days}d, next {when(key.next_rotation_date)}"
    else:
        automatic = "off"
    lines.append(f"automatic rotation {automatic}; on-demand {key.on_demand_used}/{key.on_demand_limit} used; "
                 f"clock {when(now)} UTC")
    return lines


def _rotation_count(key: KeySnapshot, type: str | None) -> int:
    return sum(1 for r in key.rotations if type is None or r.type == type)


def assert_rotated(handle: KeyHandle, *, times: int | None = None, type: str | None = None) -> None:
    """The key completed exactly `times` rotations (at least one if None), of `type` if given."""
    __tracebackhide__ = True
    _check_times("assert_rotated", times)
    _check_type("assert_rotated", type)
    now, key = handle.engine.clock.now(), handle.snapshot()
    found = _rotation_count(key, type)
    kind = f"{type} rotation" if type else "rotation"
    if times is None and found == 0:
        expected = f"at least one {kind}"
    elif times is not None and found != times:
        expected = _count(times, kind)
    else:
        return
    lines = [f"expected {expected} of {_label(key)}, found {found}", *timeline(key, now)]
    raise AssertionError("\n".join(lines))


def assert_not_rotated(handle: KeyHandle, *, type: str | None = None) -> None:
    """The key completed no rotation (of `type`, if given)."""
    __tracebackhide__ = True
    _check_type("assert_not_rotated", type)
    now, key = handle.engine.clock.now(), handle.snapshot()
    found = _rotation_count(key, type)
    if found == 0:
        return
    kind = f"{type} rotations" if type else "rotations"
    lines = [f"expected no {kind} of {_label(key)}, found {found}", *timeline(key, now)]
    raise AssertionError("\n".join(lines))


def _key_arn(fake: Asserted, key: str | KeyHandle | None) -> str | None:
    if key is None:
        return None
    if isinstance(key, str) and key.startswith("arn:") and ":key/" in key:
        return key  # a deleted key is still a fair thing to ask about
    return fake.key(key).arn


def _call_lines(title: str, calls: Sequence[CallRecord]) -> list[str]:
    if not calls:
        return [f"{title}: none"]
    return [f"{title}:", *call_rows(calls)]


def _called(fake: Asserted, caller: str, operation: str, key: str | KeyHandle | None
            ) -> tuple[list[CallRecord], list[CallRecord], str]:
    check_operation(caller, operation)
    arn = _key_arn(fake, key)
    of_operation = [c for c in fake.calls if c.operation == operation]
    matching = [c for c in of_operation if arn is None or c.key_arn == arn]
    where = f" for key {arn.rsplit('/', 1)[-1]}" if arn is not None else ""
    return matching, of_operation, where


def _evidence(fake: Asserted, operation: str, of_operation: list[CallRecord]) -> list[str]:
    if of_operation:
        return _call_lines(f"{operation} calls", of_operation)
    calls = fake.calls
    return _call_lines(f"last {min(10, len(calls))} of {len(calls)} calls" if calls else "calls", calls[-10:])


def assert_called(fake: Asserted, operation: str, *, times: int | None = None,
                  key: str | KeyHandle | None = None) -> None:
    """`operation` was answered exactly `times` times (at least once if None), for `key` if given.

    Every answered call counts, errors and injected faults included: each retry botocore makes
    is a call of its own, as AWS would see it.
    """
    __tracebackhide__ = True
    _check_times("assert_called", times)
    matching, of_operation, where = _called(fake, "assert_called", operation, key)
    if times is None and not matching:
        expected = "at least once"
    elif times is not None and len(matching) != times:
        expected = "once" if times == 1 else f"{times} times"
    else:
        return
    actual = "not at all" if not matching else ("once" if len(matching) == 1 else f"{len(matching)} times")
    lines = [f"expected {operation} to be called {expected}{where}, it was called {actual}",
             *_evidence(fake, operation, of_operation)]
    raise AssertionError("\n".join(lines))


def assert_not_called(fake: Asserted, operation: str, *, key: str | KeyHandle | None = None) -> None:
    """`operation` was never answered (for `key`, if given)."""
    __tracebackhide__ = True
    matching, of_operation, where = _called(fake, "assert_not_called", operation, key)
    if not matching:
        return
    actual = "once" if len(matching) == 1 else f"{len(matching)} times"
    lines = [f"expected {operation} not to be called{where}, it was called {actual}",
             *_evidence(fake, operation, of_operation)]
    raise AssertionError("\n".join(lines))
