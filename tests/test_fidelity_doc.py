"""docs/fidelity.md stays checkable from the repository alone.

- every test a rule row names exists (file, and function or class where one is named);
- every rule row links to its evidence on the page, and every in-page link lands on an anchor;
- every fidelity label (`§3.2`, `§7 fn3`) cited in src/ or tests/ is a label on the page;
- every model constraint the page quotes still matches the installed botocore.

The checks are plain functions returning problems, so the tests at the end can feed them a small
synthetic page and prove that each one catches what it is meant to catch.
"""

from __future__ import annotations

import ast
import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests._model import requires_botocore

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "fidelity.md"
TESTS = ROOT / "tests"
# The page quotes the KMS model of this botocore (its Evidence section); an older one differs.
QUOTED_MODEL = requires_botocore("1.44.5", "docs/fidelity.md quotes the KMS model of botocore 1.44.5")

# `<a id="s14-8"></a>` followed by the visible label `§14.8` (optionally as a heading or in bold).
_ANCHOR = re.compile(r'<a id="(?P<id>[\w-]+)"></a>')
_LABEL_AFTER = re.compile(r"\s*(?:#{1,6}\s*)?(?:\*\*)?(?P<label>§\d+(?:\.\d+)*|fn\d+)")
_CITED = re.compile(r"§ ?(?P<number>\d+(?:\.\d+)*)(?: fn(?P<footnote>\d+))?")
_OTHER_DOCUMENT = re.compile(r"RFC \d+ $")  # "RFC 8032 §7.3" is a section of the RFC, not of the page
_LINK = re.compile(r"\]\(#(?P<anchor>[\w-]+)\)")
_TEST_PATH = re.compile(r"(?P<path>[\w./-]+\.(?:py|md))")
_TEST_NAME = re.compile(r"::(?P<name>\w+(?:::\w+)?)")


def label_of_anchor(anchor: str) -> str | None:
    """`s14-8` -> `§14.8`, `s7-fn3` -> `§7 fn3`; other anchors are not labels."""
    match = re.fullmatch(r"s(?P<number>\d+(?:-\d+)*)(?:-fn(?P<footnote>\d+))?", anchor)
    if match is None:
        return None
    label = "§" + match["number"].replace("-", ".")
    return f"{label} fn{match['footnote']}" if match["footnote"] else label


def labels(page: str) -> set[str]:
    return {label for m in _ANCHOR.finditer(page) if (label := label_of_anchor(m["id"]))}


def label_problems(page: str) -> list[str]:
    """Label anchors whose visible text disagrees with the id, and ids used twice."""
    problems = []
    seen: set[str] = set()
    for m in _ANCHOR.finditer(page):
        if m["id"] in seen:
            problems.append(f"anchor {m['id']} appears twice")
        seen.add(m["id"])
        label = label_of_anchor(m["id"])
        if label is None:
            continue
        shown = _LABEL_AFTER.match(page, m.end())
        expected = label.split(" ")[-1] if " fn" in label else label
        if shown is None or shown["label"] != expected:
            problems.append(f"anchor {m['id']} is not followed by its label {expected}")
    return problems


def cited_labels(text: str) -> set[str]:
    """The fidelity labels a source file cites: `§3.2`, `§ 5`, `§7 fn3` (not `RFC 8032 §7.3`)."""
    found = set()
    for m in _CITED.finditer(text):
        if _OTHER_DOCUMENT.search(text[max(0, m.start() - 16):m.start()]):
            continue
        found.add(f"§{m['number']}")
        if m["footnote"]:
            found.add(f"§{m['number']} fn{m['footnote']}")
    return found


def missing_labels(cited: Iterable[str], page: str) -> list[str]:
    present = labels(page)
    return sorted(set(cited) - present)


def broken_links(page: str) -> list[str]:
    anchors = {m["id"] for m in _ANCHOR.finditer(page)} | _heading_slugs(page)
    return sorted({m["anchor"] for m in _LINK.finditer(page)} - anchors)


