"""Issue 21 (the day-one walk-through), the paths a coordinator hit: a finished event, relaunching a dormant
partnership, answering a proposal from its e-mail."""

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_token, shot, sign_in

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


def test_relaunch_puts_the_dormant_pair_on_the_board_or_says_why(page: Any, server: dict[str, Any]) -> None:
    """Like the demo's Marseille↔Beyrouth: the French side brings none of the need's themes, so a run never
    proposes it; relaunching puts it on the board anyway. A Lebanese side without an open request: one
    sentence saying so, in the person's language."""
    with _api(server) as api:
        tags = server["ids"]["tags"]

        def make(country: str, name: str, code: str, **kw: Any) -> str:
            kind = "commune" if country == "FR" else "municipality"
            body = {"country": country, "kind": kind, "name": name, "code": code, **kw}
            return str(api.post("/api/v1/collectivities", json=body).raise_for_status().json()["id"])

        beyrouth = make("LB", "Beyrouth", "LB-BEYROUTH", name_ar="بيروت", governorate="LB-BA")
        hermel = make("LB", "Hermel", "LB-HERMEL", name_ar="الهرمل", governorate="LB-BH")
        marseille = make("FR", "Marseille", "13055", expertise_tag_ids=[tags["patrimoine"]])
        aubagne = make("FR", "Aubagne", "13005", expertise_tag_ids=[tags["patrimoine"]])
        need = {"collectivity_id": beyrouth, "title": "Gravats du port", "tag_ids": [tags["dechets"]]}
        api.post("/api/v1/needs", json=need).raise_for_status()
        for french, lebanese in ((marseille, beyrouth), (aubagne, hermel)):
            body = {
                "french_collectivity_id": french,
                "lebanese_collectivity_id": lebanese,
                "status": "dormant",
                "started_year": 2004,
                "last_activity_year": 2014,
            }
            api.post("/api/v1/partnerships", json=body).raise_for_status()
    sign_in(page, server)
    page.goto("/partnerships?status=dormant")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Beyrouth"))
    row.get_by_role("button", name="Relancer").click()
    expect(page).to_have_url(re.compile(r"/matching\?collectivity_id="))
    column = page.get_by_role("region", name=re.compile("^Présélectionnées"))
    card = column.get_by_role("article", name="Beyrouth ↔ Marseille")
    expect(card.get_by_text("Relance")).to_be_visible()

    page.goto("/partnerships?status=dormant")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Hermel"))
    row.get_by_role("button", name="Relancer").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(
        re.compile("Hermel n’a aucune demande ouverte : créez ou ouvrez un besoin, puis relancez.")
    )
    expect(page.get_by_text("Un élément identique existe déjà")).to_have_count(0)
    expect(page.get_by_role("link", name="Nouveau besoin")).to_be_visible()
    shot(page, "relaunch-no-open-need")


def test_a_proposal_emails_link_opens_the_proposal_with_its_reasons(page: Any, server: dict[str, Any]) -> None:
    """Issue 21 item 1: the e-mails link to /matches/<id>, which the web app answered "Page introuvable"."""
    with _api(server) as api:
        zahle = server["ids"]["Zahlé"]
        needs = api.get("/api/v1/needs", params={"collectivity_id": zahle}).json()["items"]
        [need] = [n for n in needs if n["title"] == "Réseau d'eau potable"]  # the seeded one (others add theirs)
        body = {"need_ids": [need["id"]], "top_k": 1, "max_per_french_collectivity": 5}
        api.post("/api/v1/matches/runs", json=body).raise_for_status()
        [proposal] = api.get("/api/v1/matches", params={"need_id": need["id"]}).json()["items"]
    sign_in(page, server)
    page.goto(f"/matches/{proposal['id']}")
    expect(page.get_by_role("heading", name="Proposition : Zahlé ↔ Lyon", level=1)).to_be_visible()
    expect(page.get_by_text("Page introuvable")).to_have_count(0)
    expect(page.get_by_role("table", name="Le score, critère par critère")).to_be_visible()
    expect(page.get_by_text(proposal["reasons"][0]["label_fr"])).to_be_visible()
    page.get_by_label("Faire passer à").select_option("shortlisted")
    page.get_by_label("Note (facultative)").fill("Appel prévu lundi")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("Appel prévu lundi")).to_be_visible()
    expect(page.get_by_role("heading", level=1).locator("..").get_by_text("Présélectionnées")).to_be_visible()
    page.get_by_label("Langue").select_option("ar")
    expect(page.get_by_role("heading", name="اقتراح: زحلة ↔ Lyon", level=1)).to_be_visible()
    expect(page.get_by_text(proposal["reasons"][0]["label_ar"])).to_be_visible()
    shot(page, "proposal-page-ar")
    page.get_by_label("اللغة").select_option("fr")
    # Back to proposed: a shortlisted proposal counts against Lyon's cap in the board tests that follow.
    with _api(server) as api:
        api.post(f"/api/v1/matches/{proposal['id']}/transitions", json={"to": "proposed"}).raise_for_status()
