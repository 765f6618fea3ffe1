"""The audit trail: every write through the session leaves a row in the same transaction; admins read it."""

from typing import Any

import pytest

from tests.conftest import PASSWORD, Api

AUDIT = "/api/v1/audit"
CONTACTS = "/api/v1/contacts"


def entries(api: Api, **params: Any) -> list[dict[str, Any]]:
    r = api.get(AUDIT, params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def me(api: Api, role: str) -> dict[str, Any]:
    return dict(api.get("/api/v1/auth/me", role).json())


def test_create_update_delete_are_recorded_with_the_user(api: Api) -> None:
    c = api.own_collectivity()
    coordinator = me(api, "coordinator")
    body = {"collectivity_id": c["id"], "full_name": "Rima Haddad", "consent_at": "2024-01-15T09:00Z"}
    contact = api.post(CONTACTS, "coordinator", json={**body, "role": "Maire"}).json()
    assert api.patch(f"{CONTACTS}/{contact['id']}", "coordinator", json={"role": "Adjointe"}).status_code == 200
    assert api.delete(f"{CONTACTS}/{contact['id']}", "coordinator").status_code == 204

    rows = entries(api, resource_id=contact["id"], sort="at")
    assert [r["action"] for r in rows] == ["create", "update", "delete"]
    for r in rows:
        assert r["resource_type"] == "contacts"
        assert (r["actor_kind"], r["actor_id"], r["actor_label"]) == ("user", coordinator["id"], coordinator["email"])
    created, updated, deleted = rows
    assert created["before"] is None and created["after"]["full_name"] == "Rima Haddad"
    assert created["after"]["role"] == "Maire" and "search_text" not in created["after"]
    assert updated["before"] == {"role": "Maire"} and updated["after"] == {"role": "Adjointe"}  # changed fields only
    assert deleted["before"]["role"] == "Adjointe" and deleted["after"] is None
    one = api.get(f"{AUDIT}/{updated['id']}")
    assert one.status_code == 200 and one.json() == updated


def test_an_api_client_is_the_actor_of_its_writes(api: Api) -> None:
    made = api.post("/api/v1/api-clients", json={"name": "Partner CRM", "role": "coordinator"}).json()
    r = api.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": made["client_id"],
            "client_secret": made["client_secret"],
        },
    )
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    c = api.own_collectivity()
    r = api.client.post("/api/v1/needs", headers=headers, json={"collectivity_id": c["id"], "title": "Roads"})
    assert r.status_code == 201, r.text
    (row,) = entries(api, resource_id=r.json()["id"])
    assert (row["actor_kind"], row["actor_id"], row["actor_label"]) == ("api_client", made["id"], made["client_id"])
    assert entries(api, actor=made["id"]) == [row]
    assert entries(api, actor=made["client_id"]) == [row]


def test_secrets_are_redacted(api: Api) -> None:
    user = api.post("/api/v1/users", json={"email": "new@example.org", "password": PASSWORD}).json()
    assert api.patch(f"/api/v1/users/{user['id']}", json={"password": "another long password"}).status_code == 200
    made = api.post("/api/v1/api-clients", json={"name": "Partner CRM"}).json()
    assert api.post(f"/api/v1/api-clients/{made['id']}/secret").status_code == 200
    created, changed = entries(api, resource_id=user["id"], sort="at")
    assert created["after"]["password_hash"] == "[redacted]"
    assert changed["before"] == {"password_hash": "[redacted]"} and changed["after"] == {"password_hash": "[redacted]"}
    client_rows = entries(api, resource_id=made["id"])
    assert client_rows and all(r["after"]["secret_hash"] == "[redacted]" for r in client_rows)
    everything = api.get(AUDIT, params={"limit": 500}).text
    assert "$argon2" not in everything and made["client_secret"] not in everything
    assert "another long password" not in everything and PASSWORD not in everything


def test_a_failed_request_leaves_no_audit_row(api: Api) -> None:
    c = api.collectivity()
    api.contact(c["id"])
    before = entries(api)
    # the delete is flushed (and its audit row with it), then the database refuses it: 409, all rolled back
    assert api.delete(f"/api/v1/collectivities/{c['id']}").status_code == 409
    assert entries(api) == before
    assert entries(api, resource_id=c["id"], action="delete") == []


