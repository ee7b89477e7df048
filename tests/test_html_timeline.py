"""The rotation timeline in pytest-html's report: the SVG renderer on its own, then whole runs."""

from __future__ import annotations

import html
import json
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_kmsrotate._core.calls import CallRecord
from pytest_kmsrotate._core.config import Config
from pytest_kmsrotate._core.engine import Engine
from pytest_kmsrotate._core.inspection import Inspection, KeySnapshot, RotationRecord
from pytest_kmsrotate._pytest_plugin import timeline
from pytest_kmsrotate._pytest_plugin.report import MAX_KEYS

SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def key(n: int = 0, **changes: Any) -> KeySnapshot:
    base = KeySnapshot(
        arn=f"arn:aws:kms:us-east-1:111122223333:key/{n:08d}-0000-0000-0000-000000000000",
        key_id=f"{n:08d}-0000-0000-0000-000000000000", region="us-east-1", key_state="Enabled", aliases=(),
        rotation_enabled=False, rotation_period_days=None, next_rotation_date=None, rotations=(),
        current_material_id="m0", material_ids=("m0",), on_demand_used=0, on_demand_limit=10,
        on_demand_started=None, creation_date=T0, description="", deletion_date=None,
    )
    return replace(base, **changes)


def rotations(automatic: int, on_demand: int) -> tuple[RotationRecord, ...]:
    made = [RotationRecord("AUTOMATIC", T0 + timedelta(days=90 * (i + 1)), f"a{i}") for i in range(automatic)]
    made += [RotationRecord("ON_DEMAND", T0 + timedelta(days=7 * (i + 1)), f"o{i}") for i in range(on_demand)]
    return tuple(sorted(made, key=lambda r: r.date))


def call(operation: str, snapshot: KeySnapshot, days: float, ok: bool = True, **params: Any) -> CallRecord:
    from pytest_kmsrotate._core.errors import KMSError

    error = None if ok else KMSError("KMSInvalidStateException", "nope")
    return CallRecord(operation, {"KeyId": snapshot.key_id, **params}, "us-east-1", T0 + timedelta(days=days),
                      error=error, key_arn=snapshot.arn)


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything not well-formed
    assert root.tag == f"{SVG}svg"
    return root


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


# --- the renderer ---------------------------------------------------------------------------------


def test_one_row_per_key_with_its_rotation_marks_counted_by_kind() -> None:
    first = key(1, rotation_enabled=True, rotation_period_days=90, rotations=rotations(3, 2),
                next_rotation_date=T0 + timedelta(days=360), aliases=("alias/orders",))
    second = key(2, rotations=rotations(0, 1))
    third = key(3, key_state="PendingDeletion", deletion_date=T0 + timedelta(days=40))
    calls = (call("EnableKeyRotation", first, 0, RotationPeriodInDays=90), call("DisableKeyRotation", first, 100),
             call("EnableKeyRotation", first, 120), call("EnableKeyRotation", second, 1, ok=False))
    root = parse(timeline.svg(Inspection(T0 + timedelta(days=300), (first, second, third), calls)))

    rows = by_class(root, "key-row")
    assert [row.get("data-key-id") for row in rows] == [first.key_id, second.key_id, third.key_id]

    def count(row: ET.Element, kind: str) -> int:
        return len(by_class(row, kind))

    assert [count(row, "rotation-automatic") for row in rows] == [3, 0, 0]
    assert [count(row, "rotation-on-demand") for row in rows] == [2, 1, 0]
    assert [count(row, "rotation-enabled") for row in rows] == [2, 0, 0]  # the failed call switched nothing
    assert [count(row, "rotation-disabled") for row in rows] == [1, 0, 0]
    assert [count(row, "next-rotation") for row in rows] == [1, 0, 0]
    assert [count(row, "deletion-scheduled") for row in rows] == [0, 0, 1]
    assert [count(row, "created") for row in rows] == [1, 1, 1]
    assert len(by_class(root, "now")) == 1
    # Each mark says what it is in words (a tooltip; what a screen reader reads).
    labels = [mark.findtext(f"{SVG}title") for mark in by_class(rows[0], "mark")]
    assert "AUTOMATIC rotation 2024-03-31 00:00:00" in labels
    assert "EnableKeyRotation every 90d 2024-01-01 00:00:00" in labels
    assert "next rotation 2024-12-26 00:00:00" in labels


