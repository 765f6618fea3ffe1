"""GDPR: an admin exports everything Jisr holds about one person, and erases it; the audit keeps the erasure."""

from typing import Any

from sqlalchemy import select

from jisr.contacts.personal_data import text_column
from jisr.core.db import new_session
from jisr.models import metadata
from jisr.notifications import unsubscribe
from jisr.outbox import service as outbox
from tests.conftest import PASSWORD, Api

EMAIL = "yasmina.karam@saida.example.org"
NAME = "Yasmina Karam-Aoun"
PHONE = "+961 7 555 123"


def person(api: Api) -> dict[str, Any]:
    """One person in every place Jisr keeps people: contact, account, census answer, registration, outbox,
    audit trail (as a record and as the author of a write), login throttling."""
    saida = api.own_collectivity()
    contact = api.contact(saida["id"], full_name=NAME, email=EMAIL, phone=PHONE, role="Secrétaire générale")
    event = api.post(
        "/api/v1/events",
        json={"kind": "webinar", "title": "Eau", "starts_at": "2030-06-10T10:00Z", "ends_at": "2030-06-10T12:00Z"},
    ).json()
    reg = api.post(
        f"/api/v1/events/{event['id']}/registrations",
        json={"collectivity_id": saida["id"], "contact_id": contact["id"]},
    )
    assert reg.status_code == 201, reg.text
    user = api.post(
        "/api/v1/users", json={"email": EMAIL, "password": PASSWORD, "full_name": NAME, "role": "coordinator"}
    ).json()
    token = api.token(EMAIL)
    need = api.client.post(
        "/api/v1/needs",
        headers={"Authorization": f"Bearer {token}"},
        json={"collectivity_id": saida["id"], "title": "Déchets"},
    )
    assert need.status_code == 201, need.text
    wrong = {"grant_type": "password", "username": EMAIL, "password": "not the password"}
    assert api.client.post("/api/v1/auth/token", data=wrong).status_code == 401
    campaign = api.post(
        "/api/v1/census/campaigns", json={"title": "Recensement", "closes_at": "2030-01-01T00:00Z"}
    ).json()
    link = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations", json={"collectivity_ids": [saida["id"]]}
    ).json()["items"][0]
    answer = {
        "language": "fr",
        "contact": {"full_name": NAME, "role": "Secrétaire générale", "email": EMAIL.upper(), "phone": PHONE},
        "needs": [{"title": "Réseau d'eau"}],
    }
    assert api.client.put(f"/api/v1/census/forms/{link['token']}", json=answer).status_code == 201
    with new_session() as s:
        outbox.enqueue(
            s,
            kind="email",
            key=f"test:{EMAIL}",
            target=EMAIL,
            payload={"to": EMAIL, "subject": "Bienvenue", "text": f"Bonjour {NAME},\nbienvenue."},
        )
        unsubscribe.opt_out(s, EMAIL)  # no more reminders
        s.commit()
    return {"contact": contact, "user": user, "registration": reg.json(), "need": need.json()}


def everything() -> str:
    """Every text and JSON value of every table, lower-cased: a generic check over the metadata."""
    out = []
    with new_session() as s:
        for table in metadata.sorted_tables:
            cols = [c for c in table.columns if text_column(c)]
            if cols:
                for row in s.execute(select(*cols)).all():
                    out.extend(str(v) for v in row if v is not None)
    return "\n".join(out).lower()


def test_export_finds_the_person_everywhere(api: Api) -> None:
    held = person(api)
    r = api.get("/api/v1/personal-data", params={"email": EMAIL.upper()})
    assert r.status_code == 200, r.text
    data = r.json()
    assert [c["id"] for c in data["contacts"]] == [held["contact"]["id"]]
    assert data["contacts"][0]["phone"] == PHONE
    assert data["user"]["id"] == held["user"]["id"] and data["user"]["full_name"] == NAME
    assert "password_hash" not in data["user"] and "$argon2" not in r.text
    [answer] = data["census_answers"]
    assert answer["contact"]["full_name"] == NAME
    assert [g["id"] for g in data["event_registrations"]] == [held["registration"]["id"]]
    messages = data["outbox"]  # ours, and whatever e-mails the actions above sent to the address
    assert messages and all(m["target"].lower() == EMAIL for m in messages)
    assert any(m["payload"].get("text") == f"Bonjour {NAME},\nbienvenue." for m in messages)
    about = {(a["resource_type"], a["action"]) for a in data["audit"]}
    assert {("contacts", "create"), ("users", "create"), ("census_responses", "create")} <= about
    assert api.get("/api/v1/personal-data", params={"email": "nobody@example.org"}).json()["contacts"] == []
    assert api.get("/api/v1/personal-data", params={"email": "not an address"}).status_code == 422


