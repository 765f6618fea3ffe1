"""Issue 21 (items 10 and 11): campaign texts per language and time zone in the form and the e-mails,
a receipt with its link, which invitations were mailed, and the respondent made a contact at validation."""

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from jisr.notifications.service import opened
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem
from tests.conftest import Api
from tests.notifications.conftest import Mailbox, answer

CampaignFactory = Any

TEXTS = {
    "title": "Recensement 2026",
    "description": "Besoins des municipalités",
    "title_ar": "استبيان 2026",
    "description_ar": "احتياجات البلديات",
    "title_en": "",
}
# 2030-01-31 21:59 UTC is 23:59 in Beirut (UTC+2 in winter).
CLOSES = datetime(2030, 1, 31, 21, 59, tzinfo=UTC).isoformat()


def _payloads(session: Session, template: str) -> list[dict[str, Any]]:
    session.expire_all()
    rows = session.exec(select(OutboxItem).where(OutboxItem.kind == "email"))
    return [opened(r.payload) for r in rows if r.payload.get("template") == template]


def test_campaign_texts_per_language_in_the_form_and_beirut_times_in_the_emails(
    api: Api, session: Session, make_campaign: CampaignFactory, no_smtp: None
) -> None:
    saida = api.collectivity(name="Saïda", name_ar="صيدا", governorate="LB-JA")
    api.contact(saida["id"], email="maher@saida.example", languages=["ar"])
    api.contact(saida["id"], email="rima@saida.example", full_name="Rima", languages=["en"])
    campaign = make_campaign(**TEXTS, closes_at=CLOSES)
    assert campaign["timezone"] == "Asia/Beirut" and campaign["title_ar"] == "استبيان 2026"
    bad = api.post(
        "/api/v1/census/campaigns", role="coordinator", json={**TEXTS, "closes_at": CLOSES, "timezone": "Mars/Olympus"}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"][-1] == "timezone"

    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    [link] = r.json()["items"]
    token = link["token"]

    form = api.client.get(f"/api/v1/census/forms/{token}", params={"lang": "ar"}).json()["campaign"]
    assert (form["title"], form["description"], form["text_language"]) == ("استبيان 2026", "احتياجات البلديات", "ar")
    assert form["timezone"] == "Asia/Beirut"
    form = api.client.get(f"/api/v1/census/forms/{token}", params={"lang": "en"}).json()["campaign"]
    assert (form["title"], form["text_language"]) == ("Recensement 2026", "fr")  # no English title: French

    by_lang = {p["lang"]: p for p in _payloads(session, "census_invitation")}
    assert by_lang["ar"]["subject"] == "استبيان «استبيان 2026»: رابطكم الخاص"
    assert "2030-01-31 23:59 (Asia/Beirut)" in by_lang["ar"]["text"]
    assert "UTC" not in by_lang["ar"]["text"]
    assert by_lang["en"]["subject"] == "Census “Recensement 2026”: your private link"
    assert "2030-01-31 23:59 (Asia/Beirut)" in by_lang["en"]["text"]

    # The receipt says the answer can be changed with the same link: it carries it.
    body = answer(language="ar", contact={"full_name": "نور", "email": "nour@saida.example"})
    assert api.client.put(f"/api/v1/census/forms/{token}", json=body).status_code == 201
    [receipt] = _payloads(session, "census_receipt")
    assert receipt["subject"] == "استبيان «استبيان 2026»: تم استلام الإجابة"
    assert receipt["link"] == link["url"] and link["url"] in receipt["text"] and link["url"] in receipt["html"]
    assert "23:59 (Asia/Beirut)" in receipt["text"]


def test_invitations_say_which_were_mailed_with_a_filter(
    api: Api, session: Session, make_campaign: CampaignFactory, smtp: Mailbox
) -> None:
    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    api.contact(tyr["id"], email="mayor@tyr.example")
    jezzine = api.collectivity(name="Jezzine", governorate="LB-JA")
    api.contact(jezzine["id"], email="nobody@jezzine.example")
    smtp.refuse["nobody@jezzine.example"] = "550 5.1.1 No such user"
    saida = api.collectivity(name="Saïda", governorate="LB-JA")  # no contact at all
    api.contact(saida["id"], full_name="Sans adresse")
    campaign = make_campaign()
    url = f"/api/v1/census/campaigns/{campaign['id']}/invitations"
    r = api.post(url, role="coordinator", json={"collectivity_ids": [tyr["id"], jezzine["id"], saida["id"]]})
    assert r.status_code == 201, r.text
    assert {i["collectivity_id"]: i["mail"]["status"] for i in r.json()["items"]} == {
        tyr["id"]: "queued",
        jezzine["id"]: "queued",
        saida["id"]: "no_address",
    }
    outbox.run_due()

    def listed(**params: Any) -> dict[str, dict[str, Any]]:
        r = api.get(url, role="coordinator", params=params)
        assert r.status_code == 200, r.text
        return {i["collectivity_id"]: i["mail"] for i in r.json()["items"]}

    every = listed()
    assert every[tyr["id"]] == {"status": "mailed", "sent": 1, "pending": 0, "failed": 0}
    assert every[jezzine["id"]] == {"status": "failed", "sent": 0, "pending": 0, "failed": 1}
    assert every[saida["id"]]["status"] == "no_address"
    assert list(listed(mail="no_address")) == [saida["id"]]
    assert list(listed(mail="failed")) == [jezzine["id"]]
    r = api.get(url, role="coordinator", params={"mail": "mailed"})
    assert r.json()["total"] == 1
    assert api.get(url, role="coordinator", params={"mail": "lost"}).status_code == 422

    # A new link for Jezzine, once it has a working address, is mailed anew.
    api.contact(jezzine["id"], email="mayor@jezzine.example")
    jz = api.get(url, role="coordinator", params={"mail": "failed"}).json()["items"][0]
    assert api.post(f"{url}/{jz['id']}/token", role="coordinator").json()["mail"]["status"] == "queued"
    outbox.run_due()
    assert listed()[jezzine["id"]] == {"status": "mailed", "sent": 1, "pending": 0, "failed": 1}


def test_the_respondent_becomes_a_contact_at_validation_only_with_consent(
    api: Api, session: Session, make_campaign: CampaignFactory, no_smtp: None
) -> None:
    saida = api.collectivity(name="Saïda", governorate="LB-JA")
    campaign = make_campaign()
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    token = r.json()["items"][0]["token"]
    person = {"full_name": "Nour Saad", "role": "Ingénieure", "email": "Nour@Saida.example", "phone": "+961 7 123 456"}
    assert api.client.put(f"/api/v1/census/forms/{token}", json=answer(contact=person)).status_code == 201
    [resp] = api.get("/api/v1/census/responses", params={"campaign_id": campaign["id"]}).json()["items"]
    assert resp["contact"]["consent"] is False

    # No consent on the form: the coordinator cannot add them (and nothing is validated).
    r = api.post(f"/api/v1/census/responses/{resp['id']}/validate", role="coordinator", json={"add_contact": True})
    assert r.status_code == 409 and "did not agree" in r.json()["detail"]
    assert api.get(f"/api/v1/census/responses/{resp['id']}").json()["status"] == "submitted"

    # With consent (sent again from the form), validation makes the contact, consent date = the answer's.
    assert (
        api.client.put(f"/api/v1/census/forms/{token}", json=answer(contact={**person, "consent": True})).status_code
        == 200
    )
    r = api.post(f"/api/v1/census/responses/{resp['id']}/validate", role="coordinator", json={"add_contact": True})
    assert r.status_code == 200, r.text
    validated = r.json()
    contact = api.get(f"/api/v1/contacts/{validated['contact_id']}").json()
    assert (contact["collectivity_id"], contact["full_name"], contact["email"]) == (
        saida["id"],
        "Nour Saad",
        "Nour@saida.example",  # EmailStr lower-cases the domain
    )
    assert contact["consent_at"] == validated["submitted_at"] and contact["languages"] == ["fr"]
    assert api.get("/api/v1/contacts", params={"collectivity_id": saida["id"]}).json()["total"] == 1


def test_an_existing_contact_with_the_same_address_is_linked_not_duplicated(
    api: Api, session: Session, make_campaign: CampaignFactory, no_smtp: None
) -> None:
    saida = api.collectivity(name="Saïda", governorate="LB-JA")
    known = api.contact(saida["id"], email="nour@saida.example", full_name="N. Saad")
    campaign = make_campaign()
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    token = r.json()["items"][0]["token"]
    person = {"full_name": "Nour Saad", "email": "NOUR@saida.example", "consent": True}
    assert api.client.put(f"/api/v1/census/forms/{token}", json=answer(contact=person)).status_code == 201
    [resp] = api.get("/api/v1/census/responses", params={"campaign_id": campaign["id"]}).json()["items"]
    r = api.post(f"/api/v1/census/responses/{resp['id']}/validate", role="coordinator", json={"add_contact": True})
    assert r.status_code == 200 and r.json()["contact_id"] == known["id"]
    assert api.get("/api/v1/contacts", params={"collectivity_id": saida["id"]}).json()["total"] == 1
