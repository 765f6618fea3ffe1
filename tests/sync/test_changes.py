"""Delta sync: created, updated and deleted since a cursor, deletions of every resource included."""

import uuid
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col

from jisr.contacts.models import Contact
from jisr.core.config import get_settings


@pytest.fixture
def settled(monkeypatch: Any) -> None:
    """No settling window: the cursor follows the last change at once (the default trails by 30 s)."""
    monkeypatch.setattr(get_settings(), "changes_settle_seconds", 0)


def _all(api: Any, since: str | None, role: str = "admin", **params: Any) -> tuple[list[dict[str, Any]], str]:
    items: list[dict[str, Any]] = []
    while True:
        query = {**params, **({"since": since} if since else {})}
        r = api.get("/api/v1/changes", role, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        items.extend(body["items"])
        since = body["next_cursor"]
        if not body["has_more"]:
            return items, since


def test_full_load_then_updates_and_deletions(api: Any, settled: None) -> None:
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    need = api.need(saida["id"], title="Eau")
    other = api.need(saida["id"], title="Déchets")
    items, cursor = _all(api, None, types=["collectivities", "needs"])
    assert {(i["type"], i["id"], i["op"]) for i in items} == {
        ("collectivities", saida["id"], "created"),
        ("needs", need["id"], "created"),
        ("needs", other["id"], "created"),
    }
    assert next(i for i in items if i["id"] == need["id"])["data"]["title"] == "Eau"
    assert _all(api, cursor, types=["needs"])[0] == []  # nothing new

    api.patch(f"/api/v1/needs/{need['id']}", json={"title": "Eau potable"})
    api.delete(f"/api/v1/needs/{other['id']}")
    fresh = api.need(saida["id"], title="Formation")
    items, cursor = _all(api, cursor, types=["needs"])
    ops = {(i["id"], i["op"]) for i in items}
    assert ops == {(need["id"], "updated"), (other["id"], "deleted"), (fresh["id"], "created")}
    deleted = next(i for i in items if i["op"] == "deleted")
    assert deleted["data"] is None and deleted["type"] == "needs"
    assert next(i for i in items if i["op"] == "updated")["data"]["title"] == "Eau potable"
    assert _all(api, cursor)[0] == []


def test_deletions_of_every_resource_leave_a_tombstone(api: Any, settled: None) -> None:
    lyon = api.collectivity(country="FR", name="Lyon", code="69123")
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    contact = api.contact(saida["id"])
    partnership = api.partnership(lyon["id"], saida["id"])
    tag = api.post("/api/v1/tags", json={"slug": "test-tag", "label_fr": "T", "label_en": "T", "label_ar": "T"}).json()
    _, cursor = _all(api, None)
    api.delete(f"/api/v1/partnerships/{partnership['id']}")
    api.delete(f"/api/v1/contacts/{contact['id']}")
    api.delete(f"/api/v1/collectivities/{lyon['id']}")
    api.delete(f"/api/v1/tags/{tag['id']}")
    items, _ = _all(api, cursor)
    assert {(i["type"], i["id"]) for i in items if i["op"] == "deleted"} == {
        ("partnerships", partnership["id"]),
        ("contacts", contact["id"]),
        ("collectivities", lyon["id"]),
        ("tags", tag["id"]),
    }


def test_pages_follow_each_other_without_gaps_or_repeats(api: Any, settled: None) -> None:
    made = [api.collectivity(name=f"Commune {i}", code=f"LB-C{i}")["id"] for i in range(7)]
    seen: list[str] = []
    since = None
    pages = 0
    while True:
        body = api.get(
            "/api/v1/changes", params={"types": "collectivities", "limit": 3, **({"since": since} if since else {})}
        ).json()
        seen.extend(i["id"] for i in body["items"])
        since, pages = body["next_cursor"], pages + 1
        if not body["has_more"]:
            break
    assert seen == made and pages == 3


def test_recent_changes_come_again_until_they_settle(api: Any) -> None:
    c = api.collectivity(name="Tyr", code="LB-TYR")
    first = api.get("/api/v1/changes").json()
    again = api.get("/api/v1/changes", params={"since": first["next_cursor"]}).json()
    assert c["id"] in [i["id"] for i in first["items"]]
    assert c["id"] in [i["id"] for i in again["items"]]  # within the settling window: sent again, not skipped


def test_contacts_are_for_staff_only_and_bad_cursors_are_422(api: Any, settled: None) -> None:
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    api.contact(saida["id"])
    viewer_types = {i["type"] for i in _all(api, None, "viewer")[0]}
    assert "contacts" not in viewer_types and "collectivities" in viewer_types
    assert "contacts" in {i["type"] for i in _all(api, None, "coordinator")[0]}
    assert api.get("/api/v1/changes", "anonymous").status_code == 401
    r = api.get("/api/v1/changes", params={"since": "not-a-cursor!"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert api.get("/api/v1/changes", params={"types": "unicorns"}).status_code == 422


def test_since_an_instant(api: Any, settled: None) -> None:
    old = api.collectivity(name="Tyr", code="LB-TYR")
    instant = api.get(f"/api/v1/collectivities/{old['id']}").json()["updated_at"]
    new = api.collectivity(name="Sour", code="LB-SOUR")
    ids = [i["id"] for i in _all(api, instant, types=["collectivities"])[0]]
    assert new["id"] in ids
    assert all(i["op"] == "updated" or i["id"] != old["id"] for i in _all(api, instant)[0])


def test_imports_show_up_in_the_feed(api: Any, settled: None) -> None:
    _, cursor = _all(api, None)
    csv = "country;kind;name;code\nLB;municipality;Tyr;LB-TYR\n"
    api.post("/api/v1/imports/collectivities", content=csv.encode(), headers={"Content-Type": "text/csv"})
    items, cursor = _all(api, cursor)
    assert [(i["type"], i["op"], i["data"]["name"]) for i in items] == [("collectivities", "created", "Tyr")]
    api.post("/api/v1/imports/collectivities", content=csv.encode(), headers={"Content-Type": "text/csv"})
    assert _all(api, cursor)[0] == []  # an unchanged re-import is no change


def test_events_are_in_the_feed(api: Any, settled: None) -> None:
    body = {
        "kind": "webinar",
        "title": "Déchets",
        "starts_at": "2030-06-10T10:00:00",
        "ends_at": "2030-06-10T12:00:00",
        "timezone": "Asia/Beirut",
    }
    event = api.post("/api/v1/events", json=body).json()
    items, cursor = _all(api, None, types=["events"])
    assert [(i["type"], i["id"], i["op"]) for i in items] == [("events", event["id"], "created")]
    assert items[0]["data"]["title"] == "Déchets"
    api.delete(f"/api/v1/events/{event['id']}")
    items, _ = _all(api, cursor, types=["events"])
    assert [(i["id"], i["op"]) for i in items] == [(event["id"], "deleted")]


def test_contacts_without_consent_stay_out_of_the_feed(api: Any, session: Any, settled: None) -> None:
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    kept = api.contact(saida["id"], full_name="Rima Haddad")
    unlisted = api.contact(saida["id"], full_name="Sans consentement")
    # The API refuses a contact without consent; older data (or a database edit) may hold one.
    session.execute(update(Contact).where(col(Contact.id) == uuid.UUID(unlisted["id"])).values(consent_at=None))
    session.commit()
    ids = {i["id"] for i in _all(api, None)[0] if i["type"] == "contacts"}
    assert kept["id"] in ids and unlisted["id"] not in ids
