from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Api

CampaignFactory = Callable[..., dict[str, Any]]
Inviter = Callable[..., dict[str, Any]]


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


@pytest.fixture
def make_campaign(api: Api) -> CampaignFactory:
    def make(**fields: Any) -> dict[str, Any]:
        body = {"title": "Recensement 2026", "languages": ["ar", "fr", "en"], "closes_at": in_days(30), **fields}
        r = api.post("/api/v1/census/campaigns", role="coordinator", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    return make


@pytest.fixture
def invite(api: Api) -> Inviter:
    """Invite one collectivity; the issued invitation, with its token and url."""

    def make(campaign: dict[str, Any], collectivity: dict[str, Any]) -> dict[str, Any]:
        r = api.post(
            f"/api/v1/census/campaigns/{campaign['id']}/invitations",
            role="coordinator",
            json={"collectivity_ids": [collectivity["id"]]},
        )
        assert r.status_code == 201, r.text
        [item] = r.json()["items"]
        return dict(item)

    return make


def answer(**fields: Any) -> dict[str, Any]:
    return {
        "language": "fr",
        "contact": {"full_name": "Rima Haddad", "role": "Secrétaire générale"},
        "priorities": [],
        "needs": [{"title": "Réseau d'eau", "priority": "high"}],
        "former_partners": [],
        **fields,
    }
