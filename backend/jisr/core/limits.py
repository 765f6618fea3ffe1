"""Request body size limit (413), larger on import routes."""

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
