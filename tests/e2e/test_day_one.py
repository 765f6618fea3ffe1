"""Issue 21 (the day-one walk-through), the paths a coordinator hit: a finished event, relaunching a dormant
partnership, answering a proposal from its e-mail."""

from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_token, sign_in

pytestmark = pytest.mark.e2e


def _api(server: dict[str, Any]) -> httpx.Client:
    return httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}, timeout=30)


def test_a_finished_mission_says_so_once_in_the_readers_language(page: Any, server: dict[str, Any]) -> None:
    with _api(server) as api:
        event = (
            api.post(
                "/api/v1/events",
                json={
                    "kind": "field_mission",
                    "title": "Mission de terrain au Liban (2021)",
                    "starts_at": "2021-09-20T09:00:00",
                    "ends_at": "2021-09-24T18:00:00",
                    "timezone": "Asia/Beirut",
                    "status": "done",
                },
            )
            .raise_for_status()
            .json()
        )
    sign_in(page, server)
    page.goto(f"/events/{event['id']}")
    expect(page.get_by_text("Cet événement est terminé : il ne prend plus d’inscriptions.")).to_be_visible()
    expect(page.get_by_role("button", name="Inscrire", exact=True)).to_have_count(0)
    expect(page.get_by_text("Un élément identique existe déjà")).to_have_count(0)
    page.get_by_label("Langue").select_option("ar")
    expect(page.get_by_text("انتهى هذا الحدث: لم يعد يقبل التسجيل.")).to_be_visible()
    page.get_by_label("اللغة").select_option("fr")
