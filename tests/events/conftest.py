from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import Api

EventFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_event(api: Api) -> EventFactory:
    def make(**fields: Any) -> dict[str, Any]:
        body = {
            "kind": "webinar",
            "title": "Gestion des déchets : outils et partenaires",
            "starts_at": "2030-06-10T10:00:00",
            "ends_at": "2030-06-10T12:00:00",
            "timezone": "Asia/Beirut",
            "status": "open",
            **fields,
        }
        r = api.post("/api/v1/events", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    return make
