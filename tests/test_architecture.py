"""The package's shape, enforced: no import cycles, a pure core, doors that stay doors.

Every module under src/pytest_kmsrotate is read with `ast` (nothing is imported, so a broken
module or a heavy dependency cannot hide an edge), and every import statement counts: at
module level, inside functions and methods, inside try/except. A function-level import that
closes a loop is a cycle all the same; it only moves the failure from import time to call time.

Imports under `if TYPE_CHECKING:` count too. They never run, so they cannot break an import;
but two modules that name each other's types still know each other, and cannot be understood,
tested or replaced one without the other. The one cycle they make here today (fake <->
assertions <-> report, listed below) is exactly such a tangle.

The package root's `__getattr__` imports its public names by string (`importlib`), which no
`ast` walk sees; `test_nothing_inside_imports_the_public_root` makes sure no module closes a
loop through it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = "pytest_kmsrotate"
SOURCE = Path(__file__).resolve().parent.parent / "src" / PACKAGE



# Third-party distributions `_core` may use: the key material's cryptography, nothing else
# (no botocore, no pytest, no HTTP: the core is the part every door shares).
CORE_MAY_IMPORT = frozenset({"cryptography"})

# Layers that must not look "up" at the layers built on them.
FORBIDDEN_LAYERS: Mapping[str, frozenset[str]] = {
    f"{PACKAGE}._protocol": frozenset({f"{PACKAGE}._adapters", f"{PACKAGE}._pytest_plugin", f"{PACKAGE}._process"}),
    f"{PACKAGE}._adapters": frozenset({f"{PACKAGE}._pytest_plugin"}),
}


# --- reading the import graph -----------------------------------------------------------------


def module_names(root: Path, package: str) -> dict[str, Path]:
    """Dotted module name -> source file, for every module of the package under `root`."""
    modules: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [package, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement in `tree`, at any depth: module level, functions, `if` and `try`."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node


def _relative_base(name: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` names: `from ..door import http` in `pkg.core.engine`
    is `pkg.door`. A package's own __init__ is the package its relative imports start from."""
    if not node.level:
        return node.module or ""
    here = name.split(".") if is_package else name.split(".")[:-1]
    parts = here[: len(here) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def _owning_module(name: str, modules: Mapping[str, Path]) -> str | None:
    """The package module `name` lives in (`a.b.func` -> `a.b`), or None outside the package."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(name: str, path: Path, modules: Mapping[str, Path]) -> tuple[set[str], set[str]]:
    """(the package's modules `name` imports, the names outside the package it imports).

    `from . import errors` is an edge to the submodule `errors`, not to the package; a name
    that is not a submodule (`from .rotation import complete_rotation`) stands for the module
    that defines it.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    internal: set[str] = set()
    external: set[str] = set()

    def add(target: str) -> None:
        owner = _owning_module(target, modules)
        if owner is None:
            external.add(target)
        elif owner != name:
            internal.add(owner)

    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
            continue
        base = _relative_base(name, path.name == "__init__.py", node)
        for alias in node.names:
            add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return internal, external


def import_graph(root: Path, package: str) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(edges between the package's modules, names outside the package each module imports).

    Only explicit import statements are edges. That importing `a.b.c` first runs `a/__init__`
    and `a/b/__init__` is Python's doing, not the importer's dependency: the package's
    `__init__` modules import lazily or not at all, and if one imported eagerly its own edge
    would show here.
    """
    modules = module_names(root, package)
    graph: dict[str, set[str]] = {}
    external: dict[str, set[str]] = {}
    for name, path in modules.items():
        graph[name], external[name] = imports_of(name, path, modules)
    return graph, external


# --- finding cycles -------------------------------------------------------------------------


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every strongly connected set of two or more modules (or one that imports itself), sorted.

    Tarjan's algorithm, iterative so a deep graph cannot hit the recursion limit.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    for start in sorted(nodes):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    components.append(sorted(component))
    return sorted(components)


# --- the shape of this package ------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph_and_external() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    return import_graph(SOURCE, PACKAGE)


def test_the_graph_sees_the_package(graph_and_external: tuple[dict[str, set[str]], dict[str, set[str]]]) -> None:
    # A reader that found no modules or no edges would pass every check below; it must not.
    graph, _ = graph_and_external
    assert f"{PACKAGE}._core.engine" in graph
    assert f"{PACKAGE}._core.state" in graph[f"{PACKAGE}._core.engine"]
    assert f"{PACKAGE}._core.errors" in graph[f"{PACKAGE}._core.rotation"]  # `from . import errors`


def test_no_import_cycles(graph_and_external: tuple[dict[str, set[str]], dict[str, set[str]]]) -> None:
    graph, _ = graph_and_external
    cycles = find_cycles(graph)
    assert cycles == [], "import cycles (module-level and function-level imports both count):\n" + "\n".join(
        " <-> ".join(cycle) for cycle in cycles
    )


def test_nothing_inside_imports_the_public_root(
    graph_and_external: tuple[dict[str, set[str]], dict[str, set[str]]],
) -> None:
    # The root imports its public names lazily by string; an import of the root from inside
    # would be a cycle the graph cannot show.
    graph, _ = graph_and_external
    assert sorted(module for module, targets in graph.items() if PACKAGE in targets) == []


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def core_offences(graph: Mapping[str, set[str]], external: Mapping[str, set[str]], core: str) -> list[str]:
    """Imports from `core` of anything but `core`, the standard library and CORE_MAY_IMPORT."""
    offences: list[str] = []
    for module in sorted(m for m in graph if _inside(m, core)):
        offences += [f"{module} -> {t}" for t in sorted(graph[module]) if not _inside(t, core)]
        for name in sorted(external[module]):
            top = name.split(".")[0]
            if top != "__future__" and top not in sys.stdlib_module_names and top not in CORE_MAY_IMPORT:
                offences.append(f"{module} -> {name}")
    return offences


def layer_offences(graph: Mapping[str, set[str]], forbidden_layers: Mapping[str, frozenset[str]]) -> list[str]:
    """Imports from a layer of a layer it must not see."""
    return [
        f"{module} -> {target}"
        for layer, forbidden in forbidden_layers.items()
        for module in sorted(m for m in graph if _inside(m, layer))
        for target in sorted(graph[module])
        if any(_inside(target, f) for f in forbidden)
    ]


def test_core_imports_only_core_stdlib_and_cryptography(
    graph_and_external: tuple[dict[str, set[str]], dict[str, set[str]]],
) -> None:
    graph, external = graph_and_external
    assert core_offences(graph, external, f"{PACKAGE}._core") == []


def test_layers_do_not_import_the_layers_above(
    graph_and_external: tuple[dict[str, set[str]], dict[str, set[str]]],
) -> None:
    graph, _ = graph_and_external
    assert layer_offences(graph, FORBIDDEN_LAYERS) == []


# --- the checker checks: synthetic graphs and packages ------------------------------------------


def test_find_cycles_on_synthetic_graphs() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"a"}}) == [["a"]]
    assert find_cycles({"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"c"}}) == [["a", "b"], ["c", "d"]]


def _write(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        path = root / "pkg" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_a_function_level_import_closing_a_loop_is_a_cycle(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/keys.py": "def describe():\n    from .managed import lookup\n    return lookup\n",
        "core/managed.py": "from .keys import describe\n",
        "core/other.py": "from . import keys\n",
    })
    graph, _ = import_graph(root, "pkg")
    assert graph["pkg.core.keys"] == {"pkg.core.managed"}
    assert graph["pkg.core.other"] == {"pkg.core.keys"}  # `from . import keys` is the module, not the package
    assert find_cycles(graph) == [["pkg.core.keys", "pkg.core.managed"]]


def test_type_checking_imports_count(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "__init__.py": "",
        "a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n",
        "b.py": "try:\n    from .a import A\nexcept ImportError:\n    pass\n",
    })
    graph, external = import_graph(root, "pkg")
    assert graph["pkg.a"] == {"pkg.b"}
    assert external["pkg.a"] == {"typing"}
    assert find_cycles(graph) == [["pkg.a", "pkg.b"]]


def test_relative_imports_resolve_across_packages(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "__init__.py": "from .core import engine\n",
        "core/__init__.py": "",
        "core/engine.py": "from ..door import http\nimport json\n",
        "door/__init__.py": "",
        "door/http.py": "from pkg.core.engine import run\n",
    })
    graph, external = import_graph(root, "pkg")
    assert graph["pkg"] == {"pkg.core.engine"}
    assert graph["pkg.core.engine"] == {"pkg.door.http"}
    assert external["pkg.core.engine"] == {"json"}
    assert find_cycles(graph) == [["pkg.core.engine", "pkg.door.http"]]


def test_core_and_layer_rules_on_a_synthetic_package(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "__init__.py": "",
        "core/__init__.py": "",
        "core/engine.py": "import json\nfrom cryptography import x509\nimport botocore.hooks\n",
        "core/state.py": "def f():\n    from ..door import http\n",
        "door/__init__.py": "",
        "door/http.py": "from ..plugin import fake\n",
        "plugin/__init__.py": "",
        "plugin/fake.py": "from ..core import engine\n",
    })
    graph, external = import_graph(root, "pkg")
    assert core_offences(graph, external, "pkg.core") == [
        "pkg.core.engine -> botocore.hooks",
        "pkg.core.state -> pkg.door.http",
    ]
    assert layer_offences(graph, {"pkg.door": frozenset({"pkg.plugin"})}) == ["pkg.door.http -> pkg.plugin.fake"]
    assert layer_offences(graph, {"pkg.plugin": frozenset({"pkg.door"})}) == []


def test_a_cycle_added_to_this_package_is_found(tmp_path: Path) -> None:
    # The real source, with one function-level import that closes a loop (engine imports state).
    copy = tmp_path / PACKAGE
    for path in SOURCE.rglob("*.py"):
        target = copy / path.relative_to(SOURCE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    state = copy / "_core" / "state.py"
    closing = "\n\ndef _engine():\n    from . import engine\n"
    state.write_text(state.read_text(encoding="utf-8") + closing, encoding="utf-8")
    graph, _ = import_graph(copy, PACKAGE)
    cycles = find_cycles(graph)
    assert any({f"{PACKAGE}._core.engine", f"{PACKAGE}._core.state"} <= set(cycle) for cycle in cycles)


# The engine's insides, which only `_core` may touch: outside it, code reads the fake through the
# engine's read/control API (docs/architecture.md, "Reading the fake").
ENGINE_INSIDES = frozenset({"state", "lock", "calls", "_log", "faults", "access"})


def engine_insides_used(source: str) -> list[str]:
    """`<x>.engine.<inside>` and `engine.<inside>` attribute reads in one module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ENGINE_INSIDES:
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
            if name == "engine":
                found.append(f"line {node.lineno}: engine.{node.attr}")
    return found


def test_only_the_core_touches_the_engines_insides() -> None:
    offenders = {
        str(path.relative_to(SOURCE)): used
        for path in sorted(SOURCE.rglob("*.py"))
        if "_core" not in path.relative_to(SOURCE).parts
        and (used := engine_insides_used(path.read_text()))
    }
    assert offenders == {}


def test_engine_insides_are_found_on_a_synthetic_module() -> None:
    source = "def f(fake, engine):\n    with fake.engine.lock:\n        return engine.state.keys, engine.call_log()\n"
    assert engine_insides_used(source) == ["line 2: engine.lock", "line 3: engine.state"]
