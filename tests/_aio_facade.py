"""A synchronous face on an aiobotocore client, so the suite's sync rule tests run through the async door.

The aiobotocore client lives in a private event loop on a dedicated thread: each API call is a
coroutine submitted to that loop and waited for, so tests call `kms.create_key()` as with
boto3 while the request travels aiobotocore's own pipeline (validation, serialization, signing,
the async door, aiobotocore's parser and modeled exceptions). `exceptions`, `meta` and other
plain attributes are the aiobotocore client's own; `get_paginator` gives pages by iterating
aiobotocore's async paginator with `async for`.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


class _LoopThread:
    """An event loop running forever on its own daemon thread until `stop()`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="aiobotocore-facade", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()
        self.loop.close()


class SyncPageIterator:
    def __init__(self, loop: _LoopThread, pages: Any) -> None:
        self._loop, self._pages = loop, pages

    def __iter__(self) -> Iterator[Any]:
        async def collect() -> list[Any]:
            return [page async for page in self._pages]

        return iter(self._loop.run(collect()))

    def search(self, expression: str) -> Iterator[Any]:
        async def collect() -> list[Any]:
            return [item async for item in self._pages.search(expression)]

        return iter(self._loop.run(collect()))

    def build_full_result(self) -> Any:
        return self._loop.run(self._pages.build_full_result())


class SyncPaginator:
    def __init__(self, loop: _LoopThread, paginator: Any) -> None:
        self._loop, self._paginator = loop, paginator

    def paginate(self, **kwargs: Any) -> SyncPageIterator:
        return SyncPageIterator(self._loop, self._paginator.paginate(**kwargs))


class SyncAioClient:
    """`client.create_key(...)` etc. run on the private loop; attributes pass through."""

    def __init__(self, **client_kwargs: Any) -> None:
        from aiobotocore.session import get_session

        self._loop = _LoopThread()
        self._context = get_session().create_client("kms", **client_kwargs)
        self._client = self._loop.run(self._context.__aenter__())

    @property
    def aio_client(self) -> Any:
        return self._client

    def get_paginator(self, operation: str) -> SyncPaginator:
        return SyncPaginator(self._loop, self._client.get_paginator(operation))

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):  # meta, exceptions
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            # aiobotocore's API methods are decorated plain functions returning coroutines.
            result = attribute(*args, **kwargs)
            return self._loop.run(result) if inspect.isawaitable(result) else result

        return call

    def close(self) -> None:
        try:
            self._loop.run(self._context.__aexit__(None, None, None))
        finally:
            self._loop.stop()


def make_sync_aio_client(**client_kwargs: Any) -> SyncAioClient:
    return SyncAioClient(**client_kwargs)


