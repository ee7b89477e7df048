"""asyncio under the fake (issue 12): never hangs; with `async_time=True` idle waits move the clock.

Every test runs under pytest-timeout, so a regression fails instead of hanging CI. Real elapsed
time is read from CLOCK_MONOTONIC_RAW, which the fake never simulates.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import textwrap
import threading
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest

from pytest_kmsrotate import KmsRotation

pytestmark = pytest.mark.timeout(60)


def real_now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC_RAW)


# The two ways code sets a timeout on a wait; both are timers on the loop's clock.
TIMEOUTS = [
    "wait_for",
    pytest.param("asyncio.timeout", marks=pytest.mark.skipif(sys.version_info < (3, 11),
                                                             reason="asyncio.timeout is new in Python 3.11")),
]


async def time_out(how: str, seconds: float, awaitable: Awaitable[Any]) -> None:
    """Await `awaitable` under a timeout of `seconds`, set the way `how` names; it must expire."""
    with pytest.raises(asyncio.TimeoutError):  # the builtin TimeoutError from Python 3.11 on
        if how == "wait_for":
            await asyncio.wait_for(awaitable, timeout=seconds)
        else:
            async with asyncio.timeout(seconds):
                await awaitable


# -- default: loops keep real time ----------------------------------------------------------------

def test_asyncio_run_in_a_sync_test_does_not_hang(kms_rotation: KmsRotation) -> None:
    before = kms_rotation.clock.now()
    started = real_now()
    asyncio.run(asyncio.sleep(0.01))
    with pytest.raises(asyncio.TimeoutError):
        asyncio.run(asyncio.wait_for(asyncio.sleep(10), timeout=0.1))
    assert 0.1 <= real_now() - started < 10
    assert kms_rotation.clock.now() == before  # real waits: the simulated clock stays


@pytest.mark.parametrize("how", TIMEOUTS)
def test_call_later_and_timeout_fire_in_real_time_by_default(kms_rotation: KmsRotation, how: str) -> None:
    async def main() -> list[str]:
        fired: list[str] = []
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        loop.call_later(0.05, lambda: (fired.append("call_later"), done.set_result(None)))
        await done
        await time_out(how, 0.05, asyncio.sleep(10))
        fired.append("timeout")
        return fired

    assert asyncio.run(main()) == ["call_later", "timeout"]


# -- async_time=True: virtual loop time in the test's thread ------------------------------------------

@pytest.mark.kms_rotation(async_time=True)
def test_sleep_moves_the_clock_by_the_wait_at_once(kms_rotation: KmsRotation) -> None:
    before = kms_rotation.clock.now()
    started = real_now()

    async def poll() -> int:
        rounds = 0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            rounds += 1
            await asyncio.sleep(5)
        return rounds

    asyncio.run(asyncio.sleep(3600))
    assert kms_rotation.clock.now() - before == timedelta(hours=1)
    assert asyncio.run(poll()) == 60
    assert kms_rotation.clock.now() - before == timedelta(hours=1, seconds=300)
    assert real_now() - started < 10


@pytest.mark.kms_rotation(async_time=True)
@pytest.mark.parametrize("how", TIMEOUTS)
def test_wait_for_timeout_and_call_later_move_the_clock(kms_rotation: KmsRotation, how: str) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        start = kms_rotation.clock.now()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(100), timeout=10)
        assert kms_rotation.clock.now() - start == timedelta(seconds=10)
        await time_out(how, 30, asyncio.sleep(100))
        assert kms_rotation.clock.now() - start == timedelta(seconds=40)
        done = loop.create_future()
        loop.call_later(60, done.set_result, "late")
        assert await done == "late"
        assert kms_rotation.clock.now() - start == timedelta(seconds=100)
        assert await asyncio.wait_for(asyncio.sleep(1, "in time"), timeout=2) == "in time"
        assert kms_rotation.clock.now() - start == timedelta(seconds=101)

    started = real_now()
    asyncio.run(main())
    assert real_now() - started < 10


@pytest.mark.kms_rotation(async_time=True)
def test_clock_moves_in_the_test_wake_the_loops_timers(kms_rotation: KmsRotation) -> None:
    async def main() -> None:
        sleeper = asyncio.ensure_future(asyncio.sleep(86400, "woke"))
        await asyncio.sleep(0)
        kms_rotation.clock.advance(days=1)  # the loop's time is the simulated clock
        assert await asyncio.wait_for(sleeper, timeout=1) == "woke"

    before = kms_rotation.clock.now()
    asyncio.run(main())
    assert kms_rotation.clock.now() - before == timedelta(days=1)


@pytest.mark.kms_rotation(async_time=True)
def test_real_socket_io_works_and_its_timeouts_are_real(kms_rotation: KmsRotation) -> None:
    async def main() -> float:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.readline())
            await writer.drain()
            await reader.read(1)  # then stay silent until the client goes
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"ping\n")
        assert await asyncio.wait_for(reader.readline(), timeout=5) == b"ping\n"
        started = real_now()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(reader.read(1), timeout=0.3)  # guards real I/O: must not fire early
        waited = real_now() - started
        writer.close()
        server.close()
        await server.wait_closed()
        return waited

    before = kms_rotation.clock.now()
    assert asyncio.run(main()) >= 0.29
    assert kms_rotation.clock.now() == before  # real waits do not move the simulated clock


@pytest.mark.kms_rotation(async_time=True)
def test_a_request_to_a_local_server_in_another_thread_gets_its_answer(kms_rotation: KmsRotation) -> None:
    import http.server

    class SlowHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            threading.Event().wait(0.3)  # the server thinks for 0.3 real seconds
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def get() -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.server_address[1])
        writer.write(b"GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        body = await asyncio.wait_for(reader.read(), timeout=10)  # must not time out at once
        writer.close()
        return body

    try:
        assert asyncio.run(get()).endswith(b"\r\n\r\nok")
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.kms_rotation(async_time=True)
def test_executor_work_is_waited_for_really(kms_rotation: KmsRotation) -> None:
    def slow() -> str:
        threading.Event().wait(0.2)  # real work in a thread
        return "done"

    async def main() -> str:
        loop = asyncio.get_running_loop()
        result = await asyncio.wait_for(loop.run_in_executor(None, slow), timeout=5)
        assert await asyncio.wait_for(asyncio.to_thread(slow), timeout=5) == "done"
        return str(result)

    assert asyncio.run(main()) == "done"


@pytest.mark.kms_rotation(async_time=True)
def test_why_it_is_opt_in_a_thread_waking_the_loop_is_not_seen(kms_rotation: KmsRotation) -> None:
    """A timeout guarding work that another thread hands back with call_soon_threadsafe fires at once.

    The loop cannot tell such a thread from none, so async_time stays off by default (docs/time.md).
    """
    async def main() -> None:
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        ready = threading.Event()
        def hand_back() -> None:
            ready.wait(0.5)
            loop.call_soon_threadsafe(lambda: answer.done() or answer.set_result(1))

        helper = threading.Thread(target=hand_back)
        helper.start()
        started = real_now()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(answer, timeout=5)
        assert real_now() - started < 0.5  # fired early: virtual time jumped 5 s
        ready.set()
        helper.join(5)

    asyncio.run(main())


@pytest.mark.kms_rotation(async_time=True)
def test_a_loop_in_a_worker_thread_keeps_real_time(kms_rotation: KmsRotation) -> None:
    before = kms_rotation.clock.now()
    took: list[float] = []

    def worker() -> None:
        started = real_now()
        asyncio.run(asyncio.sleep(0.1))
        took.append(real_now() - started)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(30)
    assert took and took[0] >= 0.09
    assert kms_rotation.clock.now() == before


def test_a_loop_that_outlives_the_fake_never_goes_back() -> None:
    loop = asyncio.new_event_loop()
    try:
        with KmsRotation(async_time=True) as fake:
            loop.run_until_complete(asyncio.sleep(7200))
            during = loop.time()
            assert fake.clock.now().hour == 2
        after = loop.time()
        assert after >= during
        started = real_now()
        loop.run_until_complete(asyncio.sleep(0.05))  # real time again
        assert real_now() - started >= 0.04
        assert loop.time() - after >= 0.04
    finally:
        loop.close()


def test_a_plain_socket_still_works_next_to_the_loop(kms_rotation: KmsRotation) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        async def main() -> bytes:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            conn, _ = await asyncio.get_running_loop().run_in_executor(None, server.accept)
            conn.sendall(b"hi")
            data = await asyncio.wait_for(reader.readexactly(2), timeout=5)
            conn.close()
            writer.close()
            return data

        assert asyncio.run(main()) == b"hi"


# -- pytest-asyncio and anyio ------------------------------------------------------------------------

ASYNC_TESTS = """
    import asyncio
    from datetime import timedelta

    import anyio
    import pytest


    @pytest.mark.asyncio
    async def test_pytest_asyncio_default(kms_rotation):
        before = kms_rotation.clock.now()
        await asyncio.sleep(0.01)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.sleep(10), timeout=0.05)
        assert kms_rotation.clock.now() == before


    @pytest.mark.asyncio
    @pytest.mark.kms_rotation(async_time=True)
    async def test_pytest_asyncio_virtual(kms_rotation):
        before = kms_rotation.clock.now()
        await asyncio.sleep(3600)
        await asyncio.wait_for(asyncio.sleep(30), timeout=60)
        assert kms_rotation.clock.now() - before == timedelta(hours=1, seconds=30)


    @pytest.mark.anyio
    async def test_anyio_default(kms_rotation):
        with anyio.move_on_after(0.05):
            await anyio.sleep(10)


    @pytest.mark.anyio
    @pytest.mark.kms_rotation(async_time=True)
    async def test_anyio_virtual(kms_rotation):
        before = kms_rotation.clock.now()
        await anyio.sleep(600)
        with anyio.fail_after(100):
            await anyio.sleep(99)
        with anyio.move_on_after(5):
            await anyio.sleep(3600)
        assert kms_rotation.clock.now() - before == timedelta(seconds=704)
"""


def test_pytest_asyncio_and_anyio_tests(pytester: pytest.Pytester) -> None:
    pytest.importorskip("pytest_asyncio")
    pytest.importorskip("anyio")
    pytester.makeini("[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest("import pytest\n\n@pytest.fixture\ndef anyio_backend():\n    return 'asyncio'\n")
    pytester.makepyfile(test_async=textwrap.dedent(ASYNC_TESTS))
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q", timeout=120)
    result.assert_outcomes(passed=4)


def test_the_ini_option_switches_async_time_on(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nkms_rotation_async_time = true\n")
    pytester.makepyfile(
        """
        import asyncio
        from datetime import timedelta

        def test_it(kms_rotation):
            before = kms_rotation.clock.now()
            asyncio.run(asyncio.sleep(86400))
            assert kms_rotation.clock.now() - before == timedelta(days=1)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-q", timeout=120)
    result.assert_outcomes(passed=1)
