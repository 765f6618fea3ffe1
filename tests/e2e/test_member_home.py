"""A municipality's employee lands on its own page; the phone header stays small; the calendar jumps to
any month (issue 21, item 19)."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import make_member, shot, sign_in

pytestmark = pytest.mark.e2e
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "locale": "fr-FR"}


def test_a_member_lands_on_its_own_page_with_a_small_phone_header(browser, server):
    member = make_member(server, "Zahlé", "employe.zahle@example.org")
    context = browser.new_context(base_url=server["base"], **PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, member, landing="Zahlé")
        for region in ("Besoins", "Propositions de mise en relation", "Événements à venir"):
            expect(page.get_by_role("region", name=region)).to_be_visible()
        needs = page.get_by_role("region", name="Besoins")
        expect(needs.get_by_role("link", name="Réseau d'eau potable")).to_be_visible()
        header = page.get_by_role("banner").bounding_box()
        assert header and header["height"] < 0.15 * 740, f"the header takes {header['height']:.0f} px of 740"
        shot(page, "member-home-phone")
        # The navigation is one tap away, and the programme's dashboard is still there.
        page.get_by_role("button", name="Menu").click()
        nav = page.get_by_role("navigation", name="Navigation principale")
        expect(nav.get_by_role("link", name="Ma collectivité")).to_have_attribute("aria-current", "page")
        nav.get_by_role("link", name="Tableau de bord").click()
        expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
        expect(nav).to_be_hidden()
    finally:
        context.close()


def test_the_calendar_jumps_to_a_month_and_year(page, server):
    sign_in(page, server)
    page.goto("/events?view=calendar")
    page.get_by_label("Aller au mois").fill("2031-05")
    expect(page.get_by_role("heading", name="mai 2031")).to_be_visible()
    expect(page).to_have_url(re.compile(r"month=2031-05"))
