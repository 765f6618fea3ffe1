"""The weekly digest to coordinators and admins, and the next candidate proposed when a proposal expires
(and not the expired pair again by the next run), driven by a controllable clock."""

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from jisr.core.db import utcnow
from jisr.notifications import digest, proposals, replacement, worker
from jisr.outbox import service as outbox
from tests.conftest import PASSWORD, Api, Env
from tests.notifications.conftest import Mailbox, parts


@pytest.fixture
def digest_any_day(env: Env) -> None:
    env.set(digest_weekday="1", digest_hour_utc="0")


def user(api: Api, email: str, role: str, language: str, **fields: Any) -> None:
    body = {"email": email, "password": PASSWORD, "role": role, "language": language, "full_name": email, **fields}
    r = api.post("/api/v1/users", json=body)
    assert r.status_code == 201, r.text


def test_weekly_digest_once_per_week_to_active_staff_in_their_language(
    api: Api, smtp: Mailbox, digest_any_day: None
) -> None:
    api.headers("admin")  # admin@jisr.example.org (French)
    user(api, "hala@jisr.example.org", "coordinator", "ar")
    user(api, "tom@jisr.example.org", "coordinator", "en")
    user(api, "gone@jisr.example.org", "coordinator", "fr", is_active=False)
    user(api, "viewer2@jisr.example.org", "viewer", "fr")
    water = api.tag_id("eau-assainissement")
    saida = api.own_collectivity()
    tyr = api.collectivity(name="Tyr", name_ar="صور", governorate="LB-JA")
    api.need(saida["id"], title="Réseau d'eau potable", tag_ids=[water])
    villeurbanne = api.collectivity(country="FR", name="Villeurbanne", expertise_tag_ids=[water])
    lyon = api.collectivity(country="FR", name="Lyon", code="69123")
    api.partnership(lyon["id"], tyr["id"], status="dormant", last_activity_year=2015)  # not approached
    api.partnership(villeurbanne["id"], saida["id"], status="dormant")  # approached by the run below
    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 1})
    assert r.status_code == 201 and r.json()["proposal_count"] == 1

    start = utcnow()
    stats = worker.run_due(now=start)
    assert stats.digests == 4  # admin, coordinator, hala, tom: not the inactive coordinator nor the viewer
    assert worker.run_due(now=start + timedelta(minutes=5)).digests == 0  # once per ISO week
    assert outbox.run_due().sent == 4
    week = digest.week_of(start)

    [fr] = smtp.to("admin@jisr.example.org")
    text, html = parts(fr)
    assert fr["Subject"] == f"Jisr : récapitulatif de la semaine {week}"
    assert "Nouveaux besoins (7 derniers jours) : 1" in text and "- Réseau d'eau potable — Saïda" in text
    assert "Réponses attendues (propositions sans réponse) : 1" in text
    assert "Réseau d'eau potable — Saïda ↔ Villeurbanne (proposée, depuis le" in text
    assert "Propositions qui expirent dans les 3 jours : 0" in text and "Aucune." in text
    assert "Partenariats en sommeil pas encore relancés : 1" in text
    assert "- Lyon ↔ Tyr (dernière activité 2015)" in text and "Villeurbanne ↔ Saïda" not in text
    assert "parce que vous êtes administrateur ou administratrice dans Jisr" in text
    assert fr["List-Unsubscribe"] is not None and "<ul><li" in html
    [ar] = smtp.to("hala@jisr.example.org")
    text, html = parts(ar)
    assert ar["Subject"] == f"جسر: ملخص الأسبوع {week}" and 'dir="rtl"' in html
    assert "Lyon ↔ صور" in text and "من المنسقين" in text

    # Tom opts out; two weeks later the proposal is about to expire and nothing is new.
    [en] = smtp.to("tom@jisr.example.org")
    link = str(en["List-Unsubscribe"])[1:-1]
    assert api.client.post(f"{urlsplit(link).path}?{urlsplit(link).query}").status_code == 200
    later = start + timedelta(days=15)
    assert worker.run_due(now=later).digests == 3
    outbox.run_due()
    assert len(smtp.to("tom@jisr.example.org")) == 1
    text, _ = parts(smtp.to("admin@jisr.example.org")[-1])
    assert "Nouveaux besoins (7 derniers jours) : 0" in text and "Rien de nouveau." in text
    assert "Propositions qui expirent dans les 3 jours : 1" in text
    expires = (start + timedelta(days=17)).strftime("%Y-%m-%d")
    assert f"Réseau d'eau potable — Saïda ↔ Villeurbanne (expire le {expires})" in text


