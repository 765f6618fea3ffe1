"""A field mission: an accepted proposal, both sides' availability, the automatic schedule shown
per table and per collectivity."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_app import api_token

pytestmark = pytest.mark.e2e


@pytest.fixture
def mission(server: dict[str, Any]) -> dict[str, Any]:
    ids = server["ids"]
    start = (datetime.now(UTC) + timedelta(days=20)).replace(hour=7, minute=0, second=0, microsecond=0)
    end = start + timedelta(hours=8)
    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
        need = api.post(
            "/api/v1/needs",
            json={
                "collectivity_id": ids["Jbeil"],
                "title": "Éclairage public solaire",
                "tag_ids": [ids["tags"]["dechets"]],
            },
        ).raise_for_status()
        run = api.post(
            "/api/v1/matches/runs", json={"weights": {"theme": 1}, "need_ids": [need.json()["id"]], "top_k": 1}
        ).raise_for_status()
        assert run.json()["proposal_count"] == 1
        proposal = api.get("/api/v1/matches", params={"need_id": need.json()["id"]}).json()["items"][0]
        api.post(f"/api/v1/matches/{proposal['id']}/transitions", json={"to": "accepted"}).raise_for_status()
        event = api.post(
            "/api/v1/events",
            json={
                "kind": "field_mission",
                "title": "Mission au Liban",
                "starts_at": start.isoformat(),
                "ends_at": end.isoformat(),
                "timezone": "Asia/Beirut",
            },
        ).raise_for_status()
        window = {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
        for cid in [proposal["lebanese_collectivity_id"], *proposal["french_collectivity_ids"]]:
            api.put(
                f"/api/v1/events/{event.json()['id']}/availability/{cid}", json={"windows": [window]}
            ).raise_for_status()
    return {"event_id": event.json()["id"], "proposal": proposal}


def test_schedule_the_mission_meetings(page, server, mission):
    sign_in(page, server)
    page.goto(f"/events/{mission['event_id']}")
    section = page.get_by_role("region", name="Rencontres bilatérales de la mission")
    expect(section.get_by_text("Aucune rencontre planifiée.")).to_be_visible()
    section.get_by_label("Tables").fill("Table A, Table B")
    section.get_by_role("button", name="Planifier les rencontres").click()
    expect(section.get_by_role("status")).to_contain_text("1 rencontre(s) planifiée(s)")
    grid = section.get_by_role("table", name="Par table")
    expect(grid.get_by_role("columnheader", name="Table A")).to_be_visible()
    expect(grid.get_by_text(re.compile(r"^Jbeil ↔ "))).to_be_visible()
    shot(page, "mission-by-table")
    section.get_by_role("button", name="Par collectivité").click()
    expect(section.get_by_role("heading", name="Jbeil")).to_be_visible()
    expect(section.get_by_role("button", name="Agenda (ICS)").first).to_be_visible()

    token = api_token(server)
    match = httpx.get(
        f"{server['base']}/api/v1/matches/{mission['proposal']['id']}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert match["status"] == "meeting_scheduled"
