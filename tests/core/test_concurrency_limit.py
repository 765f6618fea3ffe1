"""At most `limit` API requests inside the app at once (the rest wait): the pool can never run dry."""

import asyncio

import httpx
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from jisr.core.limits import ConcurrencyLimitMiddleware


def app_counting_inside() -> tuple[ConcurrencyLimitMiddleware, dict[str, int]]:
    seen = {"inside": 0, "most": 0}

    async def slow(_: object) -> PlainTextResponse:
        seen["inside"] += 1
        seen["most"] = max(seen["most"], seen["inside"])
        await asyncio.sleep(0.02)
        seen["inside"] -= 1
        return PlainTextResponse("ok")

    inner = Starlette(routes=[Route("/api/v1/slow", slow), Route("/assets/slow", slow)])
    return ConcurrencyLimitMiddleware(inner, limit=3), seen


async def burst(app: ConcurrencyLimitMiddleware, path: str, n: int = 12) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://jisr") as client:
        answers = await asyncio.gather(*(client.get(path) for _ in range(n)))
    return [r.status_code for r in answers]


def test_api_requests_wait_their_turn_and_all_get_answered() -> None:
    app, seen = app_counting_inside()
    assert asyncio.run(burst(app, "/api/v1/slow")) == [200] * 12
    assert seen["most"] == 3


def test_other_paths_are_not_held_back() -> None:
    app, seen = app_counting_inside()
    assert asyncio.run(burst(app, "/assets/slow")) == [200] * 12
    assert seen["most"] > 3
