"""Sentences the server writes (issue 21, item 13) are said in the reader's language: a partnership declared on a
census answer and an import's row error, read in Arabic then in English. Their own data: a campaign, a Lebanese
municipality and a French commune no other browser test uses; the import is only checked (nothing written)."""

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
def declared(server: dict[str, Any]) -> dict[str, Any]:
    """Rachaya names Cholet as a former partner on its census answer; a coordinator validates it."""
    headers = {"Authorization": f"Bearer {api_token(server)}"}
    with httpx.Client(base_url=server["base"], headers=headers) as client:
        stamp = datetime.now(UTC).strftime("%H%M%S%f")
        french = client.post(
            "/api/v1/collectivities", json={"country": "FR", "kind": "commune", "name": f"Cholet {stamp}"}
        ).raise_for_status()
        rachaya = client.post(
            "/api/v1/collectivities",
            json={"country": "LB", "kind": "municipality", "name": f"Rachaya {stamp}", "name_ar": f"راشيا {stamp}"},
        ).raise_for_status()
        campaign = client.post(
            "/api/v1/census/campaigns",
            json={
                "title": f"Recensement Bekaa {stamp}",
                "title_en": f"Bekaa census {stamp}",
                "title_ar": f"استبيان البقاع {stamp}",
                "languages": ["ar", "fr", "en"],
                "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            },
        ).raise_for_status()
        [link] = (
            client.post(
                f"/api/v1/census/campaigns/{campaign.json()['id']}/invitations",
                json={"collectivity_ids": [rachaya.json()["id"]]},
            )
            .raise_for_status()
            .json()["items"]
        )
        answer = {
            "language": "ar",
            "contact": {"full_name": "سمير خوري", "role": "رئيس البلدية"},
            "priorities": [],
            "needs": [{"title": "شبكة مياه", "priority": "high"}],
            "former_partners": [{"name": french.json()["name"], "since_year": 2005, "until_year": 2012}],
        }
        httpx.put(f"{server['base']}/api/v1/census/forms/{link['token']}", json=answer).raise_for_status()
        [response] = (
            client.get("/api/v1/census/responses", params={"campaign_id": campaign.json()["id"]})
            .raise_for_status()
            .json()["items"]
        )
        validated = client.post(f"/api/v1/census/responses/{response['id']}/validate").raise_for_status().json()
        assert len(validated["partnership_ids"]) == 1, validated
    return {"rachaya": rachaya.json()["id"], "stamp": stamp}


def test_a_census_partnership_note_in_arabic_then_english(page: Any, server: dict[str, Any], declared: Any) -> None:
    sign_in(page, server)
    page.get_by_label("Langue").select_option("ar")
    page.goto(f"/collectivities/{declared['rachaya']}")
    stamp = declared["stamp"]
    note = page.get_by_text(f"شراكة مُعلنة في حملة الإحصاء «استبيان البقاع {stamp}».")
    expect(note).to_be_visible()
    expect(note.locator("bdi", has_text=f"استبيان البقاع {stamp}")).to_have_attribute("dir", "auto")
    shot(page, "system-note-census-ar")
    page.get_by_label("اللغة").select_option("en")
    expect(page.get_by_text(f"Declared in the census campaign “Bekaa census {stamp}”.")).to_be_visible()
    page.goto("/partnerships?status=dormant")
    expect(page.get_by_text(f"Declared in the census campaign “Bekaa census {stamp}”.")).to_be_visible()


def test_an_import_error_in_arabic_then_english(page: Any, server: dict[str, Any]) -> None:
    stamp = datetime.now(UTC).strftime("%H%M%S%f")
    headers = {"Authorization": f"Bearer {api_token(server)}"}
    httpx.post(
        f"{server['base']}/api/v1/collectivities",
        headers=headers,
        json={"country": "LB", "kind": "municipality", "name": f"Qaraoun {stamp}"},
    ).raise_for_status()
    sign_in(page, server)
    page.get_by_label("Langue").select_option("ar")
    page.goto("/imports")
    page.get_by_label("المحتوى").select_option("needs")
    csv = f"Collectivité;Titre\nQaraoon {stamp};Réseau d'eau\n"  # French headers: a French file
    page.get_by_label("الملف", exact=True).set_input_files(
        files=[{"name": "besoins.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="تحقّق (دون كتابة)").click()
    errors = page.get_by_role("table", name=re.compile("الأخطاء حسب السطر"))
    cell = errors.locator("tbody tr td").nth(2)
    expect(cell).to_have_text(f"لا توجد سلطة محلية باسم «Qaraoon {stamp}». هل تقصد Qaraoun {stamp}؟")
    expect(cell.locator("bdi").first).to_have_text(f"Qaraoon {stamp}")
    shot(page, "import-error-ar")
    page.get_by_label("اللغة").select_option("en")
    cell = page.get_by_role("table", name=re.compile("Errors by row")).locator("tbody tr td").nth(2)
    expect(cell).to_have_text(f"No collectivity “Qaraoon {stamp}”. Did you mean Qaraoun {stamp}?")
