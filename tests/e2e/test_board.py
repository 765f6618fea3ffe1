"""The matching board scales (issue 21, item 18): columns side by side, each scrolling on its own with
its count; filters by governorate, theme and score; cards moved with the keyboard; a readable score table."""

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_token, shot, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def nabatieh(server: dict[str, Any]) -> dict[str, Any]:
    """A municipality of Nabatieh with two needs, matched on their own (the board's other cards are elsewhere)."""
    tags = server["ids"]["tags"]
    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
        town = api.post(
            "/api/v1/collectivities",
            json={"country": "LB", "kind": "municipality", "name": "Marjayoun", "governorate": "LB-NA"},
        ).raise_for_status()
        need_ids = [
            api.post(
                "/api/v1/needs", json={"collectivity_id": town.json()["id"], "title": title, "tag_ids": [tags[slug]]}
            )
            .raise_for_status()
            .json()["id"]
            for title, slug in [("Tri sélectif à Marjayoun", "dechets"), ("Forage à Marjayoun", "eau-assainissement")]
        ]
        run = api.post("/api/v1/matches/runs", json={"need_ids": need_ids, "top_k": 3}).raise_for_status()
        assert run.json()["proposal_count"] >= 2
    return {"id": town.json()["id"], "need_ids": need_ids}


def test_columns_side_by_side_with_their_own_scroll_and_filters(page, server, nabatieh):
    sign_in(page, server)
    page.goto("/matching")
    board = page.get_by_role("region", name="Tableau des propositions par statut")
    expect(board.get_by_role("heading", level=2)).to_have_count(6)
    width = page.evaluate("window.innerWidth")
    for heading in board.get_by_role("heading", level=2).all():
        box = heading.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, "a column is off-screen"
    # Each column scrolls on its own: the board never makes the page taller than the window.
    assert board.bounding_box()["height"] <= page.evaluate("window.innerHeight")
    lists = board.locator(".board-cards")
    assert lists.count() >= 1
    assert lists.first.evaluate("el => getComputedStyle(el).overflowY") in ("auto", "scroll")

    page.get_by_label("Gouvernorat").select_option("LB-NA")
    proposed = page.get_by_role("region", name=re.compile("^Proposées"))
    cards = proposed.get_by_role("article")
    # Only Nabatieh's cards once the board has reloaded.
    expect(proposed.locator("article:not([aria-label^='Marjayoun ↔'])")).to_have_count(0)
    expect(cards.first).to_be_visible()
    total = cards.count()
    expect(proposed.locator(".count")).to_have_text(str(total))
    page.get_by_label("Thème", exact=True).select_option("eau-assainissement")
    expect(proposed.get_by_role("link", name="Tri sélectif à Marjayoun")).to_have_count(0)
    expect(proposed.get_by_role("link", name="Forage à Marjayoun").first).to_be_visible()
    page.get_by_label("Thème", exact=True).select_option("")
    page.get_by_label("Score", exact=True).select_option("85")
    expect(page).to_have_url(re.compile("min_score=85"))
    expect(proposed.get_by_role("article")).not_to_have_count(total)
    page.get_by_label("Score", exact=True).select_option("")
    expect(proposed.get_by_role("article")).to_have_count(total)
    shot(page, "board-filtered")


def test_move_a_card_with_the_keyboard_and_read_its_score_table(page, server, nabatieh):
    sign_in(page, server)
    page.goto("/matching?governorate=LB-NA")
    proposed = page.get_by_role("region", name=re.compile("^Proposées"))
    need = page.get_by_role("link", name="Tri sélectif à Marjayoun")
    card = proposed.get_by_role("article").filter(has=need).first
    label = card.get_attribute("aria-label")
    card.focus()
    page.keyboard.press("ArrowRight")
    shortlisted = page.get_by_role("region", name=re.compile("^Présélectionnées"))
    moved = shortlisted.get_by_role("article", name=label).filter(has=need)
    expect(moved).to_be_focused()
    expect(page.get_by_role("status").filter(has_text="Proposition passée à « Présélectionnées »")).to_be_attached()
    # And back, with the other arrow.
    page.keyboard.press("ArrowLeft")
    back = proposed.get_by_role("article", name=label).filter(has=need)
    expect(back).to_be_focused()
    back.get_by_role("button", name="Pourquoi ce score ?").click()
    weight = back.get_by_role("columnheader", name="Poids")
    box = weight.bounding_box()
    assert box and box["width"] > box["height"], f"the 'Poids' header wraps: {box}"
    # The whole table shows inside its card, and the board still fits the window.
    card_box = back.bounding_box()
    assert card_box and box["x"] + box["width"] <= card_box["x"] + card_box["width"]
    last = page.get_by_role("heading", name=re.compile("^Partenariat formé")).bounding_box()
    assert last and last["x"] + last["width"] <= page.evaluate("window.innerWidth")
    shot(page, "board-reasons")
