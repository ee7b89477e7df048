"""The suite proves containment: any non-loopback connection or name look-up fails the run.

A process-wide audit hook (`sys.addaudithook`, which cannot be removed) watches
`socket.connect`, `socket.connect_ex`, `socket.getaddrinfo`, `socket.gethostbyname`,
`socket.gethostbyname_ex` and `socket.gethostbyaddr`. A target outside 127.0.0.0/8, ::1 and
`localhost` raises `ContainmentViolation` (an `OSError`, so the client sees a failed
connection instead of AWS) and is remembered; the session then fails with the list. It is
loaded by the suite's conftest and, through PYTEST_ADDOPTS, by every pytest the suite starts
(pytester runs, xdist workers), so tests of tests are watched too.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
from typing import Any

import pytest

_EVENTS = frozenset({"socket.connect", "socket.connect_ex", "socket.getaddrinfo", "socket.gethostbyname",
                     "socket.gethostbyname_ex", "socket.gethostbyaddr"})
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", ""})
_lock = threading.Lock()
violations: list[str] = []
_installed = False


class ContainmentViolation(OSError):
    """A test tried to reach beyond this machine's loopback."""


def is_loopback(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False  # a name other than localhost: resolving it is already a look-up outside


def _target(event: str, args: tuple[Any, ...]) -> Any:
    if event in ("socket.connect", "socket.connect_ex"):
        address = args[1]
        if isinstance(address, (str, bytes)):  # an AF_UNIX path: never leaves the machine
            return None
        return address[0] if isinstance(address, tuple) and address else address
    return args[0] if args else None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _EVENTS:
        return
    target = _target(event, args)
    if is_loopback(target):
        return
    message = f"{event} to {target!r}"
    with _lock:
        violations.append(message)
    raise ContainmentViolation(f"pytest-kmsrotate's test suite allows no traffic beyond loopback: {message}")


def install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    sys.addaudithook(_hook)


install()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if violations:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"containment: {len(violations)} attempt(s) to reach beyond loopback:", red=True)
            for line in sorted(set(violations)):
                reporter.write_line(f"  {line}", red=True)
