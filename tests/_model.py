"""What the installed botocore's KMS model can express. Tests of anything else skip, and say why.

The plugin works with every botocore from pyproject's minimum to the newest; an older model lacks
newer operations, members and enum values (ML-KEM key specs, Encapsulate, DryRunModifiers, ...).
A test that needs one of them is marked with a helper below: with the newest botocore nothing is
skipped, with an older one the skip reason names the version and what its model lacks.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import botocore
import botocore.session
import pytest

VERSION = botocore.__version__


@functools.lru_cache(maxsize=1)
def _model() -> Any:
    return botocore.session.get_session().get_service_model("kms")


def enum_values(enum: str) -> tuple[str, ...]:
    """The values of the model's enum shape `enum` (none if the model has no such shape)."""
    model = _model()
    return tuple(model.shape_for(enum).enum) if enum in model.shape_names else ()


def has_value(enum: str, value: str) -> bool:
    return value in enum_values(enum)


def has_operation(name: str) -> bool:
    return name in _model().operation_names


def has_member(shape: str, member: str) -> bool:
    model = _model()
    return shape in model.shape_names and member in model.shape_for(shape).members


def requires_model(enum: str, *values: str) -> pytest.MarkDecorator:
    """Skip unless the installed model's enum `enum` has every one of `values`."""
    missing = [v for v in values if not has_value(enum, v)]
    return pytest.mark.skipif(
        bool(missing), reason=f"botocore {VERSION}'s KMS model has no {enum} value {', '.join(missing)}"
    )


def requires_operation(*names: str) -> pytest.MarkDecorator:
    missing = [n for n in names if not has_operation(n)]
    return pytest.mark.skipif(
        bool(missing), reason=f"botocore {VERSION}'s KMS model has no operation {', '.join(missing)}"
    )


def requires_member(shape: str, *members: str) -> pytest.MarkDecorator:
    missing = [m for m in members if not has_member(shape, m)]
    return pytest.mark.skipif(
        bool(missing), reason=f"botocore {VERSION}'s KMS model has no member {shape}.{', '.join(missing)}"
    )


def modelled(enum: str, values: Iterable[Any], *, key: Any = None) -> list[Any]:
    """`values` as parameters, each skipped where the model's `enum` lacks it (`key` picks the value
    out of a tuple parameter)."""
    params = []
    for value in values:
        name = value if key is None else key(value)
        args = value if isinstance(value, tuple) else (value,)
        params.append(pytest.param(*args, marks=requires_model(enum, name)))
    return params


def modelled_pairs(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """(key spec, key usage) parameters, each skipped where the model lacks the spec or the usage."""
    return [pytest.param(spec, usage, marks=[requires_model("KeySpec", spec), requires_model("KeyUsageType", usage)])
            for spec, usage in pairs]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:3] if part.isdigit())


def requires_botocore(version: str, why: str) -> pytest.MarkDecorator:
    """Skip with a botocore older than `version` (for checks of text quoted from that version's model)."""
    return pytest.mark.skipif(_version(VERSION) < _version(version),
                              reason=f"botocore {VERSION} is older than {version}: {why}")