def test_filters_and_sort(api: Api) -> None:
    c = api.own_collectivity()
    need = api.need(c["id"])
    assert api.patch(f"/api/v1/needs/{need['id']}", json={"title": "Changed"}).status_code == 200
    admin = me(api, "admin")
    assert {r["resource_type"] for r in entries(api, resource_type="needs")} == {"needs"}
    assert [r["action"] for r in entries(api, resource_type="needs", sort="at")] == ["create", "update"]
    assert [r["action"] for r in entries(api, resource_type="needs")] == ["update", "create"]  # newest first
    assert {r["action"] for r in entries(api, action="update")} == {"update"}
    assert entries(api, actor=admin["email"]) == entries(api, actor=admin["id"])
    assert len(entries(api, actor=admin["email"])) >= 3
    first, last = entries(api, resource_type="needs", sort="at")
    assert entries(api, resource_type="needs", since=last["at"]) == [last]
    assert entries(api, resource_type="needs", until=last["at"]) == [first]
    page = api.get(AUDIT, params={"limit": 1, "resource_type": "needs"}).json()
    assert page["total"] == 2 and len(page["items"]) == 1
    assert api.get(AUDIT, params={"sort": "actor_secret"}).status_code == 422
    assert api.get(AUDIT, params={"since": "yesterday"}).status_code == 422


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_trail_cannot_be_written_through_the_api(api: Api, method: str) -> None:
    c = api.own_collectivity()
    (row,) = entries(api, resource_id=c["id"])
    assert api.request(method, AUDIT, json={}).status_code == 405
    assert api.request(method, f"{AUDIT}/{row['id']}", json={"action": "x"}).status_code == 405
    assert api.get(f"{AUDIT}/{row['id']}").json() == row


@pytest.mark.parametrize("role", ["coordinator", "member", "viewer"])
def test_only_admins_read_the_trail(api: Api, role: str) -> None:
    c = api.own_collectivity()
    (row,) = entries(api, resource_id=c["id"])
    assert api.get(AUDIT, role).status_code == 403
    assert api.get(f"{AUDIT}/{row['id']}", role).status_code == 403
    assert api.get(AUDIT, "anonymous").status_code == 401
    assert api.get(f"{AUDIT}/{row['id']}x").status_code == 422
    assert api.get("/api/v1/audit/00000000-0000-4000-8000-000000000000").status_code == 404


def test_request_id_and_anonymous_and_system_actors(api: Api) -> None:
    c = api.own_collectivity()
    r = api.post(
        "/api/v1/needs", json={"collectivity_id": c["id"], "title": "Roads"}, headers={"X-Request-ID": "req-7"}
    )
    (row,) = entries(api, resource_id=r.json()["id"])
    assert row["request_id"] == "req-7"
    # outside any request (CLI, worker): the system
    from jisr.core.db import new_session
    from jisr.tags.models import ThematicTag

    with new_session() as s:
        tag = ThematicTag(slug="cli-tag", label_fr="CLI", label_en="CLI", label_ar="CLI")
        s.add(tag)
        s.commit()
        tag_id = str(tag.id)
    (row,) = entries(api, resource_id=tag_id)
    assert (row["actor_kind"], row["actor_id"], row["actor_label"], row["request_id"]) == (
        "system",
        None,
        "system",
        None,
    )
    # a request without a principal (the public census form): anonymous
    campaign = api.post("/api/v1/census/campaigns", json={"title": "R", "closes_at": "2030-01-01T00:00Z"}).json()
    link = api.post(f"/api/v1/census/campaigns/{campaign['id']}/invitations", json={"collectivity_ids": [c["id"]]})
    form = {"contact": {"full_name": "Nour"}, "needs": [{"title": "Eau"}]}
    assert api.client.put(f"/api/v1/census/forms/{link.json()['items'][0]['token']}", json=form).status_code == 201
    rows = entries(api, resource_type="census_responses")
    assert [(r["action"], r["actor_kind"]) for r in rows] == [("create", "anonymous")]


def test_set_based_writes_leave_one_summary_row(api: Api) -> None:
    api.collectivity(code="LB-ZAHLE", name="Zahlé")
    csv = (
        "Collectivité;Nom complet;Consentement\nLB-ZAHLE;Nadia Saad;2021-06-15\nLB-ZAHLE;Omar Khalil;2021-06-15\n"
    ).encode()
    r = api.post("/api/v1/imports/contacts", "coordinator", files={"file": ("c.csv", csv)})
    assert r.status_code == 200 and r.json()["created"] == 2, r.text
    (row,) = entries(api, action="bulk", resource_type="contacts")
    assert row["after"] == {
        "operation": "import",
        "counts": {"created": 2, "updated": 0, "rejected": 0},
        "import_id": r.json()["id"],
    }
    assert row["actor_kind"] == "user" and row["actor_label"] == "coordinator@jisr.example.org"
    assert entries(api, resource_type="contacts", action="create") == []  # no row per record
    # a dry run is rolled back, its summary row with it
    assert api.post("/api/v1/imports/contacts", files={"file": ("c.csv", csv)}, params={"dry_run": True}).is_success
    assert len(entries(api, action="bulk", resource_type="contacts")) == 1
    run = api.post("/api/v1/matches/runs", json={})
    assert run.status_code == 201, run.text
    (row,) = entries(api, action="bulk", resource_type="match_proposals")
    assert row["after"]["operation"] == "matching-run" and row["after"]["run_id"] == run.json()["id"]
    assert set(row["after"]["counts"]) == {"created", "updated", "deleted"}