def test_erasure_leaves_the_person_nowhere_but_keeps_that_it_happened(api: Api) -> None:
    held = person(api)
    assert EMAIL in everything() and NAME.lower() in everything()
    r = api.post("/api/v1/personal-data/erase", json={"email": EMAIL})
    assert r.status_code == 200, r.text
    report = r.json()
    counts = report["counts"]
    assert counts["contacts"] == 1 and counts["user_accounts"] == 1 and counts["census_answers"] == 1
    assert counts["event_registrations"] == 1 and counts["outbox_messages"] >= 1 and counts["audit_entries"] >= 3
    assert counts["reminder_optouts"] == 1

    stored = everything()
    for trace in (EMAIL, NAME.lower(), PHONE, "yasmina"):
        assert trace not in stored, trace
    # what was erased is gone from the API too
    assert api.get(f"/api/v1/contacts/{held['contact']['id']}").status_code == 404
    data = api.get("/api/v1/personal-data", params={"email": EMAIL}).json()
    assert data["contacts"] == data["census_answers"] == data["outbox"] == [] and data["user"] is None
    # the account is kept (others' history names it) but anonymous and closed
    user = api.get(f"/api/v1/users/{held['user']['id']}").json()
    assert user["full_name"] == "" and user["is_active"] is False and EMAIL not in user["email"]
    denied = {"grant_type": "password", "username": EMAIL, "password": PASSWORD}
    assert api.client.post("/api/v1/auth/token", data=denied).status_code == 401
    # the registration keeps its seat, without the person; the need the person wrote stays
    reg = api.get(f"/api/v1/events/{held['registration']['event_id']}/registrations").json()["items"]
    assert [(g["id"], g["contact_id"]) for g in reg] == [(held["registration"]["id"], None)]
    assert api.get(f"/api/v1/needs/{held['need']['id']}").status_code == 200
    # the audit trail: one erasure row with counts only; rows about the records keep who/when but not the data
    [erasure] = api.get("/api/v1/audit", params={"action": "erasure"}).json()["items"]
    assert erasure["id"] == report["audit_id"] and erasure["after"] == {"counts": counts}
    assert erasure["actor_label"] == "admin@jisr.example.org" and erasure["resource_id"] is None
    rows = api.get("/api/v1/audit", params={"resource_id": held["contact"]["id"], "sort": "at"}).json()["items"]
    assert [(a["action"], a["before"], a["after"]) for a in rows] == [("create", {"erased": True}, {"erased": True})]
    written = api.get("/api/v1/audit", params={"resource_id": held["need"]["id"]}).json()["items"]
    assert [(a["actor_id"], a["actor_label"]) for a in written] == [(held["user"]["id"], "[erased]")]
    # erasing again finds nothing and still says so
    again = api.post("/api/v1/personal-data/erase", json={"email": EMAIL}).json()
    assert again["counts"]["contacts"] == 0 and again["counts"]["user_accounts"] == 0


def test_a_failed_erasure_changes_nothing(api: Api) -> None:
    api.headers("admin")  # the only admin
    api.contact(api.own_collectivity()["id"], email="admin@jisr.example.org", full_name="Admin Contact")
    before = everything()
    r = api.post("/api/v1/personal-data/erase", json={"email": "admin@jisr.example.org"})
    assert r.status_code == 409, r.text
    assert everything() == before
    assert api.get("/api/v1/audit", params={"action": "erasure"}).json()["total"] == 0


def test_two_people_who_opted_out_of_reminders_can_both_be_erased(api: Api) -> None:
    saida = api.own_collectivity()
    for address in ("a.one@saida.example.org", "b.two@saida.example.org"):
        api.contact(saida["id"], full_name=f"Person {address[0]}", email=address)
        with new_session() as s:
            unsubscribe.opt_out(s, address)
            s.commit()
        held = api.get("/api/v1/personal-data", params={"email": address}).json()
        assert held["reminders_opted_out_at"] is not None
        r = api.post("/api/v1/personal-data/erase", json={"email": address})
        assert r.status_code == 200 and r.json()["counts"]["reminder_optouts"] == 1, r.text
        assert api.get("/api/v1/personal-data", params={"email": address}).json()["reminders_opted_out_at"] is None


def test_erasing_one_address_leaves_a_longer_one_that_contains_it(api: Api) -> None:
    saida = api.own_collectivity()
    api.contact(saida["id"], full_name="Bob Haddad", email="bob@x.example.org")
    jim = api.contact(saida["id"], full_name="Jim Aoun", email="jimbob@x.example.org")
    api.post("/api/v1/users", json={"email": "jimbob@x.example.org", "password": PASSWORD, "role": "viewer"})
    assert api.post("/api/v1/personal-data/erase", json={"email": "bob@x.example.org"}).status_code == 200
    assert api.get(f"/api/v1/contacts/{jim['id']}").json()["email"] == "jimbob@x.example.org"
    [created] = api.get("/api/v1/audit", params={"resource_id": jim["id"], "action": "create"}).json()["items"]
    assert created["after"]["email"] == "jimbob@x.example.org" and created["after"]["full_name"] == "Jim Aoun"
    assert api.token("jimbob@x.example.org")  # the other account still signs in
    assert "bob@x.example.org" not in everything().replace("jimbob@x.example.org", "")
