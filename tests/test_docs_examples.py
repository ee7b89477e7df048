"""The docs say only what is true: every example runs, and every list matches the code.

Conventions in README.md and docs/**/*.md:
- a ```python block that defines a `test_` function runs through pytester and must pass;
- a ```python block right after `<!-- file: NAME.py -->` is a module of that page: it is written
  beside every test block of the same page, so a test can import the code it tests;
- a ```python block right after `<!-- no-run -->` is only shown (e.g. it needs an API that does not
  exist yet); any other ```python block must at least compile;
- a test block right after `<!-- pytest: ARGS -->` runs with those pytest arguments (e.g.
  `-o asyncio_mode=auto`), in a run of its own with the page's other blocks of the same ARGS.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
_BLOCK = re.compile(r"(?:<!-- (?P<tag>file: [\w.]+|no-run|pytest: [^>\n]*?) -->\n)?```python\n(?P<code>.*?)```", re.S)


@dataclass(frozen=True)
class Block:
    where: str
    code: str
    tag: str | None

    @property
    def is_test(self) -> bool:
        return (self.tag is None or self.tag.startswith("pytest: ")) and "def test_" in self.code

    @property
    def pytest_args(self) -> tuple[str, ...]:
        return tuple(shlex.split(self.tag.removeprefix("pytest: "))) if self.tag and self.is_test else ()


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def _blocks(page: Path) -> list[Block]:
    where = page.relative_to(ROOT)
    return [Block(f"{where}#{n}", m["code"], m["tag"]) for n, m in enumerate(_BLOCK.finditer(page.read_text()))]


def _modules(page: Path) -> dict[str, str]:
    files = [b for b in _blocks(page) if b.tag and b.tag.startswith("file")]
    return {b.tag.split(": ")[1].removesuffix(".py"): b.code for b in files if b.tag}


def _examples() -> list[tuple[str, tuple[str, ...], list[str], dict[str, str]]]:
    """Per page and pytest arguments, its test blocks and its modules: one pytest run each keeps CI fast."""
    found = []
    for page in _pages():
        runs: dict[tuple[str, ...], list[str]] = {}
        for block in _blocks(page):
            if block.is_test:
                runs.setdefault(block.pytest_args, []).append(block.code)
        for args, tests in runs.items():
            where = str(page.relative_to(ROOT)) + (f" [{' '.join(args)}]" if args else "")
            found.append((where, args, tests, _modules(page)))
    return found


def _snippets() -> list[Block]:
    # Blocks that do not run as tests (modules, no-run blocks, fragments) must at least compile.
    return [b for page in _pages() for b in _blocks(page) if not b.is_test]


@pytest.mark.parametrize(("where", "args", "tests", "modules"), _examples(), ids=[e[0] for e in _examples()])
def test_documented_examples_pass(
    where: str, args: tuple[str, ...], tests: list[str], modules: dict[str, str], pytester: pytest.Pytester
) -> None:
    files = {f"test_example_{n}": code for n, code in enumerate(tests)}
    pytester.makepyfile(**files, **modules)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q", "-rs", *args)
    outcomes = result.parseoutcomes()
    assert result.ret == 0, f"{where} failed:\n" + "\n".join(result.outlines[-40:])
    # Only examples of optional integrations (moto) may skip, through pytest.importorskip.
    assert outcomes.get("passed", 0) + outcomes.get("skipped", 0) >= len(tests)
    assert outcomes.get("passed", 0) >= 1 or outcomes.get("skipped", 0) == len(tests)
    if outcomes.get("skipped"):
        pytest.skip(f"{where}: " + "; ".join(line for line in result.outlines if "SKIPPED" in line))


@pytest.mark.parametrize("block", _snippets(), ids=[b.where for b in _snippets()])
def test_documented_snippet_compiles(block: Block) -> None:
    compile(block.code, block.where, "exec")


def test_the_test_blocks_are_found() -> None:
    # Guards the harness itself: a regex that matches nothing would make every check above vacuous.
    where = {e[0] for e in _examples()}
    assert {"README.md", "docs/tutorial.md", "docs/howto/testing-a-rotation-job.md", "docs/time.md"} <= where
    assert "docs/async.md [-o asyncio_mode=auto]" in where  # a `<!-- pytest: ARGS -->` tag is read


def _between(page: Path, name: str) -> str:
    text = page.read_text()
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    assert start in text and end in text, f"{page.name} lacks the {name} markers"
    return text.split(start, 1)[1].split(end, 1)[0]


def test_reference_lists_exactly_the_supported_operations() -> None:
    from pytest_kmsrotate._core.engine import Engine

    documented = re.findall(r"^- `(\w+)`", _between(DOCS / "reference.md", "operations"), re.M)
    assert documented == sorted(documented), "keep the list sorted"
    assert set(documented) == set(Engine().operations)
    assert len(documented) == len(Engine().operations)


def test_reference_lists_exactly_the_ini_options() -> None:
    from pytest_kmsrotate._pytest_plugin.settings import SETTINGS, ini_name

    rows = re.findall(r"^\| `(kms_rotation_\w+)` \| `([^`]*)` \|", _between(DOCS / "reference.md", "ini"), re.M)
    assert [name for name, _ in rows] == [ini_name(s.name) for s in SETTINGS]


def test_mkdocs_nav_names_every_page() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    missing = sorted(p for p in pages if p not in nav)
    assert not missing, f"mkdocs.yml nav lacks {missing}"


@pytest.mark.skipif(shutil.which("mkdocs") is None and not (Path(sys.executable).parent / "mkdocs").exists(),
                    reason="mkdocs is not installed (pip install -e '.[docs]')")
def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    command = [str(mkdocs) if mkdocs.exists() else "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("retries", "calls"),
    [
        ({"mode": "standard", "max_attempts": 1}, 2),  # counts retries: one retry, two calls
        ({"mode": "standard", "max_attempts": 0}, 1),
        ({"mode": "standard", "total_max_attempts": 1}, 1),
        ({"mode": "standard"}, 3),
    ],
)
def test_the_retry_advice_in_the_howtos_is_what_botocore_does(retries: dict[str, object], calls: int) -> None:
    """docs/howto/testing-a-rotation-job.md and surviving-throttling-and-500s.md: how to give up at once."""
    import boto3
    from botocore.config import Config as BotoConfig

    from pytest_kmsrotate import KmsRotation

    with KmsRotation(freeze_time=False) as fake:
        kms = boto3.client("kms", region_name="us-east-1", config=BotoConfig(retries=retries))
        fake.inject_fault("ListKeys", "ThrottlingException", times=None)
        with pytest.raises(kms.exceptions.ClientError):
            kms.list_keys()
        assert [c.operation for c in fake.calls] == ["ListKeys"] * calls
    advice = [(DOCS / "howto" / page).read_text() for page in
              ("testing-a-rotation-job.md", "surviving-throttling-and-500s.md")]
    assert all('"total_max_attempts": 1' in text for text in advice)
