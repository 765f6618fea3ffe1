"""The matching API: runs with known answers, caps, determinism, comparisons, the workflow."""

from typing import Any

import pytest

from jisr.matching import scoring
from tests.conftest import Api, Env

RUNS = "/api/v1/matches/runs"


def run(api: Api, role: str = "coordinator", **body: Any) -> dict[str, Any]:
    r = api.post(RUNS, role, json=body)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{RUNS}/{r.json()['id']}"
    return dict(r.json())


def proposals(api: Api, role: str = "admin", **params: Any) -> list[dict[str, Any]]:
    r = api.get("/api/v1/matches", role, params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def move(api: Api, match_id: str, to: str, role: str = "coordinator", note: str = "") -> Any:
    return api.post(f"/api/v1/matches/{match_id}/transitions", role, json={"to": to, "note": note})


@pytest.fixture
def world(api: Api) -> dict[str, Any]:
    """Saïda needs drinking water. Around it: a dormant partner on water, a water expert, an
    environment generalist (parent tag), a heritage commune (unrelated)."""
    water, env, heritage = (
        api.tag_id("eau-assainissement"),
        api.tag_id("environnement-climat-energie"),
        api.tag_id("patrimoine"),
    )
    saida = api.own_collectivity()
    need = api.need(saida["id"], title="Réseau d'eau potable", tag_ids=[water])
    fr = lambda name, **kw: api.collectivity(country="FR", kind="commune", name=name, **kw)  # noqa: E731
    dormant = fr("Villeurbanne", population=150000, capacity="medium", expertise_tag_ids=[water])
    expert = fr("Grenoble", population=160000, capacity="medium", expertise_tag_ids=[water])
    general = fr("Brest", population=140000, capacity="medium", expertise_tag_ids=[env])
    unrelated = fr("Carcassonne", population=46000, capacity="high", expertise_tag_ids=[heritage])
    api.partnership(dormant["id"], saida["id"], status="dormant", started_year=2012, ended_year=2016, tag_ids=[water])
    return {
        "saida": saida,
        "need": need,
        "dormant": dormant,
        "expert": expert,
        "general": general,
        "unrelated": unrelated,
        "water": water,
    }


def test_a_dormant_partner_on_the_same_theme_ranks_first_and_an_unrelated_commune_is_not_proposed(
    api: Api, world: dict[str, Any]
) -> None:
    body = run(api, top_k=5, max_per_french_collectivity=3)
    assert body["proposal_count"] == 3 and body["need_count"] == 1 and body["created_by"]
    items = proposals(api, need_id=world["need"]["id"])
    order = [p["french_collectivity_id"] for p in items]
    assert order == [world["dormant"]["id"], world["expert"]["id"], world["general"]["id"]]
    assert [p["rank"] for p in items] == [1, 2, 3]
    assert items[0]["kind"] == "relaunch" and items[1]["kind"] == "new"
    assert items[0]["score"] > items[1]["score"] > items[2]["score"]
    assert world["unrelated"]["id"] not in order
    reasons = {r["factor"]: r for r in items[0]["reasons"]}
    assert set(reasons) == {"theme", "history", "scale", "capacity", "preferences"}
    assert abs(sum(r["weight"] for r in reasons.values()) - 1) < 1e-6
    hist = reasons["history"]
    assert hist["value"] == 1.0
    assert "2012–2016" in hist["label_fr"] and "en sommeil" in hist["label_fr"] and "eau" in hist["label_fr"]
    assert "Dormant" in hist["label_en"] and "متوقفة" in hist["label_ar"]
    # The parent tag earns part of the credit.
    general = {r["factor"]: r for r in items[2]["reasons"]}
    assert 0 < general["theme"]["value"] < 1 and "voisin" in general["theme"]["label_fr"]
    assert all(r["label_fr"] and r["label_en"] and r["label_ar"] for p in items for r in p["reasons"])
    expected_score = sum(r["weight"] * r["value"] for r in items[0]["reasons"])
    assert abs(items[0]["score"] - expected_score) < 1e-4


def test_the_published_defaults_are_the_documented_ones_and_a_run_without_parameters_uses_them(
    api: Api, world: dict[str, Any]
) -> None:
    r = api.get("/api/v1/matches/defaults", "coordinator")
    assert r.status_code == 200, r.text
    defaults = r.json()
    assert defaults == {
        "weights": scoring.DEFAULT_WEIGHTS,
        "top_k": 5,
        "max_per_french_collectivity": 3,
        "include_declined": False,
    }
    done = run(api)  # an empty body
    assert done["weights"] == defaults["weights"]
    assert (done["top_k"], done["max_per_french_collectivity"]) == (5, 3)


def test_same_data_and_weights_give_the_same_proposals_and_the_comparison_sees_no_change(
    api: Api, world: dict[str, Any]
) -> None:
    first = run(api, top_k=2, max_per_french_collectivity=3)
    before = [(p["id"], p["french_collectivity_id"], p["rank"], p["score"]) for p in proposals(api)]
    second = run(api, top_k=2, max_per_french_collectivity=3)
    after = [(p["id"], p["french_collectivity_id"], p["rank"], p["score"]) for p in proposals(api)]
    assert before == after and len(after) == 2
    assert second["previous_run_id"] == first["id"]
    cmp = api.get(f"{RUNS}/{second['id']}/comparison", "viewer").json()
    assert cmp["previous_run_id"] == first["id"] and cmp["needs_compared"] == 1
    assert (cmp["new_count"], cmp["dropped_count"], cmp["reranked_count"], cmp["unchanged_count"]) == (0, 0, 0, 2)


def test_comparison_lists_new_dropped_and_reranked(api: Api, world: dict[str, Any]) -> None:
    first = run(api, top_k=2, max_per_french_collectivity=3)
    # A new French commune that fits better than the runner-up: it enters at rank 2, Grenoble drops.
    star = api.collectivity(
        country="FR",
        kind="commune",
        name="Lorient",
        population=57000,
        capacity="high",
        expertise_tag_ids=[world["water"]],
        preferred_governorates=["LB-JA"],
        languages=["fr", "ar"],
    )
    api.patch(f"/api/v1/collectivities/{world['saida']['id']}", json={"languages": ["ar", "fr"]})
    second = run(api, top_k=2, max_per_french_collectivity=3)
    cmp = api.get(f"{RUNS}/{second['id']}/comparison", params={"with": first["id"]}).json()
    assert [i["french_collectivity_ids"] for i in cmp["new"]] == [[star["id"]]]
    assert [i["french_collectivity_ids"] for i in cmp["dropped"]] == [[world["expert"]["id"]]]
    assert cmp["new"][0]["previous_rank"] is None and cmp["dropped"][0]["rank"] is None
    assert cmp["new_count"] == 1 and cmp["dropped_count"] == 1
    ranked = {p["french_collectivity_id"]: p["rank"] for p in proposals(api)}
    assert world["expert"]["id"] not in ranked and set(ranked.values()) == {1, 2}
    moved = {tuple(i["french_collectivity_ids"]): (i["previous_rank"], i["rank"]) for i in cmp["reranked"]}
    assert cmp["reranked_count"] == len(moved)
    for prev, now in moved.values():
        assert prev != now


def test_caps_hold_per_need_and_per_french_collectivity(api: Api) -> None:
    water = api.tag_id("eau-assainissement")
    lebanese = [api.collectivity(name=f"Municipalité {i}", governorate="LB-JA") for i in range(4)]
    needs = [api.need(c["id"], tag_ids=[water]) for c in lebanese]
    french = [
        api.collectivity(country="FR", name=f"Commune {i}", capacity="medium", expertise_tag_ids=[water])
        for i in range(3)
    ]
    body = run(api, top_k=2, max_per_french_collectivity=2)
    items = proposals(api)
    assert body["proposal_count"] == len(items) == 6  # 3 French × 2 places
    per_need: dict[str, int] = {}
    per_french: dict[str, int] = {}
    for p in items:
        per_need[p["need_id"]] = per_need.get(p["need_id"], 0) + 1
        per_french[p["french_collectivity_id"]] = per_french.get(p["french_collectivity_id"], 0) + 1
    assert max(per_need.values()) <= 2 and max(per_french.values()) <= 2
    assert set(per_need) <= {n["id"] for n in needs} and set(per_french) == {f["id"] for f in french}
    assert body["unfilled_need_count"] == sum(1 for n in needs if per_need.get(n["id"], 0) < 2)


def test_a_large_need_gets_a_pool_of_french_authorities_from_one_region(api: Api) -> None:
    waste = api.tag_id("dechets")
    lb = api.collectivity(name="Union de Tyr", kind="union_of_municipalities", governorate="LB-JA")
    need = api.need(lb["id"], title="Centre de tri", tag_ids=[waste], estimated_budget_eur=450_000)
    small = [
        api.collectivity(
            country="FR", kind="epci", name=f"CC {i}", region="53", capacity="low", expertise_tag_ids=[waste]
        )
        for i in range(3)
    ]
    api.collectivity(
        country="FR", kind="epci", name="CC ailleurs", region="84", capacity="low", expertise_tag_ids=[waste]
    )
    body = run(api, top_k=1, max_per_french_collectivity=1)
    items = proposals(api, need_id=need["id"])
    assert body["pooled_count"] == 1 and len(items) == 1
    pool = items[0]
    assert pool["pooled"] is True
    assert sorted(pool["french_collectivity_ids"]) == sorted(c["id"] for c in small)
    assert pool["french_collectivity_id"] == pool["french_collectivity_ids"][0]
    pooling = [r for r in pool["reasons"] if r["factor"] == "pooling"]
    assert pooling and "60 %" in pooling[0]["label_fr"] and pooling[0]["weight"] == 0
    theme = next(r for r in pool["reasons"] if r["factor"] == "theme")
    assert all(c["name"] in theme["label_fr"] for c in small)


def test_no_candidate_without_an_open_request(api: Api, world: dict[str, Any]) -> None:
    api.patch(f"/api/v1/needs/{world['need']['id']}", json={"status": "draft"})
    body = run(api)
    assert (body["need_count"], body["proposal_count"]) == (0, 0)
    assert proposals(api) == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"weights": {"luck": 1}}, "weights"),
        ({"weights": {"theme": 0}}, "weights"),
        ({"weights": {"theme": -1}}, "weights"),
        ({"top_k": 0}, "top_k"),
        ({"max_per_french_collectivity": 0}, "max_per_french_collectivity"),
        ({"need_ids": ["00000000-0000-0000-0000-000000000001"]}, "need_ids"),
    ],
)
def test_invalid_run_parameters_are_422(api: Api, body: dict[str, Any], field: str) -> None:
    r = api.post(RUNS, json=body)
    assert r.status_code == 422, r.text
    assert any(field in [str(x) for x in e["loc"]] for e in r.json()["errors"]), r.json()


