"""The public form: wrong, revoked, expired and other campaigns' tokens; what the form accepts; limits."""

import secrets
import uuid
from typing import Any

import pytest

from jisr.census import service as census
from tests.census.conftest import CampaignFactory, Inviter, answer, in_days
from tests.conftest import Api


def form(api: Api, token: str, method: str = "GET", body: dict[str, Any] | None = None) -> Any:
    return api.client.request(method, f"/api/v1/census/forms/{token}", json=body)


def assert_invalid_link(api: Api, token: str) -> dict[str, Any]:
    """404 on reading and on answering, and the same answer whatever the reason."""
    got, put = form(api, token), form(api, token, "PUT", answer())
    assert got.status_code == put.status_code == 404, (got.text, put.text)
    assert got.headers["content-type"] == "application/problem+json"
    assert got.json() == put.json()
    return dict(got.json())


def test_wrong_revoked_expired_and_foreign_tokens_get_the_same_404(
    api: Api, make_campaign: CampaignFactory, invite: Inviter
) -> None:
    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    jbeil = api.collectivity(name="Jbeil", governorate="LB-KJ")
    spring, autumn = make_campaign(title="Printemps"), make_campaign(title="Automne")
    tyr_spring, tyr_autumn = invite(spring, tyr), invite(autumn, tyr)
    jbeil_spring = invite(spring, jbeil)
    problems = []

    # Wrong: random, truncated, padded, absurd.
    for token in (secrets.token_urlsafe(32), tyr_spring["token"][:-1], tyr_spring["token"] + "A", "x", "x" * 500):
        problems.append(assert_invalid_link(api, token))

    # Revoked — and reissuing gives a new link while the old one stays dead.
    base = f"/api/v1/census/campaigns/{spring['id']}/invitations"
    r = api.post(f"{base}/{jbeil_spring['id']}/revoke", role="coordinator")
    assert r.status_code == 200 and r.json()["revoked_at"]
    problems.append(assert_invalid_link(api, jbeil_spring["token"]))
    fresh = api.post(f"{base}/{jbeil_spring['id']}/token", role="coordinator").json()
    assert fresh["token"] != jbeil_spring["token"] and fresh["url"].endswith(fresh["token"])
    assert form(api, fresh["token"]).status_code == 200
    problems.append(assert_invalid_link(api, jbeil_spring["token"]))

    # Another campaign's token answers for its own campaign only.
    assert form(api, tyr_spring["token"], "PUT", answer(needs=[{"title": "Printemps"}])).status_code == 201
    autumn_form = form(api, tyr_autumn["token"]).json()
    assert (autumn_form["campaign"]["title"], autumn_form["status"]) == ("Automne", "not_submitted")
    [resp] = api.get("/api/v1/census/responses", role="coordinator").json()["items"]
    assert resp["campaign_id"] == spring["id"]
    # An invitation cannot be reached through another campaign either.
    other = f"/api/v1/census/campaigns/{autumn['id']}/invitations/{tyr_spring['id']}"
    assert api.post(f"{other}/revoke", role="coordinator").status_code == 404
    assert api.post(f"{other}/token", role="coordinator").status_code == 404

    # Expired: closing the spring campaign kills its links, not autumn's.
    r = api.patch(f"/api/v1/census/campaigns/{spring['id']}", role="coordinator", json={"closes_at": in_days(-0.001)})
    assert r.status_code == 200 and r.json()["is_open"] is False
    problems.append(assert_invalid_link(api, tyr_spring["token"]))
    problems.append(assert_invalid_link(api, fresh["token"]))
    assert form(api, tyr_autumn["token"]).status_code == 200
    # No new links for a closed campaign.
    assert api.post(f"{base}/{jbeil_spring['id']}/token", role="coordinator").status_code == 409
    r = api.post(base, role="coordinator", json={"collectivity_ids": [api.collectivity(name="Zahlé")["id"]]})
    assert r.status_code == 409

    # Every refusal looks the same: nothing tells a wrong link from a revoked or an expired one.
    assert all(p == problems[0] for p in problems)


