"""GDPR: nobody is listed without a consent date; admins find the others to collect consent or erase them."""

import uuid
from typing import Any

import pytest

from jisr.contacts.models import Contact
from jisr.core.db import new_session
from tests.conftest import Api

CONTACTS = "/api/v1/contacts"
CONSENT = "2024-01-15T09:00Z"


def names(r: Any) -> set[str]:
    assert r.status_code == 200, r.text
    return {c["full_name"] for c in r.json()["items"]}


def without_consent(collectivity_id: str, full_name: str = "Sans Consentement") -> str:
    """A contact stored before consent was required (the API no longer makes one)."""
    with new_session() as s:
        obj = Contact(collectivity_id=uuid.UUID(collectivity_id), full_name=full_name, search_text=full_name.lower())
        s.add(obj)
        s.commit()
        return str(obj.id)


def test_creating_a_contact_requires_a_consent_date(api: Api) -> None:
    c = api.own_collectivity()
    for body in ({}, {"consent_at": None}):
        r = api.post(CONTACTS, json={"collectivity_id": c["id"], "full_name": "Rima", **body})
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert error["loc"] == ["body", "consent_at"] and "consent date is required" in error["msg"]
    assert api.post(CONTACTS, json={"collectivity_id": c["id"], "full_name": "Rima", "consent_at": CONSENT}).is_success


def test_consent_cannot_be_removed(api: Api) -> None:
    contact = api.contact(api.own_collectivity()["id"])
    r = api.patch(f"{CONTACTS}/{contact['id']}", json={"consent_at": None})
    assert r.status_code == 422 and "consent_at cannot be null" in r.json()["errors"][0]["msg"]
    assert api.get(f"{CONTACTS}/{contact['id']}").json()["consent_at"].startswith("2024-01-15")


def test_contacts_without_consent_are_not_listed(api: Api) -> None:
    c = api.own_collectivity()
    api.contact(c["id"], full_name="Avec Consentement")
    missing = without_consent(c["id"])
    for role in ("admin", "coordinator"):
        assert names(api.get(CONTACTS, role)) == {"Avec Consentement"}
        assert names(api.get(CONTACTS, role, params={"q": "consentement"})) == {"Avec Consentement"}
        assert api.get(CONTACTS, role, params={"consent": "given"}).json()["total"] == 1
    assert names(api.get(CONTACTS, params={"consent": "missing"})) == {"Sans Consentement"}
    assert api.get(CONTACTS, "coordinator", params={"consent": "missing"}).status_code == 403
    assert api.get(CONTACTS, params={"consent": "whatever"}).status_code == 422
    # the export is the list: same rule
    exported = api.get("/api/v1/exports/contacts.json")
    assert exported.status_code == 200 and "Sans Consentement" not in exported.text
    # a change to such a contact must bring the consent date (collecting it), and then they are listed
    r = api.patch(f"{CONTACTS}/{missing}", json={"role": "Maire"})
    assert r.status_code == 422 and "no consent date" in r.json()["detail"]
    assert api.patch(f"{CONTACTS}/{missing}", json={"role": "Maire", "consent_at": CONSENT}).status_code == 200
    assert names(api.get(CONTACTS)) == {"Avec Consentement", "Sans Consentement"}
    assert api.get(CONTACTS, params={"consent": "missing"}).json()["total"] == 0


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_never_see_contacts(api: Api, role: str) -> None:
    own, other = api.own_collectivity(), api.collectivity(name="Tyr")
    for c in (own, other):
        contact = api.contact(c["id"], full_name=f"Personne {c['name']}")
        assert api.get(CONTACTS, role, params={"collectivity_id": c["id"]}).status_code == 403
        assert api.get(CONTACTS, role, params={"consent": "missing"}).status_code == 403
        r = api.get(f"{CONTACTS}/{contact['id']}", role)
        assert r.status_code == 403 and "Personne" not in r.text
        assert api.get("/api/v1/exports/contacts.csv", role).status_code == 403
        assert api.get("/api/v1/personal-data", role, params={"email": "a@example.org"}).status_code == 403
        assert api.post("/api/v1/personal-data/erase", role, json={"email": "a@example.org"}).status_code == 403


def test_imported_contacts_need_a_consent_date(api: Api) -> None:
    c = api.collectivity(code="LB-ZAHLE", name="Zahlé")
    csv = (
        "Collectivité;Nom complet;E-mail;Consentement\n"
        "LB-ZAHLE;Nadia Saad;nadia@zahle.example.org;2021-06-15\n"
        "LB-ZAHLE;Omar Khalil;omar@zahle.example.org;\n"
    )
    files = {"file": ("contacts.csv", csv.encode())}
    r = api.post("/api/v1/imports/contacts", files=files)
    assert r.status_code == 200 and r.json()["rejected"] == 1 and not r.json()["committed"], r.text  # abort: nothing
    assert api.get(CONTACTS, params={"collectivity_id": c["id"]}).json()["total"] == 0
    r = api.post("/api/v1/imports/contacts", files=files, params={"on_error": "skip"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["created"] == 1 and report["rejected"] == 1, report
    [error] = report["errors"]
    assert error["row"] == 3 and error["field"] == "Consentement" and "consent date is required" in error["message"]
    assert names(api.get(CONTACTS, params={"collectivity_id": c["id"]})) == {"Nadia Saad"}
    assert api.get(CONTACTS, params={"consent": "missing"}).json()["total"] == 0
