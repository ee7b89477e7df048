"""The audit hook of the suite's network guard; no pytest import, so any Python process can load it.

Installed in the test process by tests/_network_guard.py and in every Python subprocess the
suite starts (pytester runs, `python -c` checks) by tests/netguard/sitecustomize.py, which the
guard puts first on `PYTHONPATH`. Audit hooks cannot be removed: `expect_leak()` is the switch.
A refused access is listed in `LEAKS` and appended to the file `KMSROTATE_NETWORK_LEAK_LOG`
names, so the parent test process sees leaks of its subprocesses too.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

LOG_VARIABLE = "KMSROTATE_NETWORK_LEAK_LOG"
_ADDRESS_EVENTS = {"socket.connect", "socket.sendto", "socket.sendmsg"}
_HOST_EVENTS = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"}
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}

LEAKS: list[str] = []
_expecting = threading.local()
_installed = False


class NetworkLeak(ConnectionRefusedError):
    """Raised in place of a non-loopback connection or look-up."""


def is_loopback(host: Any) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard, for bind()
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    host = host.strip("[]").split("%", 1)[0].lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name other than localhost: resolving it is a look-up off this machine
    return address.is_loopback or address.is_unspecified


def _target(event: str, args: tuple[Any, ...]) -> Any:
    if event in _ADDRESS_EVENTS:
        sock, address = args[0], args[-1]
        if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", None) or not isinstance(address, tuple):
            return None  # a Unix socket path, or nothing to check
        return address[0]
    if event == "socket.getnameinfo":
        return args[0][0] if args and isinstance(args[0], tuple) else None
    return args[0] if args else None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not event.startswith("socket."):
        return
    if event not in _ADDRESS_EVENTS and event not in _HOST_EVENTS and event != "socket.getnameinfo":
        return
    host = _target(event, args)
    if is_loopback(host):
        return
    message = f"{event} to {host!r}"
    expected = getattr(_expecting, "leaks", None)
    if expected is not None:
        expected.append(message)
    else:
        LEAKS.append(message)
        log = os.environ.get(LOG_VARIABLE)
        if log:
            with open(log, "a", encoding="utf-8") as file:
                file.write(f"{os.getpid()} {message}\n")
    raise NetworkLeak(f"the test suite's network guard refused a non-loopback network access: {message}")


def install() -> None:
    global _installed
    if not _installed:
        sys.addaudithook(_hook)
        _installed = True


@contextmanager
def expect_leak() -> Iterator[list[str]]:
    """Inside (this thread only): leaks are still refused, but listed here instead of failing the test."""
    previous = getattr(_expecting, "leaks", None)
    _expecting.leaks = caught = []
    try:
        yield caught
    finally:
        _expecting.leaks = previous