def test_the_form_takes_only_what_it_needs(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    link = invite(make_campaign(), api.collectivity(name="Tyr"))
    other = invite(make_campaign(title="Autre"), api.collectivity(name="Jbeil"))
    token = link["token"]
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        (answer(status="validated"), ["body", "status"]),
        (answer(collectivity_id=str(uuid.uuid4())), ["body", "collectivity_id"]),
        (answer(needs=[{"title": "x", "status": "open"}]), ["body", "needs", 0, "status"]),
        (answer(needs=[{"title": "x", "source": "manual"}]), ["body", "needs", 0, "source"]),
        (answer(needs=[{"title": "x"}] * 16), ["body", "needs"]),
        (answer(needs=[{"title": ""}]), ["body", "needs", 0, "title"]),
        (answer(contact={"full_name": "R", "phone": "call me"}), ["body", "contact", "phone"]),
        (answer(priorities=[str(uuid.uuid4())]), ["body", "priorities", 0]),
        (answer(needs=[{"title": "x", "tag_ids": [str(uuid.uuid4())]}]), ["body", "needs", 0, "tag_ids", 0]),
        (
            answer(former_partners=[{"name": "Lyon", "since_year": 2010, "until_year": 2001}]),
            ["body", "former_partners", 0],
        ),
        (answer(language="de"), ["body", "language"]),
    ]
    for body, loc in cases:
        r = form(api, token, "PUT", body)
        assert r.status_code == 422, (body, r.text)
        assert any(e["loc"][: len(loc)] == loc for e in r.json()["errors"]), (loc, r.json())
    # A need of another answer cannot be taken over by sending its id.
    assert form(api, other["token"], "PUT", answer()).status_code == 201
    foreign = form(api, other["token"]).json()["answer"]["needs"][0]["id"]
    r = form(api, token, "PUT", answer(needs=[{"id": foreign, "title": "Volée"}]))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "needs", 0, "id"]
    assert api.get(f"/api/v1/needs/{foreign}").json()["title"] == "Réseau d'eau"
    # Nothing was recorded for the refused attempts.
    assert api.get("/api/v1/census/responses", role="coordinator").json()["total"] == 1


def test_the_form_body_is_small(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    token = invite(make_campaign(), api.collectivity(name="Tyr"))["token"]
    big = answer(needs=[{"title": "x", "description": "é" * 3000}] * 15)
    assert form(api, token, "PUT", big).status_code == 201  # the largest valid answer fits
    padded = answer()
    padded["contact"]["role"] = "x" * (census.FORM_MAX_BYTES + 1)
    r = form(api, token, "PUT", padded)
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"

    def chunks() -> Any:
        yield b'{"contact": {"full_name": "'
        for _ in range(40):
            yield b"x" * 8192
        yield b'"}}'

    r = api.client.put(f"/api/v1/census/forms/{token}", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413


def test_public_requests_are_rate_limited_in_the_database(
    api: Api, make_campaign: CampaignFactory, invite: Inviter, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = invite(make_campaign(), api.collectivity(name="Tyr"))["token"]
    monkeypatch.setattr(census, "RATE_LIMIT", 5)
    codes = [form(api, secrets.token_urlsafe(32)).status_code for _ in range(4)]  # guesses count too
    codes.append(form(api, token).status_code)
    assert codes == [404, 404, 404, 404, 200]
    r = form(api, token)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert form(api, token, "PUT", answer()).status_code == 429
    # The count lives in the database, shared by every worker process.
    from sqlalchemy import text

    from jisr.core.db import new_session

    with new_session() as s:
        assert s.execute(text("SELECT count(*) FROM census_rate_hits")).scalar_one() == 5


def test_receipts_are_not_a_mail_cannon(api: Api, make_campaign: CampaignFactory, invite: Inviter) -> None:
    """Issue 14, defect 7: whoever holds a link may type any address and any name. One receipt per answer
    and address a day, to a few addresses at most, and none of the typed text in the e-mail."""
    from sqlmodel import select

    from jisr.core.db import new_session
    from jisr.notifications.service import opened
    from jisr.outbox.models import OutboxItem

    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    token = invite(make_campaign(), tyr)["token"]
    lure = "Win a prize at https://evil.example/claim <b>now</b>"
    for _ in range(5):  # the same address again and again
        body = answer(contact={"full_name": lure, "email": "victim@example.org"})
        assert form(api, token, "PUT", body).status_code in (200, 201)
    for i in range(5):  # then many addresses
        body = answer(contact={"full_name": lure, "email": f"victim{i}@example.org"})
        assert form(api, token, "PUT", body).status_code == 200
    with new_session() as s:
        receipts = [m for m in s.exec(select(OutboxItem)) if m.payload.get("template") == "census_receipt"]
    assert sorted(m.target for m in receipts) == ["victim0@example.org", "victim1@example.org", "victim@example.org"]
    for m in receipts:
        payload = opened(m.payload)
        for part in (payload["subject"], payload["text"], payload["html"]):
            assert "evil.example" not in part and "prize" not in part