def _heading_slugs(page: str) -> set[str]:
    # Python-Markdown's toc slugs for the headings linked by name (e.g. #known-gaps).
    return {re.sub(r"[\s]+", "-", re.sub(r"[^\w\s-]", "", h.strip().lower()))
            for h in re.findall(r"^#{1,6} (.+)$", page, re.M)}


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[str]
    header: list[str]

    def cell(self, *names: str) -> str:
        """The cell under the first column whose title starts with one of `names` (any case)."""
        for title, cell in zip(self.header, self.cells, strict=False):
            if title.lower().startswith(names):
                return cell
        return ""


def rule_rows(page: str) -> Iterator[Row]:
    """The rows of every table that has a column of pinning tests ('test that pins it')."""
    header: list[str] | None = None
    for number, line in enumerate(page.splitlines(), 1):
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]
        if header is None:
            header = cells
        elif not set(line) <= set("|-: ") and any("test" in title.lower() for title in header):
            yield Row(number, cells, header)


_EVIDENCE_COLUMNS = ("evidence", "spec source", "source")
_TESTS_COLUMNS = ("test that pins it", "pinning test", "test")
_CLAIM = re.compile(r"\b(?:OBS|MODEL|DOC\d*|3P|REC)\b")


def evidence_problems(page: str) -> list[str]:
    """Rule rows that claim evidence without showing it.

    A row shows its evidence by linking to the Evidence section of the page (`[§3.2](#s3-2)`) or by
    quoting it in the cell (backticks or quotation marks). A row that claims none (INF, a project
    requirement) needs neither, but an empty evidence cell is always a problem.
    """
    problems = []
    for row in rule_rows(page):
        evidence = row.cell(*_EVIDENCE_COLUMNS)
        shown = "](#" in evidence or "`" in evidence or '"' in evidence
        claimed = bool(_CLAIM.search(evidence) or cited_labels(evidence))
        if evidence.strip() in ("", "—", "-"):
            problems.append(f"line {row.line}: no evidence at all")
        elif claimed and not shown:
            problems.append(f"line {row.line}: {evidence!r} names evidence without showing it")
    return problems


def named_tests(page: str) -> Iterator[tuple[int, str, list[str]]]:
    """(line, path, names) for every test a rule row names."""
    for row in rule_rows(page):
        for part in row.cell(*_TESTS_COLUMNS).split(";"):
            paths = _TEST_PATH.findall(part)
            names = _TEST_NAME.findall(part)
            for n, path in enumerate(paths):
                yield row.line, path, names if n == 0 else []



