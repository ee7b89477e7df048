"""The pytest adapter: ini options, markers and the `kms_rotation` fixture.

Imports nothing heavy at module level: a run that never uses the fixture never imports
botocore, freezegun or cryptography through this plugin.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .._adapters import aiobotocore_installed
from .._process import outside
from . import scoped, settings
from .running import RUNNING, own, started_since

if TYPE_CHECKING:
    from .fake import KmsRotation

FIXTURE = "kms_rotation"
MARKERS = ("kms_rotation", "kms_keys")
# The fake a test used, so its failure report can show it; dropped after teardown.
FAKE_KEY = pytest.StashKey["KmsRotation"]()
OUTSIDE = "kms_rotation_outside"
OUTSIDE_HELP = ("what a KMS request made while no fake is active does: allow (default: it goes to AWS), "
                "warn (it goes, and the test gets a warning) or block (it fails at once)")


def pytest_addoption(parser: pytest.Parser) -> None:
    for setting in settings.SETTINGS:
        parser.addini(settings.ini_name(setting.name), f"pytest-kmsrotate: {setting.help}", default="")
    # -- the guard for KMS calls outside any fake (docs/containment.md) --
    parser.addini(OUTSIDE, f"pytest-kmsrotate: {OUTSIDE_HELP}", default="")
    parser.getgroup("kmsrotate", "pytest-kmsrotate").addoption(
        "--kms-rotation-outside", dest=OUTSIDE, choices=outside.MODES, default=None, help=OUTSIDE_HELP
    )


def pytest_configure(config: pytest.Config) -> None:
    _configure_outside(config)
    # pytest-html writes a report (`--html`): it gets the timeline too. Imported only then.
    if config.pluginmanager.hasplugin("html") and config.getoption("htmlpath", None):
        from . import html_report

        html_report.register(config, FAKE_KEY)
    config.addinivalue_line(
        "markers",
        "kms_rotation(**settings): configure the pytest-kmsrotate fake for this test "
        f"({', '.join(settings.SETTING_NAMES)}); activates the fake.",
    )
    config.addinivalue_line(
        "markers", "kms_keys(*keys, **key): seed keys into the pytest-kmsrotate fake; activates the fake."
    )


def _configure_outside(config: pytest.Config) -> None:
    mode = config.getoption(OUTSIDE) or str(config.getini(OUTSIDE)).strip() or "allow"
    if mode not in outside.MODES:
        raise pytest.UsageError(f"pytest-kmsrotate: {OUTSIDE} must be one of {', '.join(outside.MODES)}, got {mode!r}")
    if mode != "allow":
        from .._adapters import botocore_sync  # noqa: F401 - subscribes the botocore door's guard hook

        if aiobotocore_installed():
            from .._adapters import botocore_async  # noqa: F401 - and the aiobotocore door's

        outside.set_mode(mode)
        config.add_cleanup(lambda: outside.set_mode("allow"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A marker alone switches the fake on, so tests need not name the fixture (as time-machine does);
    # the test's own fake starts after wider fixtures and shared fakes, so it is the inner one.
    for item in items:
        scoped.order_setup(item, scoped.wants_own_fake(item))


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Iterator[None]:
    # A fake a class-, module- or session-scoped fixture starts outlives the test that first used
    # it on purpose: no test's teardown may stop it, or blame the test for it.
    if fixturedef.scope == "function":
        yield
        return
    before = list(RUNNING)
    yield
    for fake in started_since(before):
        own(fake, f"{fixturedef.scope}-scoped fixture {fixturedef.argname!r}")


def _marker_settings(node: pytest.Item) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    # Closest marker wins: iter_markers yields the test's own first, so apply in reverse.
    for marker in reversed(list(node.iter_markers("kms_rotation"))):
        if marker.args:
            raise settings.SettingsError("@pytest.mark.kms_rotation takes keyword arguments only")
        merged.update(marker.kwargs)
    return merged


def build_fake(request: pytest.FixtureRequest) -> KmsRotation:
    from .._core.config import Config
    from .fake import KmsRotation
    from .seeding import SeedingError, marker_keys

    # pytest.fail runs outside the except blocks: inside, pytest would print the error twice
    # ("During handling of the above exception, another exception occurred").
    ini = {name: request.config.getini(settings.ini_name(name)) for name in settings.SETTING_NAMES}
    problem = None
    try:
        values = settings.resolve(ini, _marker_settings(request.node))
        config: Config = settings.to_config(values, seed=request.node.nodeid or "<session>")
    except (settings.SettingsError, ValueError) as error:
        problem = f"pytest-kmsrotate: {error}"
    if problem is not None:
        pytest.fail(problem, pytrace=False)
    # Farthest first (module, class, test), so keys are numbered as a reader meets them.
    markers = reversed(list(request.node.iter_markers("kms_keys")))
    try:
        keys = marker_keys((marker.args, marker.kwargs) for marker in markers)
        return KmsRotation(config, freeze_time=values["freeze_time"], patch_sleep=values["patch_sleep"],
                           async_time=values["async_time"], follow_freezegun=values["follow_freezegun"], keys=keys,
                           endpoint=values["endpoint"])
    except SeedingError as error:
        problem = f"pytest-kmsrotate: @pytest.mark.kms_keys {error}"
    pytest.fail(problem, pytrace=False)


@pytest.fixture
def kms_rotation(request: pytest.FixtureRequest) -> Iterator[KmsRotation]:
    """A fresh in-process fake of AWS KMS for this test.

    Every KMS call of every boto3/botocore client in the process (made before or during the
    test, in any thread) is answered by the fake through botocore's own serializer, parser,
    exceptions and retries; no KMS request reaches the network. `kms_rotation.clock` is the
    simulated time (datetime/time follow it, docs/time.md); `kms_rotation.key(ref)` returns a key handle;
    `kms_rotation.calls` lists every call.
    """
    fake = build_fake(request)
    yield from _run_for_test(request, fake)


def _run_for_test(request: pytest.FixtureRequest, fake: KmsRotation) -> Iterator[KmsRotation]:
    """Start `fake` for the test, stop it after, and stop (and report) what the test left running."""
    request.node.stash[FAKE_KEY] = fake  # for the failure report
    already_running = list(RUNNING)
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
        # A KmsRotation the test started itself and never stopped would patch every later test;
        # fakes owned by wider fixtures (started in their set-up) are theirs to stop.
        leaked = started_since(already_running)
        for other in reversed(leaked):
            other.stop()
    if leaked:
        pytest.fail(
            f"pytest-kmsrotate: the test started {len(leaked)} KmsRotation(s) and never stopped them; "
            "they were stopped at teardown. Use `with KmsRotation(): ...` so they stop even on errors.",
            pytrace=False,
        )
    missing = fake.unimplemented_calls
    if missing:
        pytest.fail(
            "pytest-kmsrotate: the code under test called KMS operation(s) the fake does not implement: "
            f"{', '.join(sorted(set(missing)))}. Each call raised NotImplementedByFake; "
            "if this test passed anyway, the code swallowed that error.",
            pytrace=False,
        )


# -- shared fakes: one per class, module or session (scoped.py, docs/scoped-fakes.md) ---------------


def _seeded_once(request: pytest.FixtureRequest) -> tuple[KmsRotation, Any, Any]:
    """The scope's fake, built and seeded once from the ini and that scope's markers, and its checkpoint."""
    fake = build_fake(request)
    return fake, fake.checkpoint(), request.node


def _shared_for_test(
    request: pytest.FixtureRequest, fixture: str, shared: tuple[KmsRotation, Any, Any]
) -> Iterator[KmsRotation]:
    fake, seeded, scope_node = shared
    if FIXTURE not in request.fixturenames:
        narrower = scoped.narrower_markers(request.node, scope_node)
        if narrower:
            pytest.fail(scoped.refusal(fixture, request.node, narrower), pytrace=False)
    fake.restore(seeded)  # every test starts from the seeded state, whatever ran before it
    yield from _run_for_test(request, fake)


@pytest.fixture(scope="class")
def _kms_rotation_class_seeded(request: pytest.FixtureRequest) -> tuple[KmsRotation, Any, Any]:
    return _seeded_once(request)


@pytest.fixture(scope="module")
def _kms_rotation_module_seeded(request: pytest.FixtureRequest) -> tuple[KmsRotation, Any, Any]:
    return _seeded_once(request)


@pytest.fixture(scope="session")
def _kms_rotation_session_seeded(request: pytest.FixtureRequest) -> tuple[KmsRotation, Any, Any]:
    return _seeded_once(request)


@pytest.fixture
def kms_rotation_class(
    request: pytest.FixtureRequest, _kms_rotation_class_seeded: tuple[KmsRotation, Any, Any]
) -> Iterator[KmsRotation]:
    """One fake for the whole class, seeded once from the class's (and module's) markers; every
    test gets it reset to that seeded state, running for the test only."""
    yield from _shared_for_test(request, "kms_rotation_class", _kms_rotation_class_seeded)


@pytest.fixture
def kms_rotation_module(
    request: pytest.FixtureRequest, _kms_rotation_module_seeded: tuple[KmsRotation, Any, Any]
) -> Iterator[KmsRotation]:
    """One fake for the whole module, seeded once from the module's markers (pytestmark); every
    test gets it reset to that seeded state, running for the test only."""
    yield from _shared_for_test(request, "kms_rotation_module", _kms_rotation_module_seeded)


@pytest.fixture
def kms_rotation_session(
    request: pytest.FixtureRequest, _kms_rotation_session_seeded: tuple[KmsRotation, Any, Any]
) -> Iterator[KmsRotation]:
    """One fake for the whole session (per xdist worker), configured by the ini options; every
    test gets it reset to its starting state, running for the test only."""
    yield from _shared_for_test(request, "kms_rotation_session", _kms_rotation_session_seeded)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    fake = item.stash.get(FAKE_KEY, None)
    if fake is None:
        return
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed:
        from .report import render, section_title

        report.sections.append((section_title(call.when), render(fake)))
    if call.when == "teardown":
        del item.stash[FAKE_KEY]  # a long session should not keep every test's fake alive
