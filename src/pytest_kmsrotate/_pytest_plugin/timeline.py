"""The rotation timeline as a picture: one `Engine.inspect()` snapshot in, SVG (and an HTML table) out.

Pure, like report.py: no pytest, no pytest-html, no clock movement; every piece of text that
came from the fake (aliases, descriptions, key IDs) is escaped, so the result is well-formed
XML whatever a test named its keys. html_report.py hands the result to pytest-html.

One row per key, time running left to right over the span from the earliest creation to the
latest date worth showing (the simulated now, next rotation, scheduled deletion):
creation (circle), automatic rotations (blue diamonds), on-demand rotations (orange triangles),
automatic rotation switched on/off (green/grey ticks; the green band is while it was on),
scheduled deletion (red cross), the next rotation (hollow diamond) and the simulated now
(a dashed line across every row). Each mark carries a <title> (a tooltip, and what a screen
reader reads); the picture as a whole has a <title> and a <desc>.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape
from typing import TYPE_CHECKING

from .report import MAX_KEYS, when

if TYPE_CHECKING:
    from .._core.calls import CallRecord
    from .._core.inspection import Inspection, KeySnapshot

# Rotation marks drawn: at most MAX_MARKS a row (the latest), MARK_BUDGET a picture, never fewer than MIN_MARKS
# a row. A century of 90-day rotations is 405 marks 1.5 px apart; the table and the text report have the rest.
MAX_MARKS = 200
MARK_BUDGET = 2000
MIN_MARKS = 20
WIDTH = 860
LABEL_WIDTH = 230
PLOT_LEFT = LABEL_WIDTH + 10
PLOT_RIGHT = WIDTH - 20
TOP = 44  # the axis and its labels
ROW = 36
LEGEND = 40
LABEL_CHARS = 30

# Characters XML 1.0 does not allow at all (escaping cannot help): they become U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text(value: object) -> str:
    """`value` as XML/HTML character data or attribute text: escaped, and only characters XML allows."""
    return escape(_NOT_XML.sub("\ufffd", str(value)), quote=True)


@dataclass(frozen=True)
class Mark:
    """One moment on a key's row: what happened (`kind`, also its CSS class) and when."""

    kind: str  # created, rotation-automatic, rotation-on-demand, on-demand-started, rotation-enabled,
    #            rotation-disabled, deletion-scheduled, next-rotation
    date: datetime
    label: str


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


Switch = tuple[datetime, bool, str]  # when, on (True) or off, what the call said


def switches(calls: Iterable[CallRecord]) -> dict[str, list[Switch]]:
    """Key ARN -> when automatic rotation was switched on or off, from the successful calls (one pass)."""
    found: dict[str, list[Switch]] = {}
    for call in calls:
        if call.ok and call.key_arn and call.operation in ("EnableKeyRotation", "DisableKeyRotation"):
            on = call.operation == "EnableKeyRotation"
            period = call.params.get("RotationPeriodInDays")
            detail = f" every {period}d" if on and period is not None else ""
            found.setdefault(call.key_arn, []).append((_utc(call.time), on, f"{call.operation}{detail}"))
    return found


def enabled_spans(key: KeySnapshot, start: datetime, end: datetime,
                  switched: Sequence[Switch]) -> list[tuple[datetime, datetime]]:
    """The stretches automatic rotation was on. Before the first switch it was the opposite of that
    switch (a seeded key with rotation on and no calls was on throughout)."""
    on = (not switched[0][1]) if switched else key.rotation_enabled
    spans: list[tuple[datetime, datetime]] = []
    since = start
    for moment, turned_on, _ in switched:
        if on and not turned_on:
            spans.append((since, moment))
        if turned_on and not on:
            since = moment
        on = turned_on
    if on:
        spans.append((since, end))
    return [(a, b) for a, b in spans if b >= a]