def test_the_picture_has_a_title_and_a_description_it_is_labelled_by() -> None:
    snapshot = key(1, rotations=rotations(2, 1), aliases=("alias/a", "alias/b"))
    root = parse(timeline.svg(Inspection(T0, (snapshot,), ()), ident="tests/x.py::test_y-call"))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert (root.get("aria-labelledby") or "").split() == [title.get("id"), desc.get("id")]
    assert title.get("id") == "kms-tests-x-py--test_y-call-title"  # a valid XML ID, unique per test and phase
    assert title.text == "KMS key rotation timeline (simulated now 2024-01-01 00:00:00 UTC)"
    assert desc.text is not None
    assert "1 KMS key(s)" in desc.text
    assert f"{snapshot.key_id} (alias/a, alias/b), Enabled, automatic rotation off, " \
           "2 automatic and 1 on-demand rotations" in desc.text


ODD = "alias/<b>&\"quoted\"'</svg>]]>"


def test_odd_aliases_and_descriptions_are_escaped() -> None:
    snapshot = key(1, aliases=(ODD,), description="<script>alert(1)</script> & \x01\x1b control")
    svg = timeline.svg(Inspection(T0, (snapshot,), ()))
    root = parse(svg)
    assert "<script>" not in svg and "<b>" not in svg
    desc = root.findtext(f"{SVG}desc") or ""
    assert ODD in desc  # escaped on the way in, the same text on the way out
    assert "<script>alert(1)</script> & \ufffd\ufffd control" in desc  # XML cannot carry \x01 at all
    assert by_class(root, "key-row")[0].findall(f"{SVG}text")[0].text == ODD
    long = key(2, aliases=("alias/" + "x" * 40,))
    label = by_class(parse(timeline.svg(Inspection(T0, (long,), ()))), "key-row")[0].findall(f"{SVG}text")[0].text
    assert label == ("alias/" + "x" * 40)[: timeline.LABEL_CHARS - 1] + "\u2026"
    table = ET.fromstring(timeline.table(Inspection(T0, (snapshot,), ())))
    assert [td.text for td in table.iter("td")][1] == ODD


def test_the_table_has_one_row_per_key_and_the_fragment_is_well_formed() -> None:
    keys = (key(1, rotation_enabled=True, rotation_period_days=365, rotations=rotations(1, 1),
                next_rotation_date=T0 + timedelta(days=365)), key(2))
    seen = Inspection(T0 + timedelta(days=100), keys, ())
    table = ET.fromstring(timeline.table(seen))
    body = table.find("tbody")
    assert body is not None
    cells = [[td.text for td in row] for row in body]
    assert [row[0] for row in cells] == [keys[0].key_id, keys[1].key_id]
    history = "(last: ON_DEMAND 2024-01-08 00:00:00; AUTOMATIC 2024-03-31 00:00:00)"
    assert cells[0][4:7] == ["every 365d", f"1 automatic, 1 on-demand {history}", "2024-12-31 00:00:00"]
    assert cells[1][4:8] == ["off", "0 automatic, 0 on-demand", "-", "-"]
    whole = ET.fromstring(timeline.fragment(seen))
    assert len(whole.findall(f"{SVG}svg")) == 1 and len(whole.findall("details/table")) == 1


def test_enabled_spans_start_from_what_the_first_switch_undid() -> None:
    end = T0 + timedelta(days=10)
    seeded_on = key(rotation_enabled=True)
    assert timeline.enabled_spans(seeded_on, T0, end, []) == [(T0, end)]
    assert timeline.enabled_spans(key(), T0, end, []) == []
    day = [T0 + timedelta(days=d) for d in range(10)]
    # Disabled at day 2 (so on from creation), enabled again at day 5 and still on.
    assert timeline.enabled_spans(key(), T0, end, [(day[2], False, ""), (day[5], True, "")]) == [
        (T0, day[2]), (day[5], end)]
    # Enabling twice does not restart the span.
    assert timeline.enabled_spans(key(), T0, end, [(day[1], True, ""), (day[3], True, "")]) == [(day[1], end)]


def test_a_century_of_rotations_draws_the_last_few_hundred_and_says_so() -> None:
    many = tuple(RotationRecord("AUTOMATIC", T0 + timedelta(days=90 * i), f"m{i}") for i in range(1, 406))
    root = parse(timeline.svg(Inspection(T0 + timedelta(days=36500), (key(rotations=many),), ())))
    assert len(by_class(root, "rotation-automatic")) == timeline.MAX_MARKS
    assert any(t.text == f"({405 - timeline.MAX_MARKS} earlier rotations not drawn)" for t in root.iter(f"{SVG}text"))


def test_many_keys_share_a_budget_of_marks() -> None:
    keys = tuple(key(n, rotations=rotations(100, 0)) for n in range(50))
    root = parse(timeline.svg(Inspection(T0 + timedelta(days=9000), keys, ())))
    per_row = timeline.MARK_BUDGET // 50
    assert timeline.marks_per_row(50) == per_row < 100
    assert [len(by_class(row, "rotation-automatic")) for row in by_class(root, "key-row")] == [per_row] * 50
    assert timeline.marks_per_row(1000) == timeline.MIN_MARKS
    assert timeline.marks_per_row(0) == timeline.marks_per_row(1) == timeline.MAX_MARKS


