"""One install/restore stack for everything a running fake changes in the process."""

from __future__ import annotations

from collections.abc import Callable


class PatchStack:
    """Installs patches in order and undoes them in reverse.

    Undoing is exception-safe: every restore step runs whatever the others do, and the first
    failure is raised after all of them ran, so one broken step never leaves credentials,
    a patched `time.sleep` or an emitter hook behind for the rest of the session.
    """

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def enter(self, install: Callable[[], None], uninstall: Callable[[], None]) -> None:
        """Run `install`; `uninstall` runs at `unwind()` only if `install` returned."""
        install()
        self._undo.append(uninstall)

    def unwind(self) -> None:
        first: BaseException | None = None
        while self._undo:
            undo = self._undo.pop()
            try:
                undo()
            except BaseException as error:
                first = first or error
        if first is not None:
            raise first

    def __bool__(self) -> bool:
        return bool(self._undo)
