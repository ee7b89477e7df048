"""pytest's assertion rewriting stays off the plugin's and the fake's modules (issue 17: plugin load).

An installed wheel is what makes pytest mark a plugin's package for rewriting; the editable
install this suite runs from is not marked, so the test builds the one thing pytest reads of a
wheel install: a distribution with a pytest11 entry point whose files include the package.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest


def _wheel_like_distribution(site: Path) -> None:
    """A distribution listing pytest_kmsrotate's files, as a wheel's RECORD does, beside a small
    plugin of its own (`wheel_helpers`), the control: pytest rewrites that one as usual."""
    info = site / "kmsrotate_wheel-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kmsrotate-wheel\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nwheel_helpers = wheel_helpers\n")
    (info / "RECORD").write_text(
        "pytest_kmsrotate/__init__.py,,\nwheel_helpers/__init__.py,,\nkmsrotate_wheel-1.0.dist-info/RECORD,,\n"
    )
    (site / "wheel_helpers").mkdir()
    (site / "wheel_helpers" / "__init__.py").write_text("")


def test_only_the_modules_imported_before_the_exemption_are_rewritten(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = pytester.path / "site"
    _wheel_like_distribution(site)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    pytester.makepyfile(
        textwrap.dedent(
            """
            import sys

            import boto3


            def rewritten():
                return sorted(name for name, module in list(sys.modules.items())
                              if name.startswith(("pytest_kmsrotate", "wheel_helpers"))
                              and type(getattr(module, "__loader__", None)).__name__ == "AssertionRewritingHook")


            def test_loaders(kms_rotation):
                boto3.client("kms", region_name="us-east-1").create_key()
                assert "pytest_kmsrotate._core.engine" in sys.modules
                print("REWRITTEN", ",".join(rewritten()))
            """
        )
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        # the control is rewritten, so pytest did mark the wheel's packages; of ours, only the two
        # package inits on the way to the exemption and the exempting module itself
        "*REWRITTEN pytest_kmsrotate,pytest_kmsrotate._pytest_plugin,"
        "pytest_kmsrotate._pytest_plugin.assertion_rewriting,wheel_helpers",
    ])
