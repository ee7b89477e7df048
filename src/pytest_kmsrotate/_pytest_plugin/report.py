"""The failure report: the fake's state as a few aligned lines a reader takes in at a glance.

Pure formatting: it reads one `Engine.inspect()` snapshot and returns text, and never changes
the fake (no settling, no clock movement), so the report shows exactly what the failing test saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .._core.calls import CallRecord
    from .._core.config import Config
    from .._core.engine import Engine
    from .._core.inspection import KeySnapshot, RotationRecord


class Inspectable(Protocol):
    """What the report reads of a fake (a `KmsRotation`): its engine and its configuration."""

    @property
    def engine(self) -> Engine: ...

    @property
    def config(self) -> Config: ...

TITLE = "kms-rotation"
LAST_CALLS = 10
MAX_KEYS = 50  # a fixture that seeds hundreds of keys should not bury the traceback
LAST_ROTATIONS = 5
MATERIAL_PREFIX = 8


def section_title(when: str) -> str:
    """`kms-rotation` for the test itself, `kms-rotation setup`/`teardown` like pytest's own sections."""
    return TITLE if when == "call" else f"{TITLE} {when}"


def when(moment: datetime) -> str:
    """A UTC timestamp to the second: every date in the report has this one width."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Left-aligned columns two spaces apart, without trailing blanks."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [(indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip() for row in rows]


def rotation_lines(rotations: Sequence[RotationRecord], in_progress_since: datetime | None = None,
                   indent: str = "    ", last: int | None = LAST_ROTATIONS) -> list[str]:
    """One line per rotation, oldest first: type, date, the first characters of the new material's ID."""
    shown = rotations[-last:] if last is not None else rotations
    lines = [f"{indent}({len(rotations) - len(shown)} earlier rotations)"] if len(shown) < len(rotations) else []
    lines += table([(r.type, when(r.date), r.material_id[:MATERIAL_PREFIX]) for r in shown], indent) if shown else []
    if in_progress_since is not None:
        lines.append(f"{indent}ON_DEMAND  in progress since {when(in_progress_since)}")
    return lines


def render(fake: Inspectable, *, last_calls: int = LAST_CALLS) -> str:
    """The whole report: clock, keys with their rotation timelines, then the last calls."""
    config = fake.config
    seen = fake.engine.inspect()
    lines = [f"clock {when(seen.now)} UTC   region {config.region}   account {config.account_id}"]
    lines += _keys(seen.keys)
    lines += _calls(seen.calls, last_calls)
    return "\n".join(lines) + "\n"


def aliases(key: KeySnapshot) -> str:
    """The alias names of a key, comma-separated, or "-"."""
    return ",".join(key.aliases) or "-"


def _keys(keys: Sequence[KeySnapshot]) -> list[str]:
    if not keys:
        return ["keys: none"]
    several_regions = len({key.region for key in keys}) > 1
    header = ["KEY ID", "STATE", "ROTATION", "NEXT ROTATION", "ON-DEMAND", "ALIASES"]
    rows: list[list[str]] = [(["REGION"] if several_regions else []) + header]
    timelines: list[list[str]] = []
    for key in keys[:MAX_KEYS]:
        period = f"every {key.rotation_period_days}d" if key.rotation_enabled else "off"
        next_date = when(key.next_rotation_date) if key.next_rotation_date is not None else "-"
        quota = f"{key.on_demand_used}/{key.on_demand_limit}"
        row = [key.key_id, key.key_state, period, next_date, quota, aliases(key)]
        rows.append(([key.region] if several_regions else []) + row)
        timelines.append(rotation_lines(key.rotations, key.on_demand_started))
    lines = [f"keys ({len(keys)})"]
    table_lines = table(rows)
    lines.append(table_lines[0])
    for key_line, timeline in zip(table_lines[1:], timelines, strict=True):
        lines.append(key_line)
        lines.extend(timeline)
    if len(keys) > MAX_KEYS:
        lines.append(f"  ({len(keys) - MAX_KEYS} more keys not shown)")
    return lines


def outcome(call: CallRecord) -> str:
    if call.error is None:
        return "ok"
    return f"{call.error.code} (injected)" if call.injected else call.error.code


def call_rows(calls: Sequence[CallRecord]) -> list[str]:
    """The calls as an aligned table: when, which operation, on which key, how it ended."""
    rows = [("TIME", "OPERATION", "KEY ID", "OUTCOME")]
    for call in calls:
        arn = call.key_arn
        rows.append((when(call.time), call.operation, arn.rsplit("/", 1)[-1] if arn else "-", outcome(call)))
    lines = table(rows)
    out = lines[:1]
    for call, line in zip(calls, lines[1:], strict=True):
        out.append(line)
        if call.error is not None and call.error.code == "AccessDeniedException" and call.decided_by:
            # With policies enforced: who asked, and which statement (or none) decided it.
            out.append(f"    denied {call.caller or 'the account root'}: {call.decided_by}")
    return out


def _calls(calls: Sequence[CallRecord], last: int) -> list[str]:
    if not calls:
        return ["calls: none"]
    shown = calls[-last:] if last > 0 else []
    head = f"last {len(shown)} of {len(calls)} calls" if len(shown) < len(calls) else f"calls ({len(calls)})"
    if not shown:
        return [head]
    return [head, *call_rows(shown)]
