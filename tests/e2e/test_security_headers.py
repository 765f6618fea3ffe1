"""The web app under its Content-Security-Policy, in Chromium: every screen renders with no CSP
violation (a `securitypolicyviolation` event or a "Refused to …" console message fails the test),
/docs and /redoc render from this origin under their own policy, and the detector itself catches a violation."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_token, sign_in

pytestmark = pytest.mark.e2e

# Collects violations from the first script on, before the app's own scripts run.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
});
"""


class Watched:
    """A browser context whose pages report CSP violations (events and console messages)."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.console: list[str] = []
        context.add_init_script(WATCH)

    def new_page(self) -> Any:
        page = self.context.new_page()
        page.on("console", self._on_console)
        return page

    def _on_console(self, msg: Any) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.console.append(text)

    def violations(self, page: Any) -> list[str]:
        return [*page.evaluate("window.__csp || []"), *self.console]


@pytest.fixture
def watched(browser: Any, server: dict[str, Any]) -> Iterator[Watched]:
    context = browser.new_context(base_url=server["base"], viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(10_000)
    try:
        yield Watched(context)
    finally:
        context.close()


@pytest.fixture
def campaign(server: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_token(server)}"}
    with httpx.Client(base_url=server["base"], headers=headers) as client:
        created = client.post(
            "/api/v1/census/campaigns",
            json={
                "title": "Recensement CSP",
                "languages": ["ar", "fr", "en"],
                "closes_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
            },
        ).raise_for_status()
        issued = client.post(
            f"/api/v1/census/campaigns/{created.json()['id']}/invitations",
            json={"collectivity_ids": [server["ids"]["Jbeil"]]},
        ).raise_for_status()
    return {"id": created.json()["id"], "token": issued.json()["items"][0]["token"]}


def test_every_screen_runs_under_the_csp(watched: Watched, server: dict[str, Any], campaign: dict[str, Any]) -> None:
    page = watched.new_page()
    response = page.goto("/")
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    sign_in(page, server)
    ids = server["ids"]
    screens = [
        ("/", "Tableau de bord"),
        ("/collectivities", "Annuaire"),
        ("/collectivities?q=saida", "Annuaire"),
        (f"/collectivities/{ids['Nantes']}", "Nantes"),
        (f"/collectivities/{ids['Tripoli']}", "Tripoli"),
        (f"/collectivities/{ids['Tripoli']}/edit", None),
        ("/needs", "Besoins"),
        ("/needs/new", "Nouveau besoin"),
        ("/partnerships", "Partenariats"),
        ("/events", "Événements"),
        ("/events?view=calendar", "Événements"),
        ("/census", "Recensement"),
        (f"/census/campaigns/{campaign['id']}", "Recensement CSP"),
        ("/matching", "Mise en relation"),
        ("/imports", "Imports et exports"),
        ("/admin", "Administration"),
        ("/admin?tab=clients", "Administration"),
        ("/no/such/page", "Page introuvable"),
    ]
    for path, heading in screens:
        page.goto(path)
        if heading:
            expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        else:
            expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.get_by_role("status").filter(has_text="Chargement")).to_have_count(0)
        assert watched.violations(page) == [], path
    # Arabic: the inline start-up script (hash-allowed) sets the direction before the first paint.
    page.get_by_label("Langue").select_option("ar")
    page.reload()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert watched.violations(page) == []

    # The public census form, without an account, in a fresh page.
    form = watched.new_page()
    form.goto(f"/census/{campaign['token']}?lang=fr")
    expect(form.get_by_text("Jbeil", exact=True).first).to_be_visible()
    assert watched.violations(form) == []


def test_swagger_ui_and_redoc_render_from_this_origin_under_their_policy(
    watched: Watched, server: dict[str, Any]
) -> None:
    """The real Swagger UI and Redoc, installed with the package; any request to another origin is
    refused here (the page must not need one: it works offline)."""
    elsewhere: list[str] = []

    def refuse(route: Any) -> None:
        elsewhere.append(route.request.url)
        route.abort()

    origin = server["base"].rstrip("/")
    watched.context.route(lambda url: not url.startswith(origin), refuse)
    page = watched.new_page()
    response = page.goto("/docs")
    assert response is not None and response.ok
    assert "'unsafe-inline'" not in response.headers["content-security-policy"]
    # Swagger UI parses the whole schema before it draws anything: slow on a busy machine, as Redoc below.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Jisr API", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert watched.violations(page) == []

    page = watched.new_page()
    response = page.goto("/redoc")
    assert response is not None and response.ok
    expect(page.get_by_role("heading", name="Jisr API", level=1).first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Lebanese municipalities say what they need").first).to_be_visible()
    # The one thing refused: Redoc's bundle names the "API docs by Redocly" footer logo on its vendor's
    # site; the policy blocks it (the page needs it not), which is what the policy is for.
    logo = "cdn.redoc.ly/redoc/logo-mini.svg"
    assert [v for v in watched.violations(page) if logo not in v] == []
    assert elsewhere == []


def test_the_detector_sees_a_violation(watched: Watched, server: dict[str, Any]) -> None:
    """A script from another origin and an inline script are refused and reported: the checks above can fail."""
    page = watched.new_page()
    page.goto("/")
    page.evaluate(
        """() => {
          const s = document.createElement("script"); s.src = "https://evil.invalid/x.js"; document.body.append(s);
          const i = document.createElement("script"); i.textContent = "window.__ran = 1"; document.body.append(i);
        }"""
    )
    page.wait_for_function("window.__csp.length >= 2")
    assert page.evaluate("window.__ran") is None
    found = watched.violations(page)
    assert any("evil.invalid" in v for v in found), found
    assert any("inline" in v for v in found), found
