"""Events: create one, register a collectivity, record attendance, see it on the calendar."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot, sign_in

pytestmark = pytest.mark.e2e


def test_create_an_event_register_and_record_attendance(page, server):
    sign_in(page, server)
    page.goto("/events")
    page.get_by_text("Nouvel événement").click()
    day = date.today() + timedelta(days=3)
    page.get_by_label("Titre").fill("Webinaire : gestion des déchets")
    page.get_by_label("Début").fill(f"{day.isoformat()}T10:00")
    page.get_by_label("Fin").fill(f"{day.isoformat()}T12:00")
    page.get_by_label("Places").fill("30")
    page.get_by_role("button", name="Créer l’événement").click()
    expect(page.get_by_role("heading", name="Webinaire : gestion des déchets", level=1)).to_be_visible()

    page.get_by_role("combobox", name="Inscrire une collectivité").fill("saida")
    page.get_by_role("option", name=re.compile("Saïda")).click()
    page.get_by_role("button", name="Inscrire", exact=True).click()
    attendance = page.get_by_role("combobox", name="Présence de Saïda")
    expect(attendance).to_have_value("registered")
    expect(page.get_by_text("29 places restantes")).to_be_visible()
    attendance.select_option("attended")
    expect(attendance).to_have_value("attended")
    page.reload()
    expect(page.get_by_role("combobox", name="Présence de Saïda")).to_have_value("attended")
    shot(page, "event")

    page.goto(f"/events?view=calendar&month={day.isoformat()[:7]}")
    expect(page.get_by_role("link", name=re.compile("Webinaire : gestion des déchets"))).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("link", name="Webinaire : gestion des déchets")).to_be_visible()
