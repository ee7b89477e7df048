"""KMS requests no fake answers: the `kms_rotation_outside` guard and threads that outlived a fake.

Every door calls `screen(operation, door_answers=...)` when a KMS request starts, before any
credential is resolved or byte is sent; the decision is made here, once, for all doors:

- a thread started while a fake ran, still calling after that fake stopped while no fake
  answers, is refused (`KmsCallRefused`, naming the test that started the fake) in every mode:
  its calls must not reach AWS silently. While another fake runs, that fake answers it like any
  thread's call (a worker pool a fixture started during one test may serve the next test);
- otherwise, when no fake answers, the mode decides: `allow` (the default) lets the request go,
  `warn` lets it go with a `KmsCallOutsideFake` warning, `block` refuses it at once.

Doors whose hooks cost something while idle subscribe with `on_change` and install them only
while `watching()` is true, so the default mode with no leftover thread costs nothing.
Imports nothing outside the standard library (the plugin imports it at load).
"""

from __future__ import annotations

import os
import threading
import warnings
import weakref
from collections.abc import Callable

MODES = ("allow", "warn", "block")
HOW_TO_ENABLE = (
    "Use the kms_rotation fixture or @pytest.mark.kms_rotation on the test (or `with KmsRotation():`) "
    "so the fake answers, or set kms_rotation_outside = allow."
)


class KmsCallRefused(RuntimeError):
    """A KMS request that no fake may answer and that must not reach AWS.

    Not a botocore `ClientError`, so code under test that catches AWS errors cannot swallow it.
    """

    __module__ = "pytest_kmsrotate"  # its public home, as tracebacks show it


class KmsCallOutsideFake(UserWarning):
    """A KMS request went to AWS while no fake was active (`kms_rotation_outside = warn`)."""

    __module__ = "pytest_kmsrotate"


_mode = "allow"
_orphans: weakref.WeakKeyDictionary[threading.Thread, str] = weakref.WeakKeyDictionary()
_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()


def current_test() -> str | None:
    """The node ID of the test pytest is running now (any phase), or None outside one."""
    running = os.environ.get("PYTEST_CURRENT_TEST")
    if not running:
        return None
    return running.rsplit(" (", 1)[0]


def mode() -> str:
    return _mode


def set_mode(value: str) -> None:
    global _mode
    if value not in MODES:
        raise ValueError(f"kms_rotation_outside must be one of {', '.join(MODES)}, got {value!r}")
    _mode = value
    _notify()


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` whenever `watching()` may have changed (a door re-checks its hooks)."""
    if listener not in _listeners:
        _listeners.append(listener)


def _notify() -> None:
    for listener in list(_listeners):
        listener()


def has_orphans() -> bool:
    with _lock:
        return any(thread.is_alive() for thread in list(_orphans))


def watching() -> bool:
    """True while a request outside every fake needs screening."""
    return _mode != "allow" or has_orphans()


class ThreadWatch:
    """Remembers the threads alive when a fake starts; at its stop, newer live threads are orphans."""

    def __init__(self, started_by: str) -> None:
        self.started_by = started_by
        self._before: set[threading.Thread] = set()

    def install(self) -> None:
        self._before = set(threading.enumerate())

    def uninstall(self) -> None:
        me = threading.current_thread()
        left = [t for t in threading.enumerate() if t not in self._before and t is not me and t.is_alive()]
        self._before = set()
        if left:
            with _lock:
                for thread in left:
                    _orphans.setdefault(thread, self.started_by)
            _notify()


def screen(operation: str, *, door_answers: bool) -> None:
    """Decide on a KMS request as it starts: return to let it proceed, or raise `KmsCallRefused`."""
    if door_answers:
        return
    if _orphans:
        thread = threading.current_thread()
        started_by = _orphans.get(thread)
        if started_by is not None:
            raise KmsCallRefused(
                f"pytest-kmsrotate: KMS {operation} was called from thread {thread.name!r} after the fake "
                f"started by {started_by} stopped. The thread outlived its test, so the call was refused "
                "rather than sent to AWS; join the thread before the test ends."
            )
    if _mode == "allow":
        return
    test = current_test()
    where = f"in {test}" if test else "outside any test"
    if _mode == "block":
        raise KmsCallRefused(
            f"pytest-kmsrotate: KMS {operation} was called {where} while no fake was active, and "
            f"kms_rotation_outside = block refuses it. {HOW_TO_ENABLE}"
        )
    warnings.warn(
        KmsCallOutsideFake(
            f"pytest-kmsrotate: KMS {operation} was called {where} while no fake was active; "
            f"it went to AWS. {HOW_TO_ENABLE}"
        ),
        stacklevel=2,
    )
