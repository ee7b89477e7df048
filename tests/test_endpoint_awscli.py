"""The AWS CLI (the `awscli` package, in the test extra) as a child process, against the endpoint."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_kmsrotate import KmsRotation


def _aws() -> str | None:
    beside_python = Path(sys.executable).with_name("aws")
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("aws")


AWS = _aws()
pytestmark = pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed (pip install awscli, "
                                                   "as the test extra does)")


class Cli:
    def __init__(self, fake: KmsRotation, home: Path) -> None:
        # A home of its own: no ~/.aws config or credentials of the machine can reach the child.
        self.env = fake.subprocess_env({"PATH": os.environ.get("PATH", ""), "HOME": str(home)})
        # The CLI retries LimitExceededException as throttling, sleeping real seconds: ask once.
        self.env["AWS_MAX_ATTEMPTS"] = "1"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert AWS is not None
        return subprocess.run([AWS, "kms", *args, "--output", "json"], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def many(self, *calls: tuple[str, ...]) -> list[Any]:
        """Several CLI processes at once (each takes half a second to start), their JSON outputs in order."""
        assert AWS is not None
        children = [subprocess.Popen([AWS, "kms", *args, "--output", "json"], env=self.env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE) for args in calls]
        outputs = []
        for child in children:
            out, err = child.communicate(timeout=60)
            assert child.returncode == 0, err
            outputs.append(json.loads(out))
        return outputs

    def __call__(self, *args: str) -> Any:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else None


def _day(timestamp: float | str) -> str:
    """The UTC day of a CLI timestamp (CLI v1 prints epoch seconds, v2 ISO 8601)."""
    if isinstance(timestamp, str):
        return timestamp[:10]
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).date().isoformat()


@pytest.fixture
def aws(kms_rotation: KmsRotation, tmp_path: Path) -> Cli:
    return Cli(kms_rotation, tmp_path)


def test_the_rotation_flow_through_the_cli(aws: Cli, kms_rotation: KmsRotation) -> None:
    key_id = aws("create-key", "--description", "cli")["KeyMetadata"]["KeyId"]
    assert aws("enable-key-rotation", "--key-id", key_id, "--rotation-period-in-days", "90") is None
    status = aws("get-key-rotation-status", "--key-id", key_id)
    assert (status["KeyRotationEnabled"], status["RotationPeriodInDays"]) == (True, 90)
    assert _day(status["NextRotationDate"]) == "2024-03-31"  # 90 days after the clock's 2024-01-01
    for answer in aws.many(*[("rotate-key-on-demand", "--key-id", key_id)] * 10):
        assert answer["KeyId"].endswith(f":key/{key_id}")
    refused = aws.run("rotate-key-on-demand", "--key-id", key_id)
    assert refused.returncode in (254, 255)  # an error answer from the service: 255 in CLI v1, 254 in v2
    assert ("An error occurred (LimitExceededException) when calling the RotateKeyOnDemand operation"
            in refused.stderr)

    first = aws("list-key-rotations", "--key-id", key_id, "--max-items", "4")
    assert len(first["Rotations"]) == 4
    rest = aws("list-key-rotations", "--key-id", key_id, "--starting-token", first["NextToken"])
    assert len(rest["Rotations"]) == 6 and "NextToken" not in rest
    assert {r["RotationType"] for r in first["Rotations"] + rest["Rotations"]} == {"ON_DEMAND"}

    kms_rotation.clock.advance(days=91)  # the test moves the clock; the child sees the rotation
    rotations = aws("list-key-rotations", "--key-id", key_id)["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"] * 10 + ["AUTOMATIC"]
    assert _day(rotations[-1]["RotationDate"]) == "2024-03-31"
    kms_rotation.assert_rotated(key_id, times=1, type="AUTOMATIC")
    kms_rotation.assert_called("RotateKeyOnDemand", times=11)  # the child's calls are in the fake's log


def test_encrypt_and_decrypt_through_fileb_across_a_rotation(aws: Cli, kms_rotation: KmsRotation,
                                                              tmp_path: Path) -> None:
    key_id = aws("create-key")["KeyMetadata"]["KeyId"]
    (tmp_path / "plain.txt").write_bytes(b"rotate me\x00\xff")
    blob = aws("encrypt", "--key-id", key_id, "--plaintext", f"fileb://{tmp_path / 'plain.txt'}",
               "--query", "CiphertextBlob")
    (tmp_path / "sealed.bin").write_bytes(base64.b64decode(blob))
    aws("rotate-key-on-demand", "--key-id", key_id)
    kms_rotation.complete_rotations()
    decrypted = aws("decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'sealed.bin'}")
    assert base64.b64decode(decrypted["Plaintext"]) == b"rotate me\x00\xff"
    assert decrypted["KeyId"].endswith(key_id)
    assert kms_rotation.key(key_id).rotations  # the old ciphertext outlived a real rotation


def _import(aws: Cli, tmp_path: Path, key_id: str, material: bytes, *extra: str) -> Any:
    """GetParametersForImport, wrap as AWS documents, ImportKeyMaterial through fileb://."""
    from tests.test_import_material import wrap

    params = aws("get-parameters-for-import", "--key-id", key_id, "--wrapping-algorithm", "RSAES_OAEP_SHA_256",
                 "--wrapping-key-spec", "RSA_2048")
    (tmp_path / "token.bin").write_bytes(base64.b64decode(params["ImportToken"]))
    wrapped = wrap(base64.b64decode(params["PublicKey"]), "RSAES_OAEP_SHA_256", material)
    (tmp_path / "wrapped.bin").write_bytes(wrapped)
    return aws("import-key-material", "--key-id", key_id,
               "--encrypted-key-material", f"fileb://{tmp_path / 'wrapped.bin'}",
               "--import-token", f"fileb://{tmp_path / 'token.bin'}",
               "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE", *extra)


def test_imported_material_is_imported_and_rotated_through_the_cli(aws: Cli, kms_rotation: KmsRotation,
                                                                  tmp_path: Path) -> None:
    key_id = aws("create-key", "--origin", "EXTERNAL")["KeyMetadata"]["KeyId"]
    assert kms_rotation.key(key_id).state == "PendingImport"
    first = _import(aws, tmp_path, key_id, os.urandom(32))["KeyMaterialId"]
    assert kms_rotation.key(key_id).state == "Enabled"
    (tmp_path / "plain.txt").write_bytes(b"imported")
    blob = aws("encrypt", "--key-id", key_id, "--plaintext", f"fileb://{tmp_path / 'plain.txt'}",
               "--query", "CiphertextBlob")
    (tmp_path / "sealed.bin").write_bytes(base64.b64decode(blob))

    second = _import(aws, tmp_path, key_id, os.urandom(32), "--import-type", "NEW_KEY_MATERIAL")["KeyMaterialId"]
    assert kms_rotation.key(key_id).current_material_id == first  # the new material waits in PENDING_ROTATION
    aws("rotate-key-on-demand", "--key-id", key_id)
    assert kms_rotation.key(key_id).current_material_id == second
    decrypted = aws("decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'sealed.bin'}")
    assert base64.b64decode(decrypted["Plaintext"]) == b"imported"
    assert decrypted["KeyMaterialId"] == first
    rotations = aws("list-key-rotations", "--key-id", key_id, "--include-key-material", "ALL_KEY_MATERIAL")
    assert [r["KeyMaterialId"] for r in rotations["Rotations"]] == [first, second]