def marks(key: KeySnapshot, switched: Sequence[Switch] = (), last: int | None = None) -> list[Mark]:
    """Every moment of `key`'s row, oldest first (the next rotation last among equals)."""
    found: list[Mark] = []
    if key.creation_date is not None:
        found.append(Mark("created", _utc(key.creation_date), f"created {when(key.creation_date)}"))
    for rotation in key.rotations[-last:] if last is not None else key.rotations:
        kind = "rotation-automatic" if rotation.type == "AUTOMATIC" else "rotation-on-demand"
        found.append(Mark(kind, _utc(rotation.date), f"{rotation.type} rotation {when(rotation.date)}"))
    if key.on_demand_started is not None:
        found.append(Mark("on-demand-started", _utc(key.on_demand_started),
                          f"ON_DEMAND rotation in progress since {when(key.on_demand_started)}"))
    for moment, on, label in switched:
        found.append(Mark("rotation-enabled" if on else "rotation-disabled", moment, f"{label} {when(moment)}"))
    if key.deletion_date is not None:
        deletion = _utc(key.deletion_date)
        found.append(Mark("deletion-scheduled", deletion, f"deletion scheduled for {when(deletion)}"))
    if key.next_rotation_date is not None:
        upcoming = _utc(key.next_rotation_date)
        found.append(Mark("next-rotation", upcoming, f"next rotation {when(upcoming)}"))
    return sorted(found, key=lambda mark: mark.date)


def key_label(key: KeySnapshot) -> str:
    """What a reader knows a key by: its first alias, else its key ID."""
    name = key.aliases[0] if key.aliases else key.key_id
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "\u2026"


def _rotation_counts(key: KeySnapshot) -> tuple[int, int]:
    """How many of the key's rotations were automatic, and how many on demand."""
    automatic = sum(1 for r in key.rotations if r.type == "AUTOMATIC")
    return automatic, len(key.rotations) - automatic


def _summary(key: KeySnapshot) -> str:
    automatic, on_demand = _rotation_counts(key)
    period = f"every {key.rotation_period_days} days" if key.rotation_enabled else "off"
    parts = [f"{key.key_id} ({', '.join(key.aliases) or 'no alias'})", key.key_state, f"automatic rotation {period}",
             f"{automatic} automatic and {on_demand} on-demand rotations"]
    if key.next_rotation_date is not None:
        parts.append(f"next rotation {when(key.next_rotation_date)}")
    if key.deletion_date is not None:
        parts.append(f"deletion scheduled for {when(key.deletion_date)}")
    if key.description:
        parts.append(f"description: {key.description}")
    return ", ".join(parts)


def description(seen: Inspection) -> str:
    """The picture in words (the SVG's <desc>): the clock, then one sentence per key."""
    keys = seen.keys[:MAX_KEYS]
    lines = [f"Rotation timeline of {len(seen.keys)} KMS key(s) at simulated time {when(seen.now)} UTC."]
    lines += [_summary(key) + "." for key in keys]
    if len(seen.keys) > len(keys):
        lines.append(f"{len(seen.keys) - len(keys)} more keys not shown.")
    return " ".join(lines)


class _Scale:
    def __init__(self, start: datetime, end: datetime) -> None:
        span = (end - start).total_seconds() or 86400.0
        pad = span * 0.03
        self.start = start.timestamp() - pad
        self.seconds = span + 2 * pad

    def x(self, moment: datetime) -> float:
        return round(PLOT_LEFT + (moment.timestamp() - self.start) / self.seconds * (PLOT_RIGHT - PLOT_LEFT), 1)


def _shape(kind: str, x: float, y: float) -> str:
    if kind == "created":
        return f'<circle cx="{x}" cy="{y}" r="4.5" fill="#444"/>'
    if kind == "rotation-automatic":
        return f'<path d="M{x} {y - 6}L{x + 5} {y}L{x} {y + 6}L{x - 5} {y}Z" fill="#1f6fd0"/>'
    if kind == "rotation-on-demand":
        return f'<path d="M{x} {y - 7}L{x + 6} {y + 5}L{x - 6} {y + 5}Z" fill="#e07b00"/>'
    if kind == "on-demand-started":
        return (f'<path d="M{x} {y - 7}L{x + 6} {y + 5}L{x - 6} {y + 5}Z" fill="none" stroke="#e07b00" '
                'stroke-width="1.5"/>')
    if kind in ("rotation-enabled", "rotation-disabled"):
        color = "#1a9641" if kind == "rotation-enabled" else "#888"
        return f'<rect x="{x - 1.5}" y="{y - 11}" width="3" height="22" fill="{color}"/>'
    if kind == "deletion-scheduled":
        return (f'<path d="M{x - 5} {y - 5}L{x + 5} {y + 5}M{x + 5} {y - 5}L{x - 5} {y + 5}" '
                'stroke="#c0392b" stroke-width="2.5"/>')
    # next-rotation
    return (f'<path d="M{x} {y - 6}L{x + 5} {y}L{x} {y + 6}L{x - 5} {y}Z" fill="#fff" stroke="#1f6fd0" '
            'stroke-width="1.5" stroke-dasharray="2 1"/>')


