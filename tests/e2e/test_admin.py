"""Admin: the outbox screen shows what waits to be sent (no SMTP in the browser tests) and filters it."""

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
    contact = httpx.post(
        f"{base}/api/v1/contacts",
        headers=headers,
        json={
            "collectivity_id": server["ids"]["Saïda"],
            "full_name": "Maire de Saïda",
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
        json={"collectivity_id": server["ids"]["Saïda"], "contact_id": contact.json()["id"]},
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
