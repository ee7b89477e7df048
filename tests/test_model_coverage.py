"""Every operation of the installed botocore KMS model is answered by the fake or is a known gap.

The known gaps are the list in docs/reference.md, each with its reason. An operation a new
botocore adds is neither, and fails here until it is answered or listed; a gap that has since
been implemented fails here too, so the list never goes stale.
"""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
import pytest

from pytest_kmsrotate import KmsRotation, NotImplementedByFake
from pytest_kmsrotate._core.engine import Engine
from tests._model import requires_operation

REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "reference.md"
MODEL_OPERATIONS = frozenset(botocore.session.get_session().get_service_model("kms").operation_names)


def known_gaps() -> dict[str, str]:
    """Operation -> reason, from the gaps list in docs/reference.md."""
    text = REFERENCE.read_text()
    section = text.split("<!-- gaps:start -->", 1)[1].split("<!-- gaps:end -->", 1)[0]
    entries = re.findall(r"^- `(\w+)`: (.+)$", section, re.M)
    assert len(entries) == len([line for line in section.splitlines() if line.strip()]), "one gap per line"
    return dict(entries)


def test_every_model_operation_is_answered_or_a_known_gap() -> None:
    answered, gaps = Engine().operations, known_gaps()
    unaccounted = sorted(MODEL_OPERATIONS - answered - set(gaps))
    assert not unaccounted, f"botocore's KMS model has operations the fake neither answers nor lists: {unaccounted}"


def test_no_known_gap_is_answered_and_every_gap_is_in_the_model() -> None:
    answered, gaps = Engine().operations, known_gaps()
    assert not answered & set(gaps), "implemented operations still listed as gaps"
    assert set(gaps) <= MODEL_OPERATIONS, "gaps listed that botocore's model does not have"
    assert list(gaps) == sorted(gaps), "keep the gap list sorted"
    assert all(reason.strip() for reason in gaps.values())


# Operations the engine answers that botocore 1.38.31 (the declared minimum) lacks; with such a
# model no door routes them (tests/test_model_range.py), and this check runs with newer ones.
@requires_operation("Decapsulate", "Encapsulate", "GetKeyLastUsage")
def test_the_fake_answers_nothing_the_model_lacks() -> None:
    assert Engine().operations <= MODEL_OPERATIONS


def test_a_known_gap_raises_not_implemented_by_fake() -> None:
    # Every listed gap (none today), and an operation of the model the engine lacks, as a future one.
    for operation in [*known_gaps(), "CreateGrant"]:
        with KmsRotation() as fake:
            fake.engine._operations.pop(operation, None)
            with pytest.raises(NotImplementedByFake) as excinfo:
                fake.engine.execute(operation, {})
        assert excinfo.value.operation == operation


# A success is checked against the output shape by naming its operation in one of these helpers
# (tests/conftest.py, tests/_rotation_support.py and the `shape_checked` fixture).
_SHAPE_CHECK = re.compile(r"\b(?:assert_matches_output_shape|ok|shape_checked|checked)\(\s*\"(\w+)\"")
TESTS = Path(__file__).resolve().parent


def test_every_answered_operation_has_a_success_checked_against_its_output_shape() -> None:
    # Issue 15: a test per operation whose success is validated against botocore's output shape.
    # Parametrized checks over the model (test_dry_run.py, test_grant_tokens.py) are there too, but
    # each operation must also be named in a test of its own.
    named = {m for path in TESTS.rglob("*.py") for m in _SHAPE_CHECK.findall(path.read_text())}
    missing = sorted(Engine().operations - named)
    assert not missing, f"operations without a shape-checked success in any test: {missing}"
