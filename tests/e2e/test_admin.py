"""Admin screens: the outbox shows what waits to be sent (no SMTP in the browser tests); the audit trail
shows who changed what."""

import uuid
from datetime import date, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import api_token, shot, sign_in

pytestmark = pytest.mark.e2e


def test_a_registration_confirmation_waits_in_the_outbox(page, server):
    base, headers = server["base"], {"Authorization": f"Bearer {api_token(server)}"}
    address = f"maire-{uuid.uuid4().hex[:8]}@saida.example.org"
    # Not Saïda: the census tests expect Saïda to have no contact with an address.
    town = server["ids"]["Nantes"]
    contact = httpx.post(
        f"{base}/api/v1/contacts",
        headers=headers,
        json={
            "collectivity_id": town,
            "full_name": "Maire",
            "email": address,
            "languages": ["fr"],
            "consent_at": "2021-06-01T09:00:00Z",
        },
    )
    assert contact.status_code == 201, contact.text
    day = (date.today() + timedelta(days=20)).isoformat()
    event = httpx.post(
        f"{base}/api/v1/events",
        headers=headers,
        json={
            "kind": "webinar",
            "title": "Webinaire eau",
            "starts_at": f"{day}T10:00:00",
            "ends_at": f"{day}T12:00:00",
            "timezone": "Asia/Beirut",
            "status": "open",
        },
    )
    assert event.status_code == 201, event.text
    reg = httpx.post(
        f"{base}/api/v1/events/{event.json()['id']}/registrations",
        headers=headers,
        json={"collectivity_id": town, "contact_id": contact.json()["id"]},
    )
    assert reg.status_code == 201, reg.text

    sign_in(page, server)
    page.goto("/admin")
    page.get_by_role("link", name="Messages sortants").click()
    expect(page.get_by_role("heading", name="Messages sortants", level=2)).to_be_visible()
    page.get_by_label("Statut").select_option("pending")
    page.get_by_label("Destinataire").fill(address)
    row = page.get_by_role("row").filter(has_text=address)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("event-registration")
    expect(row).to_contain_text("En attente")
    shot(page, "admin-outbox")
    page.get_by_label("Statut").select_option("dead")
    expect(page.get_by_text("Aucun message.")).to_be_visible()


def test_the_audit_trail_shows_who_changed_what(page, server):
    base, headers = server["base"], {"Authorization": f"Bearer {api_token(server)}"}
    url = f"{base}/api/v1/collectivities/{server['ids']['Tripoli']}"
    tag = httpx.get(url, headers=headers).headers["ETag"]
    r = httpx.patch(url, headers={**headers, "If-Match": tag}, json={"description": "Jumelée avec Nantes (audit)"})
    assert r.status_code == 200, r.text

    sign_in(page, server)
    page.goto("/admin?tab=audit")
    expect(page.get_by_role("heading", name="Journal d’audit", level=2)).to_be_visible()
    page.get_by_label("Ressource", exact=True).select_option("collectivities")
    page.get_by_label("Action").select_option("update")
    page.get_by_label("Identifiant de la ressource").fill(server["ids"]["Tripoli"])
    row = page.get_by_role("row").filter(has_text="Jumelée avec Nantes (audit)")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(server["email"])
    expect(row).to_contain_text("Modification")
    shot(page, "admin-audit")
