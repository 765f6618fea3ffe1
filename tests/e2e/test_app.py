"""The coordinators' web app in Chromium: sign-in, directory search, needs with the theme picker,
Arabic right-to-left, client-side routes that survive a reload, a tour of every screen."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_token, shot, sign_in

pytestmark = pytest.mark.e2e


def test_wrong_password_shows_the_next_step(page, server):
    page.goto("/")
    page.get_by_label("Adresse e-mail").fill(server["email"])
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("connectez-vous de nouveau")


def test_directory_search_forgives_accents_and_arabic(page, server):
    sign_in(page, server)
    page.get_by_role("navigation", name="Navigation principale").get_by_role("link", name="Annuaire").click()
    expect(page.get_by_text("8 collectivités")).to_be_visible()
    search = page.get_by_role("searchbox", name="Rechercher")
    search.fill("saida")
    expect(page.get_by_text("1 collectivité", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Saïda")).to_be_visible()
    assert "q=saida" in page.url
    search.fill("صيدا")
    expect(page.get_by_role("link", name="Saïda")).to_be_visible()
    search.fill("evry")
    expect(page.get_by_role("link", name="Évry-Courcouronnes")).to_be_visible()
    # Filters combine, and a reload keeps them (they live in the URL; the server answers index.html).
    search.fill("")
    expect(page).not_to_have_url(re.compile(r"[?&]q="))
    page.get_by_label("Pays").select_option("LB")
    page.get_by_label("Gouvernorat").select_option("LB-JA")
    expect(page).to_have_url(re.compile(r"country=LB&governorate=LB-JA"))
    expect(page.get_by_text("1 collectivité", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Saïda")).to_be_visible()
    page.reload()
    expect(page.get_by_role("link", name="Saïda")).to_be_visible()
    expect(page.get_by_label("Gouvernorat")).to_have_value("LB-JA")
    shot(page, "directory")
    page.get_by_role("link", name="Saïda").click()
    expect(page.get_by_role("heading", name="Saïda", level=1)).to_be_visible()
    shot(page, "collectivity")


def test_create_a_need_with_the_theme_picker(page, server):
    sign_in(page, server)
    page.goto("/needs/new")
    expect(page.get_by_role("heading", name="Nouveau besoin")).to_be_visible()
    # Submitting empty says what to do, without a round trip.
    page.get_by_role("button", name="Créer le besoin").click()
    expect(page.get_by_text("Choisissez la collectivité concernée dans la liste.")).to_be_visible()
    picker = page.get_by_role("combobox", name="Collectivité")
    picker.fill("zahle")
    page.get_by_role("option", name=re.compile("Zahlé")).click()
    expect(picker).to_have_value("Zahlé")
    page.get_by_label("Titre").fill("Station d'épuration pour la vallée")
    page.get_by_label("Priorité").select_option("high")
    page.get_by_role("searchbox", name="Filtrer les thèmes").fill("assainissement")
    page.get_by_role("checkbox", name="Eau et assainissement").check()
    expect(page.get_by_text("1 thème(s) choisi(s)")).to_be_visible()
    page.get_by_label("Budget estimé (€)").fill("120000")
    shot(page, "need-form")
    page.get_by_role("button", name="Créer le besoin").click()
    expect(page.get_by_role("status").filter(has_text="Besoin enregistré.")).to_be_visible()
    need_id = page.url.split("/needs/")[1].split("?")[0]

    token = api_token(server)
    need = httpx.get(f"{server['base']}/api/v1/needs/{need_id}", headers={"Authorization": f"Bearer {token}"}).json()
    assert need["title"] == "Station d'épuration pour la vallée"
    assert need["collectivity_id"] == server["ids"]["Zahlé"]
    assert need["tag_ids"] == [server["ids"]["tags"]["eau-assainissement"]]
    assert need["priority"] == "high" and need["estimated_budget_eur"] == 120000

    # Edit it: the change is saved with If-Match; the list shows it.
    page.get_by_label("Statut").select_option("in_discussion")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status").filter(has_text="Besoin enregistré.")).to_be_visible()
    page.goto("/needs?status=in_discussion")
    expect(page.get_by_role("link", name="Station d'épuration pour la vallée")).to_be_visible()


def test_arabic_switches_the_layout_to_right_to_left(page, server):
    sign_in(page, server)
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "ltr")
    expect(html).to_have_attribute("lang", "fr")
    page.get_by_label("Langue").select_option("ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page.get_by_role("heading", name="لوحة المتابعة")).to_be_visible()
    # The navigation starts on the right.
    nav = page.get_by_role("navigation", name="التنقل الرئيسي").bounding_box()
    brand = page.locator(".brand").bounding_box()
    assert nav and brand and brand["x"] > nav["x"]
    shot(page, "dashboard-ar")
    page.goto("/collectivities")
    expect(page.get_by_role("link", name="صيدا")).to_be_visible()
    shot(page, "directory-ar")
    # The choice is remembered.
    page.reload()
    expect(html).to_have_attribute("dir", "rtl")
    page.get_by_label("اللغة").select_option("en")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", name="Directory")).to_be_visible()


def test_every_screen_renders_without_error(page, server):
    sign_in(page, server)
    ids = server["ids"]
    screens = {
        "dashboard": ("/", "Tableau de bord"),
        "needs": ("/needs", "Besoins"),
        "partnerships": ("/partnerships?status=dormant", "Partenariats"),
        "collectivity-fr": (f"/collectivities/{ids['Nantes']}", "Nantes"),
        "events": ("/events", "Événements"),
        "events-calendar": ("/events?view=calendar", "Événements"),
        "census": ("/census", "Recensement"),
        "admin": ("/admin", "Administration"),
        "admin-clients": ("/admin?tab=clients", "Administration"),
        "admin-outbox": ("/admin?tab=outbox", "Administration"),
        "admin-audit": ("/admin?tab=audit", "Administration"),
    }
    for name, (path, heading) in screens.items():
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="Chargement")).to_have_count(0)
        expect(page.get_by_role("alert")).to_have_count(0)
        shot(page, name)
    page.goto("/no/such/page")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()


def test_sign_out_forgets_the_token(page, server):
    sign_in(page, server)
    assert page.evaluate("sessionStorage.getItem('jisr.session')")
    assert not page.evaluate("JSON.stringify(localStorage)").count("access")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('jisr.session')") is None


def test_spa_routes_and_api_404s(server):
    base = server["base"]
    for path in ("/", "/needs/new", "/collectivities/123", "/census/some-token"):
        r = httpx.get(base + path)
        assert r.status_code == 200 and '<div id="root">' in r.text, path
        assert r.headers["cache-control"] == "no-cache"
    for method, path in (("GET", "/api/v1/nothing-here"), ("POST", "/api/v1/nothing-here"), ("GET", "/api")):
        r = httpx.request(method, base + path)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json"), path
    assert httpx.get(base + "/assets/missing-file.js").status_code == 404
    # The schema is built on the first request: seconds on a busy machine (httpx waits 5 s by default).
    assert httpx.get(base + "/openapi.json", timeout=60).json()["info"]["title"] == "Jisr API"


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_other_roles_see_their_screens_without_errors(browser, server, role):
    headers = {"Authorization": f"Bearer {api_token(server)}"}
    email = f"{role}@example.org"
    body = {"email": email, "password": "role-password-123", "role": role, "full_name": role.title()}
    if role == "member":
        body["collectivity_id"] = server["ids"]["Tripoli"]
    r = httpx.post(f"{server['base']}/api/v1/users", json=body, headers=headers)
    assert r.status_code in (201, 409), r.text
    page = browser.new_page(base_url=server["base"], locale="fr-FR")
    try:
        # A member lands on its own collectivity's page; the others on the programme's dashboard.
        home = "Tripoli" if role == "member" else "Tableau de bord"
        sign_in(page, {**server, "email": email, "password": "role-password-123"}, landing=home)
        nav = page.get_by_role("navigation", name="Navigation principale")
        expect(nav.get_by_role("link", name="Administration")).to_have_count(0)
        expect(nav.get_by_role("link", name="Recensement")).to_have_count(0)
        expect(nav.get_by_role("link", name="Imports et exports")).to_have_count(0)
        for path, heading in (
            ("/", home),
            ("/dashboard", "Tableau de bord"),
            ("/collectivities", "Annuaire"),
            ("/needs", "Besoins"),
            ("/matching", "Mise en relation"),
            (f"/collectivities/{server['ids']['Tripoli']}", "Tripoli"),
        ):
            page.goto(path)
            expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
            expect(page.get_by_role("status").filter(has_text="Chargement")).to_have_count(0)
            expect(page.get_by_role("alert")).to_have_count(0)
        # Screens of other roles are simply not there.
        page.goto("/needs")
        expect(page.get_by_role("heading", name="Besoins", level=1)).to_be_visible()
        expect(page.get_by_role("link", name="Nouveau besoin")).to_have_count(1 if role == "member" else 0)
        shot(page, f"role-{role}")
        page.goto("/admin")
        expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()
    finally:
        page.close()


def test_edit_a_profile_and_add_a_contact(page, server):
    sign_in(page, server)
    page.goto(f"/collectivities/{server['ids']['Nantes']}")
    page.get_by_role("link", name="Modifier le profil").click()
    page.get_by_label("Autres graphies").fill("Naoned")
    interests = page.get_by_role("group", name="Intérêts (ce qu’elle recherche)")
    interests.get_by_role("checkbox", name="Énergies renouvelables").check()
    page.get_by_role("group", name="Gouvernorats souhaités").get_by_role("checkbox", name="Liban-Sud").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="Nantes", level=1)).to_be_visible()
    expect(page.get_by_text("Naoned")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Énergies renouvelables")).to_be_visible()
    expect(page.get_by_text("Liban-Sud")).to_be_visible()

    page.locator("summary", has_text="Ajouter un contact").click()
    page.get_by_label("Nom complet").fill("Claire Martin")
    page.get_by_label("E-mail").fill("claire.martin@example.org")
    page.get_by_role("checkbox", name=re.compile("a accepté d’être enregistrée")).check()
    page.get_by_role("button", name="Enregistrer le contact").click()
    contacts = page.get_by_role("region", name="Contacts")
    expect(contacts.get_by_role("cell", name="Claire Martin")).to_be_visible()
    expect(contacts.get_by_role("link", name="claire.martin@example.org")).to_be_visible()
    page.goto("/collectivities?q=naoned")
    expect(page.get_by_role("link", name="Nantes")).to_be_visible()
