"""The two walks of issue 21, end to end, with a screenshot and an axe check at each step:
a coordinator in French on a desktop (census → matching → relaunch → field mission → import/export) and a
municipal employee in Arabic on a phone 360×740 (sign in as member → own page → needs → census form).
Screenshots go to tests/e2e/screenshots/journeys/ (or $JISR_E2E_ARTIFACTS)."""

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import SHOTS, api_token, make_member, sign_in
from tests.e2e.test_accessibility import AXE, violations

pytestmark = pytest.mark.e2e
ARTIFACTS = Path(os.environ.get("JISR_E2E_ARTIFACTS") or SHOTS) / "journeys"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "ar-LB"}


class Walk:
    """Steps of one journey: each one photographed and checked by axe (serious and critical findings)."""

    def __init__(self, page: Any, name: str) -> None:
        self.page, self.name, self.n, self.found = page, name, 0, {}

    def step(self, label: str) -> None:
        self.n += 1
        expect(self.page.get_by_role("status").filter(has_text="…")).to_have_count(0)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{self.name}-{self.n:02d}-{label}.png"), full_page=True)
        if found := violations(self.page):
            self.found[f"{self.n:02d}-{label}"] = found

    def done(self) -> None:
        assert not self.found, json.dumps(self.found, indent=1, ensure_ascii=False)