def test_many_keys_and_no_keys() -> None:
    crowd = tuple(key(n) for n in range(MAX_KEYS + 3))
    root = parse(timeline.svg(Inspection(T0, crowd, ())))
    assert len(by_class(root, "key-row")) == MAX_KEYS
    assert any(t.text == "(3 more keys not shown)" for t in root.iter(f"{SVG}text"))
    empty = parse(timeline.svg(Inspection(T0, (), ())))
    assert by_class(empty, "key-row") == []


def test_a_real_engine_snapshot_carries_creation_description_and_deletion() -> None:
    engine = Engine(Config(seed="timeline"))
    arn = engine.execute("CreateKey", {"Description": "orders <key>"})["KeyMetadata"]["Arn"]
    engine.execute("EnableKeyRotation", {"KeyId": arn, "RotationPeriodInDays": 90})
    engine.execute("RotateKeyOnDemand", {"KeyId": arn})
    engine.clock.advance(days=100)
    engine.execute("ScheduleKeyDeletion", {"KeyId": arn, "PendingWindowInDays": 7})
    seen = engine.inspect()
    (snapshot,) = seen.keys
    assert snapshot.description == "orders <key>"
    assert snapshot.creation_date == T0
    assert snapshot.deletion_date == T0 + timedelta(days=107)
    root = parse(timeline.svg(seen))
    assert [len(by_class(root, kind)) for kind in ("rotation-automatic", "rotation-on-demand",
                                                       "rotation-enabled", "deletion-scheduled")] == [1, 1, 1, 1]
    assert "description: orders <key>" in (root.findtext(f"{SVG}desc") or "")


# --- whole runs with pytest-html ----------------------------------------------------------------------

SUITE = """
    import boto3
    import pytest

    def test_rotation_job(kms_rotation):
        kms = boto3.client("kms", region_name="us-east-1")
        key = kms.create_key(Description="orders & <more>")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/orders", TargetKeyId=key)
        kms.enable_key_rotation(KeyId=key, RotationPeriodInDays=90)
        kms.rotate_key_on_demand(KeyId=key)
        kms_rotation.clock.advance(days=200)
        assert False

    def test_passes(kms_rotation):
        boto3.client("kms", region_name="us-east-1").create_key()

    def test_fails_without_the_fake():
        assert False

    @pytest.fixture
    def broken(kms_rotation):
        raise RuntimeError("fixture broke")

    def test_setup_error(broken):
        pass

    @pytest.fixture
    def breaks_after(kms_rotation):
        yield
        raise RuntimeError("teardown broke")

    def test_teardown_error(breaks_after):
        pass
"""
HTML_ARGS = ("-p", "no:randomly", "--html=report.html", "--self-contained-html")


def timelines(report: Path) -> dict[str, list[str]]:
    """Test ID -> the SVG documents in its row of pytest-html's report (the report's data is one JSON blob)."""
    blob = re.search(r'data-jsonblob="([^"]*)"', report.read_text(encoding="utf-8"))
    assert blob is not None
    data = json.loads(html.unescape(blob.group(1)))
    found: dict[str, list[str]] = {}
    for rows in data["tests"].values():
        for row in rows:
            test_id = re.sub(r"<[^>]+>", "", row["resultsTableRow"][1])
            svgs = [svg for extra in row["extras"] if extra["format_type"] == "html"
                    for svg in re.findall(r"<svg.*?</svg>", extra["content"], re.S)]
            found[html.unescape(test_id)] = svgs
    return found