def _defined(source: str) -> dict[str, set[str]]:
    """Top-level names of a test module, each with the names defined in its body (for classes)."""
    names: dict[str, set[str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = set()
        elif isinstance(node, ast.Assign):  # e.g. TestMachine = Machine.TestCase
            names.update({t.id: set() for t in node.targets if isinstance(t, ast.Name)})
    return names


def missing_tests(page: str, tests: Path, root: Path) -> list[str]:
    problems = []
    for line, path, names in named_tests(page):
        file = root / path if path.startswith("docs/") else tests / path
        if not file.is_file():
            problems.append(f"line {line}: {path} does not exist")
            continue
        if file.suffix != ".py":
            continue
        defined = _defined(file.read_text())
        for name in names:
            outer, _, inner = name.partition("::")
            if outer not in defined or (inner and inner not in defined[outer]):
                problems.append(f"line {line}: {path}::{name} does not exist")
    return problems


# -- model constraints ---------------------------------------------------------------------------

def model_constraints(page: str) -> list[tuple[str, str, str]]:
    start, end = "<!-- model-constraints:start -->", "<!-- model-constraints:end -->"
    assert start in page and end in page, "fidelity.md lacks the model-constraints markers"
    table = page.split(start, 1)[1].split(end, 1)[0]
    return re.findall(r"^\| `([\w.]+)` \| ([a-z ]+) \| `(.*)` \|$", table, re.M)


def _plain(documentation: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", documentation or "")).split())


def constraint_problems(constraints: Iterable[tuple[str, str, str]], model: object) -> list[str]:
    """Each quoted constraint against a botocore ServiceModel."""
    from botocore.model import ServiceModel

    assert isinstance(model, ServiceModel)
    problems = []
    for subject, kind, value in constraints:
        where = f"{subject} {kind} {value!r}"
        shape_name, _, member = subject.partition(".")
        try:
            if shape_name in model.operation_names:
                target: object = model.operation_model(shape_name)
            else:
                shape = model.shape_for(shape_name)
                target = shape.members[member] if member else shape  # type: ignore[attr-defined]
        except Exception as error:  # any failed look-up means the quote is stale
            problems.append(f"{where}: {subject} is not in the model ({error!r})")
            continue
        metadata = getattr(target, "metadata", {})
        if kind in ("min", "max"):
            ok = metadata.get(kind) == int(value)
        elif kind == "pattern":
            ok = metadata.get("pattern") == value
        elif kind == "enum":
            actual = list(getattr(target, "enum", []))
            listed = [v.strip() for v in value.split(",")]
            ok = set(listed) <= set(actual) and [v for v in actual if v in listed] == listed
        elif kind == "doc":
            ok = _plain(value) in _plain(getattr(target, "documentation", ""))
        elif kind == "errors":
            declared = {e.name for e in getattr(target, "error_shapes", [])}
            ok = {v.strip() for v in value.split(",")} <= declared
        elif kind == "no member":
            ok = value not in getattr(target, "members", {})
        elif kind == "http status":
            status = metadata.get("error", {}).get("httpStatusCode")
            ok = str(status).lower() == value
        else:
            problems.append(f"{where}: unknown constraint kind {kind!r}")
            continue
        if not ok:
            problems.append(f"{where}: the installed botocore says otherwise")
    return problems


# -- the page itself -----------------------------------------------------------------------------

def _sources() -> Iterator[Path]:
    for folder in (ROOT / "src", TESTS):
        for path in sorted(folder.rglob("*.py")):
            if path != Path(__file__).resolve():  # this file's synthetic pages cite made-up labels
                yield path


def test_every_named_test_exists() -> None:
    assert missing_tests(PAGE.read_text(), TESTS, ROOT) == []


def test_the_page_names_tests_at_all() -> None:
    # Guards the parser: a table format it no longer reads would make the check above vacuous.
    references = list(named_tests(PAGE.read_text()))
    assert len(references) > 100
    assert any(names for _, _, names in references)


def test_every_rule_row_links_to_its_evidence() -> None:
    page = PAGE.read_text()
    problems = evidence_problems(page)
    assert not problems, (
        "docs/fidelity.md: link each row to its evidence in the page's Evidence section "
        "([§3.2](#s3-2); add a §17.n entry for new evidence) or quote it in the cell:\n" + "\n".join(problems)
    )
    assert broken_links(page) == []
    assert label_problems(page) == []


def test_every_label_cited_in_the_code_is_on_the_page() -> None:
    page = PAGE.read_text()
    cited = {label for path in _sources() for label in cited_labels(path.read_text())}
    assert len(cited) > 10, "the source scan found almost nothing: is the pattern still right?"
    assert missing_labels(cited, page) == []


@QUOTED_MODEL
def test_the_model_constraints_match_the_installed_botocore() -> None:
    import botocore.session

    constraints = model_constraints(PAGE.read_text())
    assert len(constraints) > 50
    model = botocore.session.get_session().get_service_model("kms")
    assert constraint_problems(constraints, model) == []


# -- the checks catch what they should ------------------------------------------------------------

SYNTHETIC = """\
| operation | rule | evidence | test that pins it | decision if ambiguous |
|---|---|---|---|---|
| Enable | a rule | [§3.2](#s3-2) OBS | test_here.py::test_present, ::test_absent | — |
| Enable | a rule | [§3.2](#s3-2) OBS | test_gone.py::test_anything | — |
| Enable | a rule | OBS somewhere | test_here.py::Machine::test_method; docs/page.md (runs in test_here.py) | — |
| Enable | a rule | [§9.9](#s9-9) OBS | test_here.py::Machine::test_missing_method | — |
| Enable | a rule | INF | test_here.py::test_present | the reasoning |
| Enable | a rule | — | test_here.py::test_present | — |
| Enable | a rule | 3P: `Rate exceeded` (some/repo#12) | test_here.py::test_present | — |
| Enable | a rule | §3.2 | test_here.py::test_present | — |

<a id="s3"></a>

### §3 Section

<a id="s3-2"></a>**§3.2 A rule.** Evidence.

<a id="s7-fn3"></a>fn3: a footnote.

<a id="s4-1"></a>**§4.2 A mislabelled rule.**
"""


@pytest.fixture
def synthetic_repo(tmp_path: Path) -> tuple[Path, Path]:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "test_here.py").write_text(
        "def test_present():\n    pass\n\n\nclass Machine:\n    def test_method(self):\n        pass\n"
    )
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# page\n")
    return tests, tmp_path


def test_a_missing_test_file_or_function_is_reported(synthetic_repo: tuple[Path, Path]) -> None:
    tests, root = synthetic_repo
    assert missing_tests(SYNTHETIC, tests, root) == [
        "line 3: test_here.py::test_absent does not exist",
        "line 4: test_gone.py does not exist",
        "line 6: test_here.py::Machine::test_missing_method does not exist",
    ]


def test_a_test_that_exists_is_not_reported(synthetic_repo: tuple[Path, Path]) -> None:
    tests, root = synthetic_repo
    page = [*SYNTHETIC.split("\n")[:2], "| Enable | r | [§3](#s3) | test_here.py::test_present, ::Machine | — |"]
    assert missing_tests("\n".join(page), tests, root) == []


def test_a_row_without_evidence_and_a_dangling_link_are_reported() -> None:
    assert evidence_problems(SYNTHETIC) == [
        "line 5: 'OBS somewhere' names evidence without showing it",
        "line 8: no evidence at all",
        "line 10: '§3.2' names evidence without showing it",
    ]
    assert broken_links(SYNTHETIC) == ["s9-9"]


def test_a_label_that_disagrees_with_its_anchor_is_reported() -> None:
    assert label_problems(SYNTHETIC) == ["anchor s4-1 is not followed by its label §4.1"]


def test_a_cited_label_missing_from_the_page_is_reported() -> None:
    source = "# the rule (fidelity §3.2); see spec §3 and §7 fn3; also §14.8 and RFC 8032 §7.3\nx = 1  # § 5\n"
    assert cited_labels(source) == {"§3.2", "§3", "§7", "§7 fn3", "§14.8", "§5"}
    assert missing_labels(cited_labels(source), SYNTHETIC) == ["§14.8", "§5", "§7"]


@QUOTED_MODEL
def test_a_stale_model_constraint_is_reported() -> None:
    import botocore.session

    model = botocore.session.get_session().get_service_model("kms")
    stale = [
        ("EnableKeyRotationRequest.RotationPeriodInDays", "max", "2561"),
        ("ListKeyRotationsRequest.IncludeKeyMaterial", "enum", "ROTATIONS_ONLY, ALL_KEY_MATERIAL"),
        ("ConflictException", "doc", "within the next 30 minutes"),
        ("RotateKeyOnDemand", "errors", "ThrottlingException"),
        ("EncryptResponse", "no member", "KeyId"),
        ("NoSuchShape", "min", "1"),
    ]
    fresh = [
        ("EnableKeyRotationRequest.RotationPeriodInDays", "max", "2560"),
        ("ListKeyRotationsRequest.IncludeKeyMaterial", "enum", "ALL_KEY_MATERIAL, ROTATIONS_ONLY"),
        ("ConflictException", "doc", "scheduled to begin within the next 20 minutes."),
        ("RotateKeyOnDemand", "errors", "ConflictException, LimitExceededException"),
        ("EncryptResponse", "no member", "KeyMaterialId"),
    ]
    problems = constraint_problems(stale, model)
    assert [p.split(":")[0] for p in problems] == [f"{s} {k} {v!r}" for s, k, v in stale]
    assert constraint_problems(fresh, model) == []
