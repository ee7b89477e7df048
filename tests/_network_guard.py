"""The suite proves containment: any non-loopback connection or name look-up fails the run.

A `sys.addaudithook` hook (tests/netguard/kmsrotate_network_hook.py) watches `socket.connect`
(and `connect_ex`), `socket.sendto`/`sendmsg`, `socket.getaddrinfo`, `socket.gethostbyname(_ex)`,
`socket.gethostbyaddr` and `socket.getnameinfo`. A non-loopback target is refused at once (the
call raises `NetworkLeak` instead of touching the network) and recorded; the autouse fixture
then fails the test that did it, even when the code under test swallowed the error, and
`pytest_sessionfinish` fails the run for leaks outside any test.

Subprocesses (every pytester run here is one: `--runpytest=subprocess`) load the same hook
from tests/netguard/sitecustomize.py, put first on PYTHONPATH; their leaks land in a log file
the fixture reads. `expect_leak()` is the one switch, for a test that proves the guard refuses.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

_HOOK_DIR = Path(__file__).resolve().parent / "netguard"
sys.path.insert(0, str(_HOOK_DIR))
import kmsrotate_network_hook as hook  # noqa: E402 - the directory above must be on sys.path first

hook.install()
expect_leak = hook.expect_leak
NetworkLeak = hook.NetworkLeak


def _propagate_to_subprocesses() -> Path:
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(_HOOK_DIR) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(_HOOK_DIR), *paths])
    # One log per test process (each xdist worker too): a leak is blamed on this process's test.
    handle, name = tempfile.mkstemp(prefix="kmsrotate-network-leaks-", suffix=".log")
    os.close(handle)
    os.environ[hook.LOG_VARIABLE] = name
    return Path(name)


LOG = _propagate_to_subprocesses()


def _logged() -> list[str]:
    try:
        return LOG.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


@pytest.fixture(autouse=True)
def _no_network_leak() -> Iterator[None]:
    before = len(_logged())
    yield
    leaks = _logged()[before:]
    if leaks:
        pytest.fail(f"non-loopback network access during the test (pid message): {'; '.join(leaks)}",
                    pytrace=False)


def pytest_sessionfinish(session: pytest.Session) -> None:
    LOG.unlink(missing_ok=True)
    if hook.LEAKS:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\ntests/_network_guard.py: non-loopback network access: {'; '.join(hook.LEAKS)}", file=sys.stderr)
