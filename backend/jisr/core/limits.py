"""Request body size limit (413), larger on import routes; how many API requests run at once."""

import asyncio
import weakref
from typing import Any

from jisr.core.errors import problem_response

Scope = dict[str, Any]


class BodyLimitMiddleware:
    def __init__(self, app: Any, *, default: int, large: int, large_prefix: str = "/api/v1/imports"):
        self.app, self.default, self.large, self.large_prefix = app, default, large, large_prefix

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.large if scope["path"].startswith(self.large_prefix) else self.default
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await self._too_large(scope, receive, send, limit)
                return
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): read up to the limit, then replay.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Any, send: Any, limit: int) -> None:
        response = problem_response(413, f"The request body is larger than the limit of {limit // (1024 * 1024)} MiB.")
        await response(scope, receive, send)


class ConcurrencyLimitMiddleware:
    """At most ``limit`` API requests of this process inside the app at once; the others wait, cheaply,
    in the event loop.

    A request holds its database connection from its first query until its session closes, across the
    threadpool hops of its dependencies and handler (and its background tasks). With more requests
    inside than pooled connections, requests holding connections wait for a thread while threads wait
    for a connection, until the pool's timeout: under sustained load the server stalls (seen in
    ``benchmarks/soak.py``). Keep ``limit`` below the pool size (``request_threads`` < pool size + overflow).
    """

    def __init__(self, app: Any, *, limit: int, prefix: str = "/api/"):
        self.app, self.limit, self.prefix = app, limit, prefix
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def _gate(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if loop not in self._gates:
            self._gates[loop] = asyncio.Semaphore(self.limit)
        return self._gates[loop]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        async with self._gate():
            await self.app(scope, receive, send)
