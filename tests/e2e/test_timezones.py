"""Wall times belong to the event's zone (issue 21, item 3): a coordinator whose browser runs in Beirut
enters and reads a Paris field mission's times in Paris time, on the form, in the API and on the calendar."""

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_token, shot, sign_in

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def beirut_page(browser: Any, server: dict[str, Any]) -> Iterator[Any]:
    context = browser.new_context(
        base_url=server["base"], viewport={"width": 1280, "height": 900}, locale="fr-FR", timezone_id="Asia/Beirut"
    )
    context.set_default_timeout(10_000)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    assert p.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "Asia/Beirut"
    yield p
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def _paris_event(api: httpx.Client, title: str, day: date, start: str, end: str) -> dict[str, Any]:
    return dict(
        api.post(
            "/api/v1/events",
            json={
                "kind": "field_mission",
                "title": title,
                "starts_at": f"{day.isoformat()}T{start}",
                "ends_at": f"{day.isoformat()}T{end}",
                "timezone": "Europe/Paris",
            },
        )
        .raise_for_status()
        .json()
    )


def test_availability_is_entered_and_shown_in_the_events_zone(beirut_page, server):
    page = beirut_page
    day = date.today() + timedelta(days=40)
    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
        event = _paris_event(api, "Mission à Paris", day, "08:00", "18:00")
    sign_in(page, server)
    page.goto(f"/events/{event['id']}")
    section = page.get_by_role("region", name="Rencontres bilatérales de la mission")
    section.get_by_text("Ajouter une disponibilité").click()
    # The form says in which zone its times are.
    expect(section.get_by_text("Heures de Paris (Europe/Paris)")).to_be_visible()
    section.get_by_role("combobox", name="Collectivité").fill("lyon")
    page.get_by_role("option", name=re.compile("^Lyon")).click()
    section.get_by_label("De", exact=True).fill(f"{day.isoformat()}T09:00")
    section.get_by_label("À", exact=True).fill(f"{day.isoformat()}T12:00")
    section.get_by_role("button", name="Enregistrer").click()
    section.get_by_text("Disponibilités de 1 collectivité(s)").click()
    expect(section.get_by_role("listitem").filter(has_text="Lyon")).to_contain_text(re.compile(r"09:00.*–.*12:00"))
    shot(page, "availability-paris-from-beirut")

    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
        saved = api.get(f"/api/v1/events/{event['id']}/availability").raise_for_status().json()["items"]
    window = saved[0]["windows"][0]
    assert datetime.fromisoformat(window["starts_at"]).astimezone(PARIS).strftime("%H:%M") == "09:00"
    assert datetime.fromisoformat(window["ends_at"]).astimezone(PARIS).strftime("%H:%M") == "12:00"


def test_event_created_and_shown_on_the_calendar_in_its_zone(beirut_page, server):
    page = beirut_page
    # The 10th, late evening in Paris: already the 11th in Beirut.
    first = (date.today().replace(day=1) + timedelta(days=62)).replace(day=1)
    day = first.replace(day=10)
    sign_in(page, server)
    page.goto("/events")
    page.get_by_text("Nouvel événement").click()
    page.get_by_label("Fuseau horaire").select_option("Europe/Paris")
    expect(page.get_by_text("Heures de Paris (Europe/Paris)").first).to_be_visible()
    page.get_by_label("Titre").fill("Conseil à Paris, en soirée")
    page.get_by_label("Début").fill(f"{day.isoformat()}T23:30")
    page.get_by_label("Fin").fill(f"{day.isoformat()}T23:50")
    page.get_by_role("button", name="Créer l’événement").click()
    expect(page.get_by_role("heading", name="Conseil à Paris, en soirée", level=1)).to_be_visible()
    event_id = page.url.rsplit("/", 1)[1]
    with httpx.Client(base_url=server["base"], headers={"Authorization": f"Bearer {api_token(server)}"}) as api:
        saved = api.get(f"/api/v1/events/{event_id}").raise_for_status().json()
    assert saved["starts_at_local"].startswith(f"{day.isoformat()}T23:30")

    page.goto(f"/events?view=calendar&month={day.isoformat()[:7]}")
    cell = page.locator(".calendar-day").filter(has=page.locator(".calendar-num", has_text=re.compile(r"^10$")))
    expect(cell.get_by_role("link", name=re.compile("Conseil à Paris"))).to_contain_text("23:30")
