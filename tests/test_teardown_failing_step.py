"""A restore step that raises still lets every other one run; the first failure is reported (issue 11)."""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

import boto3
import botocore.session
import freezegun
import freezegun.api
import pytest
from botocore.hooks import HierarchicalEmitter

from pytest_kmsrotate import KmsRotation
from pytest_kmsrotate._process.sleep import SleepPatch
from pytest_kmsrotate._process.stack import PatchStack

# Each test compares the process before and after; a thread an earlier test left behind would keep
# the outside guard's emitter hook installed at the start and let it go at the end.
pytestmark = pytest.mark.usefixtures("no_earlier_orphans")


def _process() -> dict[str, Any]:
    return {
        "sleep": time.sleep,
        "time": time.time,
        "datetime": dt.datetime,
        "emit": HierarchicalEmitter._emit,
        "create_client": botocore.session.Session.create_client,
        "environ": dict(os.environ),
        "freezers": list(freezegun.api.freeze_factories),
    }


def _broken_freezegun_stop(monkeypatch: pytest.MonkeyPatch) -> None:
    real_stop = freezegun.api._freeze_time.stop

    def stop(self: Any) -> None:
        real_stop(self)
        raise RuntimeError("freezegun stop failed")

    monkeypatch.setattr(freezegun.api._freeze_time, "stop", stop)


def test_a_failing_freezegun_stop_still_restores_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake drives freezegun only on top of a freeze the test started first (docs/time.md).
    users_freeze = freezegun.freeze_time("2020-01-01")
    users_freeze.start()
    try:
        monkeypatch.setattr(users_freeze, "stop", users_freeze.stop)  # the user's own stop stays the real one
        before = _process()
        _broken_freezegun_stop(monkeypatch)
        fake = KmsRotation().start()
        assert _process() != before
        with pytest.raises(RuntimeError, match=r"^freezegun stop failed$"):
            fake.stop()
        assert _process() == before
        monkeypatch.undo()
        with KmsRotation() as again:  # the next fake starts clean: no stale freezer, no IndexError
            kms = boto3.client("kms", region_name="us-east-1")
            assert kms.list_keys()["Keys"] == []
            again.clock.advance(days=1)
            assert dt.datetime.now(dt.timezone.utc) == again.clock.now()
        assert _process() == before
    finally:  # a failure above must not leave the user's freeze for the worker's later tests
        monkeypatch.undo()
        users_freeze.stop()


def test_the_first_failure_is_reported_after_every_step_ran(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _process()
    _broken_freezegun_stop(monkeypatch)
    real_uninstall = SleepPatch.uninstall

    def uninstall(self: SleepPatch) -> None:
        real_uninstall(self)
        raise ValueError("sleep restore failed")

    monkeypatch.setattr(SleepPatch, "uninstall", uninstall)
    fake = KmsRotation().start()
    with pytest.raises(ValueError, match=r"^sleep restore failed$"):  # undone first, so reported
        fake.stop()
    assert _process() == before
    assert not fake.running


def test_patch_stack_runs_every_step_in_reverse_and_raises_the_first_failure() -> None:
    ran: list[str] = []
    stack = PatchStack()

    def step(name: str, error: BaseException | None = None) -> Any:
        def undo() -> None:
            ran.append(name)
            if error is not None:
                raise error
        return undo

    stack.enter(lambda: None, step("a", KeyError("a")))
    stack.enter(lambda: None, step("b"))
    stack.enter(lambda: None, step("c", OSError("c")))
    with pytest.raises(OSError, match="c"):
        stack.unwind()
    assert ran == ["c", "b", "a"]
    assert not stack
