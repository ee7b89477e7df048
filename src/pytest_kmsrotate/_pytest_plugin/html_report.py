"""The rotation timeline in pytest-html's report: registered only while pytest-html writes one.

plugin.py imports this module and calls `register` from `pytest_configure` only when the `html`
plugin is there (installed, not `-p no:html`) and `--html` was given; nothing here imports
pytest_html until a failing test that used the fake needs its `extras.html(...)`. The text
section (`kms-rotation`, report.py) is added as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .fake import KmsRotation

NAME = "kmsrotate-html"


def register(config: pytest.Config, fake_key: pytest.StashKey[KmsRotation]) -> None:
    """Add the timeline to this session's HTML report (once, however often configure runs)."""
    if not config.pluginmanager.has_plugin(NAME):
        config.pluginmanager.register(HtmlTimeline(fake_key), NAME)


class HtmlTimeline:
    """Adds the timeline (SVG and a table) to the `extras` of a failing report whose test used the fake."""

    def __init__(self, fake_key: pytest.StashKey[KmsRotation]) -> None:
        self.fake_key = fake_key

    # trylast: inside plugin.py's wrapper, which drops the stashed fake after teardown; pytest-html's
    # own wrapper (tryfirst) merges report.extras after this one has added to them.
    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome = yield
        fake = item.stash.get(self.fake_key, None)
        if fake is None:
            return
        report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
        if not report.failed:
            return
        from pytest_html import extras  # type: ignore[import-untyped,import-not-found,unused-ignore]

        from .timeline import fragment, text

        try:
            picture = fragment(fake.engine.inspect(), ident=f"{item.nodeid}-{call.when}")
        except Exception as error:  # a picture that fails must not end the session
            picture = f"<p>pytest-kmsrotate: the rotation timeline could not be drawn ({text(repr(error))})</p>"
        report.extras = [*getattr(report, "extras", []), extras.html(picture)]  # type: ignore[attr-defined]
