"""A test that misuses the API sees its own line and the message, not the plugin's frames (issue 17)."""

from __future__ import annotations

import pytest

CASES = {
    "clock_back": ("kms_rotation.clock.move_to(datetime(2000, 1, 1, tzinfo=timezone.utc))", "ClockError"),
    "naive_datetime": ("kms_rotation.clock.move_to(datetime(2030, 1, 1))", "ValueError"),
    "missing_key": ("kms_rotation.key('alias/nope')", "LookupError"),
    "bad_fault": ("kms_rotation.inject_fault('RotateKeyOnDemand', 'NoSuchError')", "ValueError"),
    "bad_seed": ("kms_rotation.create_key(rotaton_period_in_days=90)", "SeedingError"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_misuse_shows_no_plugin_frames(pytester: pytest.Pytester, case: str) -> None:
    line, error = CASES[case]
    pytester.makepyfile(
        f"""
        from datetime import datetime, timezone

        def test_misuse(kms_rotation):
            {line}
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    frames = [ln for ln in result.stdout.lines if "pytest_kmsrotate/" in ln]
    assert frames == [], "plugin frames shown:\n" + "\n".join(frames)
    assert f">       {line}" in result.stdout.lines
    assert any(ln.startswith("E   ") and error in ln for ln in result.stdout.lines)