def test_need_ids_limit_the_run_to_those_needs(api: Api, world: dict[str, Any]) -> None:
    other = api.need(world["saida"]["id"], title="Station d'épuration", tag_ids=[world["water"]])
    body = run(api, need_ids=[other["id"]], top_k=1)
    assert body["need_count"] == 1 and body["need_ids"] == [other["id"]]
    assert {p["need_id"] for p in proposals(api)} == {other["id"]}


def test_who_may_run_and_read(api: Api, world: dict[str, Any]) -> None:
    assert api.post(RUNS, "member", json={}).status_code == 403
    assert api.post(RUNS, "viewer", json={}).status_code == 403
    assert api.post(RUNS, "anonymous", json={}).status_code == 401
    body = run(api, "admin")
    assert api.get(RUNS, "viewer").json()["total"] == 1
    assert api.get(f"{RUNS}/{body['id']}", "coordinator").status_code == 200
    assert api.get(RUNS, "member").status_code == 403
    assert api.get(f"{RUNS}/{world['need']['id']}").status_code == 404
    assert len(proposals(api, "viewer")) == 3
    assert len(proposals(api, "member")) == 3  # all about Saïda, the member's own


def test_the_board_filters_by_governorate_theme_and_score(api: Api, world: dict[str, Any]) -> None:
    heritage = api.tag_id("patrimoine")
    tyr = api.collectivity(name="Tyr", governorate="LB-AS")
    api.need(tyr["id"], title="Site archéologique", tag_ids=[heritage])
    run(api, top_k=5, max_per_french_collectivity=3)
    everything = proposals(api)
    water = {p["id"] for p in everything if p["need_id"] == world["need"]["id"]}
    assert water and len(water) < len(everything)
    assert {p["id"] for p in proposals(api, governorate="LB-JA")} == water
    assert {p["id"] for p in proposals(api, governorate="LB-AS")} == {p["id"] for p in everything} - water
    # A theme counts its sub-themes: the water need is under "environment".
    assert {p["id"] for p in proposals(api, tag="eau-assainissement")} == water
    assert {p["id"] for p in proposals(api, tag="environnement-climat-energie")} == water
    cut = sorted(p["score"] for p in everything)[len(everything) // 2]
    kept = proposals(api, min_score=cut)
    assert kept and all(p["score"] >= cut for p in kept) and len(kept) < len(everything)
    assert api.get("/api/v1/matches", "admin", params={"min_score": 2}).status_code == 422
    assert api.get("/api/v1/matches", "admin", params={"tag": "no-such-theme"}).status_code == 404


def test_members_see_only_proposals_about_them(api: Api, world: dict[str, Any]) -> None:
    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    api.need(tyr["id"], tag_ids=[world["water"]])
    run(api, top_k=1, max_per_french_collectivity=5)
    everything = proposals(api)
    mine = proposals(api, "member")
    assert len(everything) == 2 and len(mine) == 1
    assert mine[0]["lebanese_collectivity_id"] == world["saida"]["id"]
    theirs = next(p for p in everything if p["lebanese_collectivity_id"] == tyr["id"])
    assert api.get(f"/api/v1/matches/{theirs['id']}", "member").status_code == 403
    assert move(api, theirs["id"], "accepted", "member").status_code == 403
    assert [p["id"] for p in proposals(api, collectivity_id=tyr["id"])] == [theirs["id"]]
    french_side = proposals(api, collectivity_id=theirs["french_collectivity_id"])
    assert theirs["id"] in [p["id"] for p in french_side]


# --- workflow ------------------------------------------------------------------------------------


def test_illegal_transition_is_409_naming_the_allowed_ones(api: Api, world: dict[str, Any]) -> None:
    run(api)
    p = proposals(api)[0]
    assert p["allowed_transitions"] == ["shortlisted", "contacted", "accepted", "declined", "rejected", "expired"]
    r = move(api, p["id"], "partnership_formed")
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert "shortlisted" in r.json()["detail"] and "expired" in r.json()["detail"]
    assert move(api, p["id"], "meeting_scheduled").status_code == 409
    assert move(api, p["id"], "teleported").status_code == 422
    assert api.get(f"/api/v1/matches/{p['id']}").json()["status"] == "proposed"


@pytest.mark.parametrize(
    "path, final",
    [
        (["shortlisted", "contacted", "accepted", "meeting_scheduled", "partnership_formed"], "partnership_formed"),
        (["contacted", "expired", "proposed", "rejected"], "rejected"),
        (["declined", "proposed", "shortlisted", "proposed"], "proposed"),
    ],
)
def test_history_records_each_change(api: Api, world: dict[str, Any], path: list[str], final: str) -> None:
    run(api)
    p = proposals(api)[1]  # Grenoble: no partnership yet
    for i, to in enumerate(path):
        r = move(api, p["id"], to, note=f"step {i}")
        assert r.status_code == 200, r.text
    body = api.get(f"/api/v1/matches/{p['id']}").json()
    assert body["status"] == final
    assert [(h["from"], h["to"], h["note"]) for h in body["history"]] == [
        (a, b, f"step {i}") for i, (a, b) in enumerate(zip(["proposed", *path[:-1]], path, strict=True))
    ]
    assert all(h["by"] == "coordinator@jisr.example.org" and h["at"] for h in body["history"])


def test_members_accept_or_decline_only(api: Api, world: dict[str, Any]) -> None:
    run(api)
    p = proposals(api)[0]
    assert move(api, p["id"], "shortlisted", "member").status_code == 403
    assert move(api, p["id"], "accepted", "viewer").status_code == 403
    assert move(api, p["id"], "accepted", "anonymous").status_code == 401
    r = move(api, p["id"], "accepted", "member", note="Nous sommes intéressés")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert r.json()["history"][0]["by"] == "member@jisr.example.org"
    assert move(api, p["id"], "partnership_formed", "member").status_code == 403


def test_stale_etag_is_412(api: Api, world: dict[str, Any]) -> None:
    run(api)
    p = proposals(api)[0]
    etag = api.get(f"/api/v1/matches/{p['id']}").headers["ETag"]
    assert move(api, p["id"], "shortlisted").status_code == 200
    r = api.post(f"/api/v1/matches/{p['id']}/transitions", json={"to": "contacted"}, headers={"If-Match": etag})
    assert r.status_code == 412


def test_partnership_formed_reactivates_the_dormant_one_or_creates_one(api: Api, world: dict[str, Any]) -> None:
    run(api)
    relaunch, fresh = proposals(api)[:2]
    for p in (relaunch, fresh):
        for to in ("accepted", "partnership_formed"):
            assert move(api, p["id"], to).status_code == 200
    partnerships = api.get("/api/v1/partnerships", params={"collectivity_id": world["saida"]["id"]}).json()["items"]
    assert len(partnerships) == 2 and {p["status"] for p in partnerships} == {"active"}
    by_french = {p["french_collectivity_id"]: p for p in partnerships}
    old = by_french[world["dormant"]["id"]]
    assert old["started_year"] == 2012 and old["ended_year"] is None and old["last_activity_year"]
    new = by_french[world["expert"]["id"]]
    assert new["tag_ids"] == [world["water"]]
    assert api.get(f"/api/v1/matches/{fresh['id']}").json()["partnership_ids"] == [new["id"]]
    assert api.get(f"/api/v1/needs/{world['need']['id']}").json()["status"] == "matched"
    assert move(api, fresh["id"], "proposed").status_code == 409  # final


def test_declined_pairs_are_not_proposed_again_unless_asked(api: Api, world: dict[str, Any]) -> None:
    run(api, top_k=3)
    first = proposals(api)[0]
    assert move(api, first["id"], "declined", "member").status_code == 200
    run(api, top_k=3)
    items = proposals(api, status="proposed")
    assert world["dormant"]["id"] not in [p["french_collectivity_id"] for p in items]
    assert [p["rank"] for p in items] == [1, 2]
    # not for another need of the same pair either
    other = api.need(world["saida"]["id"], title="Assainissement", tag_ids=[world["water"]])
    run(api, top_k=3)
    assert world["dormant"]["id"] not in [p["french_collectivity_id"] for p in proposals(api, need_id=other["id"])]
    run(api, top_k=3, include_declined=True)
    again = api.get(f"/api/v1/matches/{first['id']}").json()
    assert again["status"] == "proposed" and again["rank"] == 1
    assert [(h["from"], h["to"]) for h in again["history"]] == [("proposed", "declined"), ("declined", "proposed")]


def test_proposals_being_worked_on_are_kept_and_count_against_the_caps(api: Api, world: dict[str, Any]) -> None:
    run(api, top_k=2)
    p = proposals(api)[1]
    assert move(api, p["id"], "shortlisted").status_code == 200
    body = run(api, top_k=2)
    items = proposals(api)
    assert len(items) == 2 and body["proposal_count"] == 1
    kept = next(i for i in items if i["id"] == p["id"])
    assert kept["status"] == "shortlisted"
    assert sorted(i["rank"] for i in items) == [1, 2]


def test_a_pair_with_an_active_partnership_on_the_same_theme_is_not_proposed(api: Api, world: dict[str, Any]) -> None:
    api.partnership(world["expert"]["id"], world["saida"]["id"], status="active", tag_ids=[world["water"]])
    run(api)
    assert world["expert"]["id"] not in [p["french_collectivity_id"] for p in proposals(api)]


@pytest.fixture
def loopback_webhooks(env: Env) -> None:
    """A hook on 127.0.0.1, allowed by the operator's setting as in tests/webhooks (private hosts are refused by
    default)."""
    env.set(webhook_allowed_hosts="127.0.0.1")


@pytest.mark.usefixtures("loopback_webhooks")
def test_status_changes_and_formed_partnerships_are_announced_to_webhooks(api: Api, world: dict[str, Any]) -> None:
    from sqlmodel import select

    from jisr.core.db import new_session
    from jisr.outbox.models import OutboxItem

    events = ["match.status_changed", "partnership.formed"]
    hook = {"url": "http://127.0.0.1:9/hook", "events": events, "secret": "s3cret-s3cret-s3cret"}
    assert api.post("/api/v1/webhooks", json=hook).status_code == 201
    run(api)
    p = proposals(api)[0]
    for to in ("accepted", "partnership_formed"):
        assert move(api, p["id"], to).status_code == 200
    with new_session() as s:
        sent = [item.payload for item in s.exec(select(OutboxItem).where(OutboxItem.kind == "webhook"))]
    events = [(m["event"], m["body"]["data"]) for m in sent]
    changes = [d for t, d in events if t == "match.status_changed"]
    assert [(d["from"], d["to"]) for d in changes] == [("proposed", "accepted"), ("accepted", "partnership_formed")]
    formed = [d for t, d in events if t == "partnership.formed"]
    assert len(formed) == 1 and formed[0]["proposal_id"] == p["id"] and len(formed[0]["partnership_ids"]) == 1
