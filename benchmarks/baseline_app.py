"""The ceiling: a FastAPI endpoint that answers 20 items without touching a database.

It is shaped like the real list endpoints (a synchronous handler, so it runs in the same
threadpool; a ``Page``-like response model validated and serialized on every request), so the
ratio ``list endpoint / baseline`` isolates what the database and the app's own logic cost.
"""

import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from pydantic import BaseModel


class Item(BaseModel):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    collectivity_id: uuid.UUID
    direction: str
    title: str
    description: str
    priority: str
    status: str
    source: str
    source_event_id: uuid.UUID | None
    estimated_budget_eur: int | None
    tag_ids: list[uuid.UUID]
    external_refs: dict[str, str]


class ItemPage(BaseModel):
    items: list[Item]
    total: int
    limit: int
    offset: int


_NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
_ITEMS = [
    {
        "id": uuid.uuid4(),
        "created_at": _NOW,
        "updated_at": _NOW,
        "collectivity_id": uuid.uuid4(),
        "direction": "request",
        "title": f"Réhabilitation du réseau d'eau potable, tranche {i}",
        "description": "Données d'exemple. Étude, travaux et formation des agents municipaux.",
        "priority": "high",
        "status": "open",
        "source": "webinar",
        "source_event_id": None,
        "estimated_budget_eur": 250_000,
        "tag_ids": [uuid.uuid4(), uuid.uuid4()],
        "external_refs": {},
    }
    for i in range(20)
]

app = FastAPI(title="baseline", openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/items", response_model=ItemPage)
def items(limit: int = 20) -> dict[str, object]:
    return {"items": _ITEMS[:limit], "total": 30_000, "limit": limit, "offset": 0}