def test_an_expired_proposal_frees_its_place_for_the_next_candidate(api: Api, smtp: Mailbox) -> None:
    water = api.tag_id("eau-assainissement")
    saida = api.own_collectivity()
    api.contact(saida["id"], email="maher@saida.example", languages=["ar"])
    first = api.need(saida["id"], title="Réseau d'eau potable", tag_ids=[water])
    second = api.need(saida["id"], title="Station d'épuration", tag_ids=[water])
    french = {}
    # Scores strictly ordered by capacity: the expired pair is a better match than the one left.
    for name, capacity in (("Villeurbanne", "high"), ("Grenoble", "medium"), ("Annecy", "low")):
        c = api.collectivity(country="FR", name=name, capacity=capacity, expertise_tag_ids=[water])
        api.contact(c["id"], email=f"contact@{name.lower()}.example", languages=["fr"])
        french[c["id"]] = name
    # One proposal per need, each French collectivity in at most one proposal.
    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 1, "max_per_french_collectivity": 1})
    assert r.status_code == 201, r.text

    def of(need: dict[str, Any]) -> list[dict[str, Any]]:
        return list(api.get("/api/v1/matches", params={"need_id": need["id"]}).json()["items"])

    [p1], [p2] = of(first), of(second)
    # The second need's proposal is accepted: its French side has no place left (cap 1).
    r = api.post(f"/api/v1/matches/{p2['id']}/transitions", "member", json={"to": "accepted"})
    assert r.status_code == 200, r.text
    [left] = set(french) - {p1["french_collectivity_id"], p2["french_collectivity_id"]}
    assert french[left] == "Annecy"
    assert outbox.run_due().sent == 3  # each French side; Saïda's contact one e-mail listing both

    start = utcnow()
    assert proposals.run_due(now=start + timedelta(days=14, hours=1)) == proposals.ExpiryStats(1, 0, 0)
    assert proposals.run_due(now=start + timedelta(days=17, hours=2)) == proposals.ExpiryStats(0, 1, 1)
    assert proposals.run_due(now=start + timedelta(days=17, hours=3)) == proposals.ExpiryStats(0, 0, 0)

    items = {p["french_collectivity_id"]: p for p in of(first)}
    assert set(items) == {p1["french_collectivity_id"], left}
    expired, nxt = items[p1["french_collectivity_id"]], items[left]
    assert expired["status"] == "expired"
    said = expired["history"][-1]["system_note"]
    assert said["key"] == "expired_replaced" and expired["history"][-1]["note"] == ""
    assert said["params"] | {"french_ar": None} == {
        "days": 14,
        "french": french[left],
        "french_ar": None,
        "french_id": left,
        "proposal_id": nxt["id"],
    }
    assert said["text"].endswith(f"Sa place est proposée à {french[left]}.")
    assert nxt["status"] == "proposed" and nxt["run_id"] == p1["run_id"] and nxt["rank"] == 1
    assert {r["factor"] for r in nxt["reasons"]} >= {"theme"} and nxt["reasons"][0]["label_fr"]
    assert 0 < nxt["score"] <= 1
    # Both sides are told, in their language, with the reasons.
    outbox.run_due()
    new_side = smtp.to(f"contact@{french[left].lower()}.example")
    [told] = new_side
    text, _ = parts(told)
    assert told["Subject"] == "Proposition de partenariat : Saïda" and nxt["reasons"][0]["label_fr"] in text
    lebanese = [m for m in smtp.to("maher@saida.example") if m["Subject"] == f"اقتراح شراكة: {french[left]}"]
    assert len(lebanese) == 1

    # The next run does not propose the expired pair again: the new candidate keeps the place.
    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 1, "max_per_french_collectivity": 1})
    assert r.status_code == 201, r.text
    after = {p["french_collectivity_id"]: p for p in of(first)}
    assert after[p1["french_collectivity_id"]]["status"] == "expired"
    assert after[left]["status"] == "proposed" and after[left]["id"] == nxt["id"]
    assert outbox.run_due().handled == 0  # nobody told twice

    # Its answer time started when it was proposed; when it expires too, nobody is left to offer.
    assert proposals.run_due(now=start + timedelta(days=30)) == proposals.ExpiryStats(0, 0, 0)
    assert proposals.run_due(now=start + timedelta(days=31, hours=3)) == proposals.ExpiryStats(1, 0, 0)
    assert proposals.run_due(now=start + timedelta(days=34, hours=4)) == proposals.ExpiryStats(0, 1, 0)
    assert {p["status"] for p in of(first)} == {"expired"}


def test_an_answer_given_while_the_pass_runs_wins_over_expiry(
    api: Api, smtp: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    water = api.tag_id("eau-assainissement")
    saida = api.own_collectivity()
    need = api.need(saida["id"], title="Réseau d'eau potable", tag_ids=[water])
    for name in ("Villeurbanne", "Grenoble"):
        api.collectivity(country="FR", name=name, expertise_tag_ids=[water])
    assert api.post("/api/v1/matches/runs", json={"top_k": 1}).status_code == 201
    [p] = api.get("/api/v1/matches", params={"need_id": need["id"]}).json()["items"]
    start = utcnow()
    proposals.run_due(now=start + timedelta(days=14, hours=1))  # the reminder

    choose = replacement.choose

    def member_accepts_meanwhile(session: Any, proposal: Any, *, now: Any) -> Any:
        r = api.post(f"/api/v1/matches/{p['id']}/transitions", "member", json={"to": "accepted"})
        assert r.status_code == 200, r.text
        return choose(session, proposal, now=now)

    monkeypatch.setattr(replacement, "choose", member_accepts_meanwhile)
    stats = proposals.run_due(now=start + timedelta(days=17, hours=2))
    assert stats.expired == 0 and stats.replaced == 0
    [after] = api.get("/api/v1/matches", params={"need_id": need["id"]}).json()["items"]
    assert after["status"] == "accepted" and after["id"] == p["id"]
