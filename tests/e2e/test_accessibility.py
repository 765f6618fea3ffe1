"""axe-core (the npm package, loaded from frontend/node_modules) on the main screens, in French and
in Arabic: no serious or critical violation (labels, contrast, ARIA, landmarks)."""

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ROOT, sign_in

pytestmark = pytest.mark.e2e

AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = [
    ("/", "h1"),
    ("/collectivities", "table"),
    ("/needs/new", "fieldset"),
    ("/partnerships?status=dormant", "h1"),
    ("/events", "h1"),
    ("/census", "h1"),
    ("/matching", ".board"),
    ("/imports", "h1"),
    ("/admin", "table"),
]


def violations(page: Any) -> list[dict[str, Any]]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated by the test driver: a <script> tag would be (rightly) refused by the app's CSP.
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
    )
    return list(result)


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_main_screens_have_no_serious_accessibility_violation(page, server, lang):
    if not Path(AXE).is_file():
        pytest.fail("frontend/node_modules/axe-core is missing: run `make frontend`")
    sign_in(page, server)
    if lang == "ar":
        page.get_by_label("Langue").select_option("ar")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
    found = {}
    for path, ready in SCREENS:
        page.goto(path)
        page.locator(ready).first.wait_for()
        expect(page.get_by_role("status").filter(has_text="…")).to_have_count(0)
        if v := violations(page):
            found[path] = v
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)


def test_public_census_form_link_error_is_accessible(page, server):
    page.goto("/census/not-a-real-token?lang=ar")
    expect(page.get_by_role("alert")).to_contain_text("هذا الرابط غير صالح")
    assert violations(page) == []
