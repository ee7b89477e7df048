"""Node's @aws-sdk/client-kms as a child process, configured by the environment alone."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_kmsrotate import KmsRotation

NODE_DIR = Path(__file__).with_name("node")
NODE = shutil.which("node")
pytestmark = [
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(not (NODE_DIR / "node_modules" / "@aws-sdk" / "client-kms").is_dir(),
                       reason="@aws-sdk/client-kms is not installed: run `npm ci` in tests/node (.ci/run does)"),
]


def test_the_javascript_sdk_creates_rotates_lists_and_meets_the_quota(kms_rotation: KmsRotation,
                                                                      tmp_path: Path) -> None:
    assert NODE is not None
    env = kms_rotation.subprocess_env({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    done = subprocess.run([NODE, "rotation.mjs"], cwd=NODE_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["arn"] == kms_rotation.key(result["keyId"]).arn
    assert result["rotations"] == ["ON_DEMAND"] * 10
    assert result["refused"] == {
        "name": "LimitExceededException",
        "message": "The on-demand rotations limit has been reached for the given keyId. No more on-demand "
                   f"rotations can be performed for this key: {result['arn']}",
        "status": 400,
    }
    kms_rotation.assert_rotated(result["keyId"], times=10, type="ON_DEMAND")
    assert [c.operation for c in kms_rotation.calls] == (
        ["CreateKey"] + ["RotateKeyOnDemand"] * 11 + ["ListKeyRotations"])


def test_the_docs_show_the_script_the_suite_runs() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "subprocesses.md").read_text()
    marker = "<!-- node: tests/node/rotation.mjs -->\n```javascript\n"
    assert marker in page
    shown = page.split(marker, 1)[1].split("```", 1)[0]
    assert shown == (NODE_DIR / "rotation.mjs").read_text()
