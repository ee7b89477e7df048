"""IAM's Condition element: operators evaluated against a request's context values.

Rules from the IAM JSON policy reference ("Condition operators", "Conditions with multiple
context keys or values"):
- operators AND together, keys within an operator AND together, values of a key OR together;
  a negated operator (`StringNotEquals`, `ArnNotLike`, ...) NORs its values;
- a key absent from the request makes a positive operator false and a negated one true, except
  `...IfExists` (absent: true) and `Null` (tests presence itself);
- `ForAnyValue:` holds if any request value matches (absent: false); `ForAllValues:` holds if
  every request value matches (absent or empty: true).
An operator the fake does not know, or a malformed value, makes the condition false: the
statement cannot match, so an Allow grants nothing and a Deny denies nothing (docs/fidelity.md,
"Key policies and callers").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone

from .policy_language import wildcard

# Request context values: every key maps to one or more strings (multi-valued keys: several).
Context = Mapping[str, Sequence[str]]
_Compare = Callable[[str, str], bool]


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> float:
    if text.replace(".", "", 1).isdigit():
        return float(text)  # epoch seconds are allowed in Date conditions
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _arn_like(pattern: str, value: str) -> bool:
    # ArnLike matches each of the six colon-separated parts on its own, with wildcards.
    wanted, got = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(got) == 6 and all(wildcard(w, g) for w, g in zip(wanted, got, strict=True))


# Positive base operators; each `Not` form is the negation of one of these.
_BASE: dict[str, _Compare] = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: wildcard(p, v),
    "NumericEquals": lambda p, v: _number(v) == _number(p),
    "NumericLessThan": lambda p, v: _number(v) < _number(p),
    "NumericLessThanEquals": lambda p, v: _number(v) <= _number(p),
    "NumericGreaterThan": lambda p, v: _number(v) > _number(p),
    "NumericGreaterThanEquals": lambda p, v: _number(v) >= _number(p),
    "DateEquals": lambda p, v: _date(v) == _date(p),
    "DateLessThan": lambda p, v: _date(v) < _date(p),
    "DateLessThanEquals": lambda p, v: _date(v) <= _date(p),
    "DateGreaterThan": lambda p, v: _date(v) > _date(p),
    "DateGreaterThanEquals": lambda p, v: _date(v) >= _date(p),
    "Bool": lambda p, v: p.lower() == v.lower(),
    "ArnEquals": lambda p, v: p == v,
    "ArnLike": _arn_like,
}
_NEGATED: dict[str, str] = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _lookup(context: Context, key: str) -> Sequence[str] | None:
    # Condition key names are case-insensitive (IAM reference: "Condition key names are not case-sensitive").
    values = context.get(key)
    if values is not None:
        return values
    lowered = key.lower()
    for name, found in context.items():
        if name.lower() == lowered:
            return found
    return None


def _matches(compare: _Compare, wanted: Sequence[str], value: str) -> bool:
    try:
        return any(compare(p, value) for p in wanted)
    except ValueError:
        return False  # a value that is not a number or date matches nothing


def _operator_holds(operator: str, pairs: Mapping[str, Sequence[str]], context: Context) -> bool:
    qualifier = ""
    if operator.startswith(("ForAnyValue:", "ForAllValues:")):
        qualifier, operator = operator.split(":", 1)
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    if if_exists:
        operator = operator[: -len("IfExists")]
    for key, wanted in pairs.items():
        values = _lookup(context, key)
        if operator == "Null":
            if wanted[0].lower() not in ("true", "false"):
                return False
            if (values is None or not values) != (wanted[0].lower() == "true"):
                return False
            continue
        negated = operator in _NEGATED
        compare = _BASE.get(_NEGATED.get(operator, operator))
        if compare is None:
            return False  # an operator the fake does not know cannot match
        if values is None or not values:
            if if_exists or qualifier == "ForAllValues":
                continue
            if qualifier == "ForAnyValue":
                return False
            if negated:
                continue
            return False
        hits = [_matches(compare, wanted, value) for value in values]
        if qualifier == "ForAllValues":
            held = all(not h for h in hits) if negated else all(hits)
        elif negated:
            held = not any(hits)
        else:
            held = any(hits)  # ForAnyValue, and a single-valued key
        if not held:
            return False
    return True


def conditions_hold(conditions: Mapping[str, Mapping[str, Sequence[str]]], context: Context) -> bool:
    return all(_operator_holds(operator, pairs, context) for operator, pairs in conditions.items())