def _ticks(scale: _Scale, start: datetime, end: datetime, count: int = 5) -> list[str]:
    out = []
    for i in range(count):
        seconds = start.timestamp() + (end - start).total_seconds() * i / (count - 1)
        moment = datetime.fromtimestamp(seconds, timezone.utc)
        x = scale.x(moment)
        out.append(f'<line x1="{x}" y1="{TOP - 6}" x2="{x}" y2="{TOP}" stroke="#999"/>'
                   f'<text x="{x}" y="{TOP - 10}" text-anchor="middle" font-size="11" fill="#555">'
                   f'{moment.strftime("%Y-%m-%d")}</text>')
    return out


LAYERS = {"rotation-enabled": 0, "rotation-disabled": 0, "created": 1, "next-rotation": 2, "deletion-scheduled": 2,
          "rotation-automatic": 3, "on-demand-started": 3, "rotation-on-demand": 4}
LEGEND_ITEMS = (("created", "created"), ("rotation-automatic", "AUTOMATIC rotation"),
                ("rotation-on-demand", "ON_DEMAND rotation"), ("rotation-enabled", "rotation on"),
                ("rotation-disabled", "rotation off"), ("deletion-scheduled", "deletion"),
                ("next-rotation", "next rotation"))


def marks_per_row(rows: int) -> int:
    """How many rotation marks (the latest) each of `rows` rows draws."""
    return max(MIN_MARKS, min(MAX_MARKS, MARK_BUDGET // max(1, rows)))


def svg(seen: Inspection, *, ident: str = "rotation-timeline") -> str:
    """The timeline of every key (up to MAX_KEYS) as one standalone SVG document (no XML declaration)."""
    keys = seen.keys[:MAX_KEYS]
    now = _utc(seen.now)
    switched = switches(seen.calls)
    per_row = marks_per_row(len(keys))
    rows = [(key, marks(key, switched.get(key.arn, []), last=per_row)) for key in keys]
    moments = [now] + [mark.date for _, row in rows for mark in row]
    start, end = min(moments), max(moments)
    scale = _Scale(start, end)
    height = TOP + ROW * max(1, len(rows)) + LEGEND
    ident = "kms-" + re.sub(r"[^A-Za-z0-9_-]", "-", ident)  # an XML ID: unique per picture on the page
    title_id, desc_id = f"{ident}-title", f"{ident}-desc"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kms-rotation-timeline" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{title_id} {desc_id}" '
        'font-family="sans-serif">',
        f'<title id="{title_id}">KMS key rotation timeline (simulated now {when(now)} UTC)</title>',
        f'<desc id="{desc_id}">{text(description(seen))}</desc>',
        f'<rect width="{WIDTH}" height="{height}" fill="#fff"/>',
        *_ticks(scale, start, end),
    ]
    for index, (key, row) in enumerate(rows):
        y = TOP + ROW * index + ROW / 2
        out.append(f'<g class="key-row" data-key-id="{text(key.key_id)}">')
        out.append(f'<title>{text(_summary(key))}</title>')
        if index % 2:
            out.append(f'<rect x="0" y="{y - ROW / 2}" width="{WIDTH}" height="{ROW}" fill="#f6f7f9"/>')
        out.append(f'<text x="8" y="{y - 2}" font-size="12" fill="#222">{text(key_label(key))}</text>')
        known_by = f"{key.key_id[:8]} \u00b7 " if key.aliases else ""  # the label is the key ID already
        out.append(f'<text x="8" y="{y + 11}" font-size="10" fill="#777">{text(known_by + key.key_state)}</text>')
        born = _utc(key.creation_date) if key.creation_date is not None else start
        gone = _utc(key.deletion_date) if key.deletion_date is not None else end
        out.append(f'<line x1="{scale.x(born)}" y1="{y}" x2="{scale.x(max(born, gone))}" y2="{y}" stroke="#bbb" '
                   'stroke-width="2"/>')
        for a, b in enabled_spans(key, born, max(born, min(now, gone)), switched.get(key.arn, [])):
            width = max(scale.x(b) - scale.x(a), 1)
            out.append(f'<rect class="rotation-on" x="{scale.x(a)}" y="{y - 3}" width="{width}" height="6" '
                       'fill="#1a9641" opacity="0.35"/>')
        if len(key.rotations) > per_row:
            out.append(f'<text x="{PLOT_LEFT}" y="{y - 10}" font-size="9" fill="#777">'
                       f'({len(key.rotations) - per_row} earlier rotations not drawn)</text>')
        for mark in sorted(row, key=lambda m: LAYERS[m.kind]):  # rotations on top of what they share a day with
            x = scale.x(mark.date)
            out.append(f'<g class="mark {mark.kind}"><title>{text(mark.label)}</title>{_shape(mark.kind, x, y)}</g>')
        out.append("</g>")
    if not rows:
        out.append(f'<text x="{PLOT_LEFT}" y="{TOP + ROW / 2}" font-size="12" fill="#777">no keys</text>')
    x_now = scale.x(now)
    bottom = TOP + ROW * max(1, len(rows))
    out.append(f'<g class="now"><title>simulated now {when(now)} UTC</title>'
               f'<line x1="{x_now}" y1="{TOP - 4}" x2="{x_now}" y2="{bottom}" stroke="#c0392b" stroke-dasharray="4 3"/>'
               f'<text x="{x_now}" y="{bottom + 12}" text-anchor="middle" font-size="10" fill="#c0392b">now</text></g>')
    out.append(f'<g class="legend" transform="translate(8 {bottom + 30})">')
    x = 0.0
    for kind, label in LEGEND_ITEMS:
        out.append(f'{_shape(kind, x + 6, -4)}<text x="{x + 15}" y="0" font-size="10" fill="#444">{label}</text>')
        x += 18 + 6 * len(label)
    out.append("</g>")
    if len(seen.keys) > len(keys):
        out.append(f'<text x="{WIDTH - 8}" y="{height - 4}" text-anchor="end" font-size="10" fill="#777">'
                   f'({len(seen.keys) - len(keys)} more keys not shown)</text>')
    out.append("</svg>")
    return "".join(out)


def table(seen: Inspection) -> str:
    """The same timeline as a compact HTML table, for readers who cannot (or would rather not) see the picture."""
    head = ("Key", "Aliases", "State", "Created", "Automatic rotation", "Rotations", "Next rotation", "Deletion")
    rows = []
    for key in seen.keys[:MAX_KEYS]:
        automatic, on_demand = _rotation_counts(key)
        history = "; ".join(f"{r.type} {when(r.date)}" for r in key.rotations[-5:])
        cells = (
            key.key_id, ", ".join(key.aliases) or "-", key.key_state,
            when(key.creation_date) if key.creation_date is not None else "-",
            f"every {key.rotation_period_days}d" if key.rotation_enabled else "off",
            f"{automatic} automatic, {on_demand} on-demand"
            + (f" (last: {history})" if history else ""),
            when(key.next_rotation_date) if key.next_rotation_date is not None else "-",
            when(key.deletion_date) if key.deletion_date is not None else "-",
        )
        rows.append("<tr>" + "".join(f"<td>{text(cell)}</td>" for cell in cells) + "</tr>")
    caption = f"KMS keys at simulated time {when(seen.now)} UTC"
    return (f'<table class="kms-rotation-table"><caption>{text(caption)}</caption><thead><tr>'
            + "".join(f'<th scope="col">{h}</th>' for h in head) + "</tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def fragment(seen: Inspection, *, ident: str = "rotation-timeline") -> str:
    """What the HTML report shows: a heading, the picture, and the table folded away beneath it."""
    return (f'<div class="kms-rotation"><p><strong>kms-rotation timeline</strong></p>{svg(seen, ident=ident)}'
            f"<details><summary>the same as a table</summary>{table(seen)}</details></div>")
