"""Keep pytest's assertion rewriting off this package's modules.

pytest rewrites the `assert` statements of every module of an installed plugin's distribution
(it marks the package's top-level name), so that a helper's failing `assert` explains itself.
Nothing here needs that: the public assertion helpers raise `AssertionError` with their own
message, and the few `assert` statements inside are type-narrowing invariants. What rewriting
costs is real: a rewritten module is parsed and compiled from source, and where the bytecode
cache cannot be written (`PYTHONDONTWRITEBYTECODE=1`, common in container images and CI, or a
read-only site-packages) that happens in every session, for every module the plugin and the fake
import (docs/benchmarks.md has the figures).

pytest offers no public way to take a name back, so this removes the package from the private set
of marked names of the rewrite hook pytest puts on `sys.meta_path`. Where a pytest version has no
such hook or attributes, nothing changes and the modules are rewritten, as before.
"""

from __future__ import annotations

import sys

PACKAGE = __name__.split(".", 1)[0]


def exempt_this_package() -> None:
    """Unmark this package in every active rewrite hook (a no-op outside pytest)."""
    for finder in sys.meta_path:
        if type(finder).__name__ != "AssertionRewritingHook":
            continue
        marked = getattr(finder, "_must_rewrite", None)
        cache = getattr(finder, "_marked_for_rewrite_cache", None)
        if not isinstance(marked, set) or not isinstance(cache, dict):
            continue
        ours = {name for name in marked if name == PACKAGE or name.startswith(PACKAGE + ".")}
        if ours:
            marked.difference_update(ours)
            cache.clear()  # it may already hold "rewrite" answers for our names