@pytest.fixture(scope="module")
def bcharre(server: dict[str, Any]) -> dict[str, Any]:
    """A northern municipality with a heritage need and a dormant partnership with Nantes."""
    if not AXE.is_file():
        pytest.fail("frontend/node_modules/axe-core is missing: run `make frontend`")
    ids = server["ids"]
    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
        town = api.post(
            "/api/v1/collectivities",
            json={
                "country": "LB",
                "kind": "municipality",
                "name": "Bcharré",
                "name_ar": "بشري",
                "governorate": "LB-AS",
                "population": 25000,
            },
        ).raise_for_status()
        api.post(
            "/api/v1/needs",
            json={
                "collectivity_id": town.json()["id"],
                "title": "Musée et sentier du patrimoine",
                "tag_ids": [ids["tags"]["patrimoine"]],
            },
        ).raise_for_status()
        api.post(
            "/api/v1/partnerships",
            json={
                "french_collectivity_id": ids["Nantes"],
                "lebanese_collectivity_id": town.json()["id"],
                "status": "dormant",
                "started_year": 2011,
                "last_activity_year": 2015,
            },
        ).raise_for_status()
        # A census campaign that invites it: it has no contact, so no e-mail could go.
        campaign = api.post(
            "/api/v1/census/campaigns",
            json={
                "title": "Recensement du Nord",
                "languages": ["ar", "fr"],
                "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            },
        ).raise_for_status()
        api.post(
            f"/api/v1/census/campaigns/{campaign.json()['id']}/invitations",
            json={"collectivity_ids": [town.json()["id"]]},
        ).raise_for_status()
    return {"id": town.json()["id"], "campaign_id": campaign.json()["id"]}


def test_coordinator_in_french_on_a_desktop(page, server, bcharre):
    walk = Walk(page, "coordinator-fr")
    sign_in(page, server)
    walk.step("dashboard")

    # Census: the campaigns and their invitations.
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Recensement").click()
    expect(page.get_by_role("heading", name="Recensement", level=1)).to_be_visible()
    walk.step("census")
    # Which invitations were mailed: Bcharré has no address (item 11).
    page.get_by_role("link", name="Recensement du Nord").click()
    page.get_by_role("link", name="Invitations").click()
    expect(page.get_by_role("row", name=re.compile("Bcharré")).get_by_text("Pas d’adresse")).to_be_visible()
    walk.step("census-invitations")

    # Matching: a run, then the board filtered to the North.
    page.goto("/matching")
    page.get_by_text("Lancer une mise en relation").click()
    page.get_by_role("button", name="Lancer", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Mise en relation terminée")).to_be_visible()
    page.get_by_label("Gouvernorat").select_option("LB-AS")
    expect(page).to_have_url(re.compile("governorate=LB-AS"))
    walk.step("matching-board")

    # Relaunch the dormant partnership: the pair comes back as a relaunch, and moves on with the keyboard.
    page.goto("/partnerships?status=dormant")
    walk.step("partnerships-dormant")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Bcharré"))
    row.get_by_role("button", name="Relancer").click()
    expect(page).to_have_url(re.compile(r"/matching\?collectivity_id="))
    # Stored shortlisted (the coordinator asked for this pair), then moved on with the keyboard.
    shortlisted = page.get_by_role("region", name=re.compile("^Présélectionnées"))
    card = shortlisted.get_by_role("article", name="Bcharré ↔ Nantes")
    expect(card.get_by_text("Relance")).to_be_visible()
    card.focus()
    page.keyboard.press("ArrowRight")
    contacted = page.get_by_role("region", name=re.compile("^Contactées"))
    expect(contacted.get_by_role("article", name="Bcharré ↔ Nantes")).to_be_focused()
    walk.step("relaunched")

    # A field mission in Beirut: created with its wall times, availability entered in Beirut time.
    day = date.today() + timedelta(days=50)
    page.goto("/events")
    page.get_by_text("Nouvel événement").click()
    new = page.locator("form").filter(has=page.get_by_role("button", name="Créer l’événement"))
    new.get_by_label("Type").select_option("field_mission")
    new.get_by_label("Titre").fill("Mission au Liban-Nord")
    new.get_by_label("Début").fill(f"{day.isoformat()}T08:00")
    new.get_by_label("Fin").fill(f"{day.isoformat()}T18:00")
    new.get_by_role("button", name="Créer l’événement").click()
    expect(page.get_by_role("heading", name="Mission au Liban-Nord", level=1)).to_be_visible()
    section = page.get_by_role("region", name="Rencontres bilatérales de la mission")
    section.get_by_text("Ajouter une disponibilité").click()
    expect(section.get_by_text("Heures de Beyrouth (Asia/Beirut)")).to_be_visible()
    section.get_by_role("combobox", name="Collectivité").fill("bcharre")
    page.get_by_role("option", name=re.compile("^Bcharré")).click()
    section.get_by_label("De", exact=True).fill(f"{day.isoformat()}T09:00")
    section.get_by_label("À", exact=True).fill(f"{day.isoformat()}T12:00")
    section.get_by_role("button", name="Enregistrer").click()
    section.get_by_text("Disponibilités de 1 collectivité(s)").click()
    expect(section.get_by_role("listitem").filter(has_text="Bcharré")).to_contain_text(re.compile(r"09:00.*12:00"))
    walk.step("field-mission")

    # Import (a dry run that finds a bad row) and an export.
    page.goto("/imports")
    page.get_by_label("Contenu").select_option("collectivities")
    csv = "pays;type;nom;code;gouvernorat\nLB;municipality;Hasroun;LB-HASROUN;LB-AS\nXX;municipality;Nulle part;;\n"
    page.get_by_label("Fichier", exact=True).set_input_files(
        files=[{"name": "communes.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Vérifier (sans rien écrire)").click()
    expect(page.get_by_role("table", name=re.compile("Erreurs par ligne"))).to_be_visible()
    walk.step("import-dry-run")
    # A needs file in French with a near miss: the error is in French and suggests the name (item 16).
    page.get_by_label("Contenu").select_option("needs")
    csv = "Collectivité;Titre;Thème;Budget\nBcharre;Réseau d'eau;Eau et assainissement;120 000 €\n"
    page.get_by_label("Fichier", exact=True).set_input_files(
        files=[{"name": "besoins.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Vérifier (sans rien écrire)").click()
    errors = page.get_by_role("table", name=re.compile("Erreurs par ligne"))
    expect(errors).to_contain_text("Vouliez-vous dire Bcharré ?")
    walk.step("import-needs-suggestion")
    # The export speaks French: headers and values (item 17).
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger : collectivités").click()
    assert download.value.suggested_filename == "jisr-collectivities.csv"
    header = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()[0]
    assert "Pays" in header and "Nom" in header, header
    walk.done()


@pytest.fixture
def jbeil_census_link(server: dict[str, Any]) -> Iterator[str]:
    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
        campaign = api.post(
            "/api/v1/census/campaigns",
            json={
                "title": "Recensement 2027",
                "languages": ["ar", "fr", "en"],
                "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            },
        ).raise_for_status()
        issued = api.post(
            f"/api/v1/census/campaigns/{campaign.json()['id']}/invitations",
            json={"collectivity_ids": [server["ids"]["Jbeil"]]},
        ).raise_for_status()
        # And a proposal about Jbeil, whose page the member opens.
        [need] = api.get("/api/v1/needs", params={"collectivity_id": server["ids"]["Jbeil"]}).json()["items"][:1]
        api.post("/api/v1/matches/runs", json={"need_ids": [need["id"]], "top_k": 1}).raise_for_status()
    yield str(issued.json()["items"][0]["token"])


def test_municipal_employee_in_arabic_on_a_phone(browser, server, jbeil_census_link):
    member = make_member(server, "Jbeil", "employee.jbeil@example.org", language="ar")
    context = browser.new_context(base_url=server["base"], **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    walk = Walk(page, "member-ar-phone")
    try:
        # An Arabic phone gets the sign-in form in Arabic.
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        walk.step("sign-in")
        page.get_by_label("البريد الإلكتروني").fill(member["email"])
        page.get_by_label("كلمة المرور").fill(member["password"])
        page.get_by_role("button", name="دخول").click()

        # Its own municipality's page, under a header that leaves the screen to the content.
        expect(page.get_by_role("heading", name="جبيل", level=1)).to_be_visible()
        for region in ("الاحتياجات", "اقتراحات المطابقة", "الفعاليات القادمة"):
            expect(page.get_by_role("region", name=region)).to_be_visible()
        header = page.get_by_role("banner").bounding_box()
        assert header and header["height"] < 0.15 * 740, header
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        walk.step("own-page")

        # Its needs, through the phone menu.
        page.get_by_role("button", name="القائمة", exact=True).click()
        page.get_by_role("navigation").get_by_role("link", name="الاحتياجات").click()
        expect(page.get_by_role("heading", name="الاحتياجات", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Valorisation du patrimoine")).to_be_visible()
        walk.step("needs")

        # A proposal about it, on its own page (item 1), in Arabic.
        with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
            listed = api.get("/api/v1/matches", params={"collectivity_id": server["ids"]["Jbeil"]}).json()["items"]
        page.goto(f"/matches/{listed[0]['id']}")
        expect(page.get_by_role("heading", name=re.compile("^اقتراح: جبيل ↔ "), level=1)).to_be_visible()
        walk.step("proposal")

        # The census form of its invitation.
        page.goto(f"/census/{jbeil_census_link}")
        expect(page.get_by_text("جبيل", exact=True).first).to_be_visible()
        # Sent empty: the error sits by its field, in Arabic, with the focus there (item 7).
        page.get_by_role("button", name="إرسال").click()
        name = page.get_by_label("الاسم الكامل")
        expect(name).to_be_focused()
        expect(page.get_by_text("اكتبوا الاسم الكامل.")).to_be_visible()
        walk.step("census-form-error")
        name.fill("ريتا خوري")
        page.get_by_role("checkbox", name=re.compile("^أوافق على أن يحتفظ فريق البرنامج ببياناتي")).check()
        walk.step("census-form")
        page.get_by_role("button", name="إرسال").click()
        expect(page.get_by_text("شكراً، تمّ تسجيل إجاباتكم.")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        walk.step("census-sent")
        walk.done()
    finally:
        context.close()
    assert not errors, errors
