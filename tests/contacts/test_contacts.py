"""Contacts are personal data: coordinators and admins only."""

from typing import Any

import pytest

from tests.conftest import Api

CONTACTS = "/api/v1/contacts"


def names(r: Any) -> set[str]:
    assert r.status_code == 200, r.text
    return {c["full_name"] for c in r.json()["items"]}


def test_crud(api: Api) -> None:
    c = api.own_collectivity()
    body = {
        "collectivity_id": c["id"],
        "full_name": "Rima Haddad",
        "role": "Mayor",
        "email": "rima@saida.example.lb",
        "phone": "+961 7 123 456",
        "languages": ["ar", "fr"],
        "consent_at": "2021-06-15T10:00:00+03:00",
    }
    r = api.post(CONTACTS, "coordinator", json=body)
    assert r.status_code == 201, r.text
    contact = r.json()
    assert r.headers["Location"] == f"{CONTACTS}/{contact['id']}"
    assert contact["consent_at"].startswith("2021-06-15T07:00:00")  # stored in UTC
    assert contact["languages"] == ["ar", "fr"] and contact["active"] is True
    got = api.get(f"{CONTACTS}/{contact['id']}", "coordinator")
    assert got.status_code == 200 and got.json()["email"] == "rima@saida.example.lb"
    etag = got.headers["ETag"]
    r = api.patch(f"{CONTACTS}/{contact['id']}", json={"active": False}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["active"] is False
    assert api.patch(f"{CONTACTS}/{contact['id']}", json={"role": "x"}, headers={"If-Match": etag}).status_code == 412
    assert api.delete(f"{CONTACTS}/{contact['id']}", "coordinator").status_code == 204
    assert api.get(f"{CONTACTS}/{contact['id']}").status_code == 404


def test_list_filters_and_search(api: Api) -> None:
    saida = api.own_collectivity()
    tyre = api.collectivity(name="Tyr")
    api.contact(saida["id"], full_name="Rima Haddad", role="Maire")
    api.contact(saida["id"], full_name="Élie Khoury", email="elie@example.org", active=False)
    api.contact(tyre["id"], full_name="Nour Saleh")
    assert names(api.get(CONTACTS, params={"collectivity_id": saida["id"]})) == {"Rima Haddad", "Élie Khoury"}
    assert names(api.get(CONTACTS, params={"active": "false"})) == {"Élie Khoury"}
    assert names(api.get(CONTACTS, params={"q": "elie"})) == {"Élie Khoury"}
    assert names(api.get(CONTACTS, params={"q": "maire"})) == {"Rima Haddad"}
    assert names(api.get(CONTACTS, params={"q": "example.org"})) == {"Élie Khoury"}
    page = api.get(CONTACTS, params={"sort": "-full_name", "limit": 2, "collectivity_id": saida["id"]}).json()
    assert page["total"] == 2 and len(page["items"]) == 2
    page = api.get(CONTACTS, params={"sort": "full_name", "limit": 1, "offset": 1, "active": True}).json()
    assert page["total"] == 2 and [c["full_name"] for c in page["items"]] == ["Rima Haddad"]
    assert api.get(CONTACTS, params={"sort": "email"}).status_code == 422


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_see_no_contacts(api: Api, role: str) -> None:
    own = api.own_collectivity()  # even the member's own collectivity's contacts
    contact = api.contact(own["id"])
    assert api.get(CONTACTS, role).status_code == 403
    assert api.get(CONTACTS, role, params={"collectivity_id": own["id"]}).status_code == 403
    r = api.get(f"{CONTACTS}/{contact['id']}", role)
    assert r.status_code == 403 and "Rima" not in r.text
    assert api.post(CONTACTS, role, json={"collectivity_id": own["id"], "full_name": "X"}).status_code == 403
    assert api.patch(f"{CONTACTS}/{contact['id']}", role, json={"full_name": "X"}).status_code == 403
    assert api.delete(f"{CONTACTS}/{contact['id']}", role).status_code == 403
    assert api.get(f"{CONTACTS}/{contact['id']}").json()["full_name"] == "Rima Haddad"
    assert api.get(CONTACTS, "anonymous").status_code == 401


@pytest.mark.parametrize(
    "fields, loc",
    [
        ({"full_name": ""}, "full_name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "call me maybe"}, "phone"),
        ({"phone": "12"}, "phone"),
        ({"languages": ["de"]}, "languages"),
        ({"consent_at": "yesterday"}, "consent_at"),
        ({"consent_at": "2021-06-15T10:00:00"}, "consent_at"),  # no offset: ambiguous, not a 500
        ({"role": "x" * 101}, "role"),
    ],
)
def test_invalid_contact_is_422(api: Api, fields: dict[str, Any], loc: str) -> None:
    c = api.own_collectivity()
    body = {"collectivity_id": c["id"], "full_name": "Rima", "consent_at": "2024-01-15T09:00Z", **fields}
    r = api.post(CONTACTS, json=body)
    assert r.status_code == 422, r.text
    assert any(loc in e["loc"] for e in r.json()["errors"]), r.json()


def test_unknown_collectivity_is_404(api: Api) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    r = api.post(CONTACTS, json={"collectivity_id": missing, "full_name": "Rima", "consent_at": "2024-01-15T09:00Z"})
    assert r.status_code == 404
    contact = api.contact(api.own_collectivity()["id"])
    assert api.patch(f"{CONTACTS}/{contact['id']}", json={"collectivity_id": missing}).status_code == 404


def test_contact_can_be_erased_and_its_collectivity_then_deleted(api: Api) -> None:
    c = api.collectivity()
    contact = api.contact(c["id"])
    assert api.delete(f"/api/v1/collectivities/{c['id']}").status_code == 409
    assert api.delete(f"{CONTACTS}/{contact['id']}").status_code == 204
    assert api.delete(f"/api/v1/collectivities/{c['id']}").status_code == 204
