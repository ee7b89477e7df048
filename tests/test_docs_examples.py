"""Every Python example in the README and docs/ that defines a test runs, and passes, as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)


def _examples() -> list[tuple[str, str]]:
    found = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for n, block in enumerate(_BLOCK.findall(doc.read_text())):
            if "def test_" in block:
                found.append((f"{doc.relative_to(ROOT)}#{n}", block))
    return found


@pytest.mark.parametrize(("where", "code"), _examples(), ids=[w for w, _ in _examples()])
def test_documented_example_passes(where: str, code: str, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_example=code)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q")
    assert result.ret == 0, f"{where} failed:\n" + "\n".join(result.outlines[-30:])
    assert result.parseoutcomes().get("passed", 0) >= 1