def test_a_failing_test_that_used_the_fake_gets_the_timeline(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess(*HTML_ARGS)
    result.assert_outcomes(passed=2, failed=2, errors=2)
    result.stdout.fnmatch_lines(["*- kms-rotation -*", "clock 2024-07-19 00:00:00 UTC*"])  # the text stays
    found = timelines(pytester.path / "report.html")
    job = found["test_a_failing_test_that_used_the_fake_gets_the_timeline.py::test_rotation_job"]
    assert len(job) == 1
    root = parse(job[0])
    (row,) = by_class(root, "key-row")
    assert len(by_class(row, "rotation-on-demand")) == 1 and len(by_class(row, "rotation-automatic")) == 2
    assert "description: orders & <more>" in (root.findtext(f"{SVG}desc") or "")
    by_name = {test_id.split("::", 1)[1]: svgs for test_id, svgs in found.items()}
    assert by_name["test_passes"] == []
    assert by_name["test_fails_without_the_fake"] == []
    # A failing set-up or tear-down that used the fake gets one too (the stashed fake is still there);
    # pytest-html shows a test's extras on each of its rows, so the passing call row of the
    # tear-down failure shows it as well.
    assert len(by_name["test_setup_error::setup"]) == 1
    assert len(by_name["test_teardown_error::teardown"]) == 1


def test_the_timeline_survives_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess(*HTML_ARGS, "-n", "2")
    result.assert_outcomes(passed=2, failed=2, errors=2)
    found = timelines(pytester.path / "report.html")
    assert len(found["test_the_timeline_survives_xdist.py::test_rotation_job"]) == 1
    assert found["test_the_timeline_survives_xdist.py::test_passes"] == []


BLOCK_PYTEST_HTML = """
    import sys

    class NoPytestHtml:
        def find_spec(self, name, path=None, target=None):
            if name == "pytest_html" or name.startswith("pytest_html."):
                raise ImportError("pytest-html is not installed (in this test)")
            return None

    sys.meta_path.insert(0, NoPytestHtml())

    def pytest_sessionfinish(session):
        loaded = sorted(m for m in sys.modules if m.endswith("html_report"))
        print(f"\\nhtml_report loaded: {loaded}")
"""


def test_without_pytest_html_the_text_report_is_all(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(BLOCK_PYTEST_HTML)
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:html", "-s")
    result.assert_outcomes(passed=2, failed=2, errors=2)
    result.stdout.fnmatch_lines(["*- kms-rotation -*", "clock 2024-07-19 00:00:00 UTC*"])
    result.stdout.fnmatch_lines(["html_report loaded: []"])  # printed before the failures
    assert not (pytester.path / "report.html").exists()


def test_installed_but_not_asked_for_a_report_nothing_is_registered(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import sys

        def pytest_sessionfinish(session):
            registered = session.config.pluginmanager.has_plugin("kmsrotate-html")
            loaded = sorted(m for m in sys.modules if m.endswith(("html_report", "timeline")))
            print(f"\\nregistered: {registered}, loaded: {loaded}")
    """)
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s", "-k", "rotation_job")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["registered: False, loaded: []"])


# --- the picture in docs/reference.md ---------------------------------------------------------------

DOCS_PICTURE = Path(__file__).resolve().parent.parent / "docs" / "img" / "rotation-timeline.svg"


def docs_scenario() -> Inspection:
    engine = Engine(Config(seed="docs-timeline"))
    orders = engine.execute("CreateKey", {"Description": "orders"})["KeyMetadata"]["Arn"]
    engine.execute("CreateAlias", {"AliasName": "alias/orders", "TargetKeyId": orders})
    engine.execute("EnableKeyRotation", {"KeyId": orders, "RotationPeriodInDays": 90})
    engine.execute("RotateKeyOnDemand", {"KeyId": orders})
    engine.clock.advance(days=200)
    engine.execute("DisableKeyRotation", {"KeyId": orders})
    engine.clock.advance(days=50)
    engine.execute("EnableKeyRotation", {"KeyId": orders, "RotationPeriodInDays": 120})
    legacy = engine.execute("CreateKey", {"Description": "legacy"})["KeyMetadata"]["Arn"]
    engine.execute("CreateAlias", {"AliasName": "alias/legacy", "TargetKeyId": legacy})
    engine.clock.advance(days=20)
    engine.execute("ScheduleKeyDeletion", {"KeyId": legacy, "PendingWindowInDays": 30})
    return engine.inspect()


def test_the_docs_picture_is_what_the_renderer_draws() -> None:
    drawn = timeline.svg(docs_scenario(), ident="docs") + "\n"
    if os.environ.get("KMSROTATE_REDRAW_DOCS") == "1":
        DOCS_PICTURE.write_text(drawn, encoding="utf-8")
    assert DOCS_PICTURE.read_text(encoding="utf-8") == drawn, (
        "docs/img/rotation-timeline.svg is out of date: KMSROTATE_REDRAW_DOCS=1 pytest "
        "tests/test_html_timeline.py -k docs_picture redraws it")


def test_a_picture_that_cannot_be_drawn_says_so_and_the_run_goes_on(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        from pytest_kmsrotate._pytest_plugin import timeline

        def broken(seen, ident):
            raise ValueError("<no picture>")

        timeline.fragment = broken
    """)
    pytester.makepyfile(SUITE)
    result = pytester.runpytest_subprocess(*HTML_ARGS, "-k", "rotation_job or passes")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*- kms-rotation -*"])
    blob = re.search(r'data-jsonblob="([^"]*)"', (pytester.path / "report.html").read_text(encoding="utf-8"))
    assert blob is not None
    assert "could not be drawn (ValueError(&#x27;&lt;no picture&gt;&#x27;))" in html.unescape(blob.group(1))
