"""The changes feed under abuse: crafted cursors are 422s, and no feed type shows a role more than
its own read endpoint does."""

import base64
import uuid
from typing import Any

import pytest
from sqlmodel import select

from jisr.core.config import get_settings
from jisr.matching.models import MatchProposal, MatchTransition


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


HEX = uuid.uuid4().hex
CRAFTED = [
    _b64(f"99999999999999999999999.x.{HEX}".encode()),  # the issue's: year out of range
    _b64(f"99999999999999999999999.collectivities.{HEX}".encode()),
    _b64(f"-5.collectivities.{HEX}".encode()),
    _b64(f"1.collectivities\x00.{HEX}".encode()),  # NUL: PostgreSQL cannot compare it
    _b64(f"1.no_such_table.{HEX}".encode()),
    _b64(b"1.collectivities.not-a-uuid"),
    _b64(b"1.2.3.4"),
    _b64(b"\xff\xfe\xfd"),
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
    "é",
    "",
]


@pytest.mark.parametrize("since", CRAFTED)
def test_a_crafted_cursor_is_a_422_never_a_500(api: Any, since: str) -> None:
    api.collectivity(name="Saïda", code="LB-SAIDA")
    r = api.get("/api/v1/changes", params={"since": since})
    if since == "":
        assert r.status_code == 200  # no cursor: a full load
        return
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["loc"] == ["query", "since"]


def test_cursors_handed_out_still_work(api: Any) -> None:
    api.collectivity(name="Saïda", code="LB-SAIDA")
    first = api.get("/api/v1/changes", params={"limit": 1}).json()
    r = api.get("/api/v1/changes", params={"since": first["next_cursor"]})
    assert r.status_code == 200, r.text
    assert api.get("/api/v1/changes", params={"since": "2026-01-01T00:00:00Z"}).status_code == 200


READ = {  # feed type -> its read endpoints
    "collectivities": "collectivities",
    "needs": "needs",
    "partnerships": "partnerships",
    "contacts": "contacts",
    "tags": "tags",
    "events": "events",
    "matches": "matches",
}
ROLES = ("admin", "coordinator", "member", "viewer")


def _feed(api: Any, role: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    since: str | None = None
    while True:
        r = api.get("/api/v1/changes", role, params={"limit": 500, **({"since": since} if since else {})})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        since = r.json()["next_cursor"]
        if not r.json()["has_more"]:
            return items


@pytest.fixture
def world(api: Any, monkeypatch: Any, session: Any) -> dict[str, Any]:
    monkeypatch.setattr(get_settings(), "changes_settle_seconds", 0)
    water = api.tag_id("eau-assainissement")
    saida = api.own_collectivity()
    tyr = api.collectivity(name="Tyr", code="LB-TYR", governorate="LB-JA")
    lyon = api.collectivity(country="FR", name="Lyon", population=500000, capacity="high", expertise_tag_ids=[water])
    api.collectivity(country="FR", name="Brest", population=140000, capacity="medium", expertise_tag_ids=[water])
    for lb in (saida, tyr):
        api.need(lb["id"], title="Eau potable", tag_ids=[water])
        api.contact(lb["id"], email=f"x@{lb['id']}.example")
    api.partnership(lyon["id"], tyr["id"], status="dormant", started_year=2012)
    body = {"kind": "webinar", "title": "t", "starts_at": "2030-06-10T10:00:00", "ends_at": "2030-06-10T12:00:00"}
    assert api.post("/api/v1/events", json=body).status_code == 201
    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 2})
    assert r.status_code == 201, r.text
    matches = api.get("/api/v1/matches", params={"limit": 500}).json()["items"]
    assert {m["lebanese_collectivity_id"] for m in matches} == {saida["id"], tyr["id"]}
    # A deleted proposal about Tyr: its tombstone says nothing of whom it concerned.
    gone = next(m for m in matches if m["lebanese_collectivity_id"] == tyr["id"])
    for t in session.exec(select(MatchTransition).where(MatchTransition.proposal_id == uuid.UUID(gone["id"]))):
        session.delete(t)
    session.delete(session.get(MatchProposal, uuid.UUID(gone["id"])))
    session.commit()
    return {"saida": saida, "tyr": tyr, "gone": gone["id"]}


@pytest.mark.parametrize("role", ROLES)
def test_each_feed_type_shows_a_role_what_its_read_endpoint_shows(api: Any, world: dict[str, Any], role: str) -> None:
    """Defect 3: a member read every proposal of every collectivity through the feed."""
    feed = _feed(api, role)
    for type_, path in READ.items():
        live = {i["id"]: i["data"] for i in feed if i["type"] == type_ and i["op"] != "deleted"}
        listed = api.get(f"/api/v1/{path}", role, params={"limit": 500})
        if listed.status_code == 403:
            assert not live, (role, type_)  # the endpoint refuses this role: so does the feed
            assert not [i for i in feed if i["type"] == type_], (role, type_)
            continue
        assert listed.status_code == 200, (role, type_, listed.text)
        assert set(live) == {i["id"] for i in listed.json()["items"]}, (role, type_)
        for id_, data in live.items():
            one = api.get(f"/api/v1/{path}/{id_}", role)
            assert one.status_code == 200, (role, type_, one.text)
            assert data == one.json(), (role, type_)
    deleted = {i["id"] for i in feed if i["type"] == "matches" and i["op"] == "deleted"}
    assert deleted == (set() if role == "member" else {world["gone"]})
    if role == "member":
        own = world["saida"]["id"]
        assert all(i["data"]["lebanese_collectivity_id"] == own for i in feed if i["type"] == "matches")
        assert any(i["type"] == "matches" for i in feed)
