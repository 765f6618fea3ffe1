"""Needs: requests and offers of collectivities; members write only their own."""

from typing import Any

import pytest

from tests.conftest import Api

NEEDS = "/api/v1/needs"


def titles(r: Any) -> set[str]:
    assert r.status_code == 200, r.text
    return {n["title"] for n in r.json()["items"]}


def test_crud(api: Api) -> None:
    c = api.own_collectivity()
    water, waste = api.tag_id("eau-assainissement"), api.tag_id("dechets")
    r = api.post(
        NEEDS,
        json={
            "collectivity_id": c["id"],
            "title": "Réseau d'eau potable",
            "description": "Réhabiliter le réseau du vieux Saïda.",
            "tag_ids": [water, water, waste],
            "priority": "high",
            "estimated_budget_eur": 250000,
            "external_refs": {"census": "S-12"},
        },
    )
    assert r.status_code == 201, r.text
    need = r.json()
    assert r.headers["Location"] == f"{NEEDS}/{need['id']}" and r.headers["ETag"]
    assert sorted(need["tag_ids"]) == sorted([water, waste])  # duplicates dropped
    assert (need["direction"], need["status"], need["source"]) == ("request", "open", "manual")
    got = api.get(f"{NEEDS}/{need['id']}", "viewer")
    assert got.status_code == 200 and got.json() == need
    r = api.patch(f"{NEEDS}/{need['id']}", json={"status": "in_discussion", "tag_ids": [waste]})
    assert r.status_code == 200 and r.json()["tag_ids"] == [waste] and r.json()["status"] == "in_discussion"
    assert r.json()["external_refs"] == {"census": "S-12"}  # untouched
    assert api.delete(f"{NEEDS}/{need['id']}").status_code == 204
    assert api.get(f"{NEEDS}/{need['id']}").status_code == 404
    # its external reference went with it: another need may take it
    assert api.need(c["id"], external_refs={"census": "S-12"})


def test_if_match(api: Api) -> None:
    need = api.need(api.own_collectivity()["id"])
    etag = api.get(f"{NEEDS}/{need['id']}").headers["ETag"]
    r = api.patch(f"{NEEDS}/{need['id']}", json={"priority": "low"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.headers["ETag"] != etag
    stale = api.patch(f"{NEEDS}/{need['id']}", json={"priority": "high"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"
    assert api.get(f"{NEEDS}/{need['id']}").json()["priority"] == "low"
    assert api.patch(f"{NEEDS}/{need['id']}", json={"priority": "high"}, headers={"If-Match": "*"}).status_code == 200
    fresh = api.get(f"{NEEDS}/{need['id']}").headers["ETag"]
    both = f'"nope", W/{fresh}'
    assert api.patch(f"{NEEDS}/{need['id']}", json={"priority": "low"}, headers={"If-Match": both}).status_code == 200


def test_several_known_ids_in_one_call(api: Api) -> None:
    """The matching board reads the needs its proposals name in one list call (`?id=…&id=…`)."""
    saida = api.own_collectivity()
    water = api.need(saida["id"], title="Eau potable")
    books = api.need(saida["id"], title="Bibliothèque")
    api.need(saida["id"], title="Tri des déchets")
    assert titles(api.get(NEEDS, params={"id": [water["id"], books["id"]]})) == {"Eau potable", "Bibliothèque"}
    assert titles(api.get(NEEDS, params={"id": [water["id"]], "q": "biblio"})) == set()
    assert api.get(NEEDS, params={"id": "nope"}).status_code == 422


def test_filters(api: Api) -> None:
    saida = api.own_collectivity()  # LB-JA
    beirut = api.collectivity(name="Beyrouth", governorate="LB-BA")
    lyon = api.collectivity(country="FR", name="Lyon")
    api.need(saida["id"], title="Eau potable", tag_ids=[api.tag_id("eau-assainissement")], priority="high")
    api.need(beirut["id"], title="Tri des déchets", tag_ids=[api.tag_id("dechets")], status="draft", source="census")
    api.need(beirut["id"], title="Bibliothèque", tag_ids=[api.tag_id("culture-lecture-publique")])
    api.need(
        lyon["id"], title="Ingénierie de l'eau", direction="offer", tag_ids=[api.tag_id("environnement-climat-energie")]
    )
    # a theme finds its sub-themes; a sub-theme finds only itself
    assert titles(api.get(NEEDS, params={"tag": "environnement-climat-energie"})) == {
        "Eau potable",
        "Tri des déchets",
        "Ingénierie de l'eau",
    }
    assert titles(api.get(NEEDS, params={"tag": "dechets"})) == {"Tri des déchets"}
    assert titles(api.get(NEEDS, params={"tag": "sport"})) == set()
    assert api.get(NEEDS, params={"tag": "no-such-theme"}).status_code == 404
    assert titles(api.get(NEEDS, params={"country": "FR"})) == {"Ingénierie de l'eau"}
    assert titles(api.get(NEEDS, params={"country": "LB", "governorate": "LB-BA"})) == {
        "Tri des déchets",
        "Bibliothèque",
    }
    assert titles(api.get(NEEDS, params={"governorate": "LB-JA"})) == {"Eau potable"}
    assert titles(api.get(NEEDS, params={"country": "FR", "governorate": "LB-JA"})) == set()
    assert titles(api.get(NEEDS, params={"direction": "offer"})) == {"Ingénierie de l'eau"}
    assert titles(api.get(NEEDS, params={"status": "draft", "source": "census"})) == {"Tri des déchets"}
    assert titles(api.get(NEEDS, params={"priority": "high"})) == {"Eau potable"}
    assert titles(api.get(NEEDS, params={"collectivity_id": beirut["id"]})) == {"Tri des déchets", "Bibliothèque"}
    assert api.get(NEEDS, params={"country": "DE"}).status_code == 422
    page = api.get(NEEDS, params={"sort": "title", "limit": 2}).json()
    assert page["total"] == 4 and [n["title"] for n in page["items"]] == ["Bibliothèque", "Eau potable"]


def test_search_folds_case_and_accents(api: Api) -> None:
    c = api.own_collectivity()
    api.need(c["id"], title="Tri des DÉCHETS", description="Collecte sélective à Saïda")
    api.need(c["id"], title="Bibliothèque")
    api.need(c["id"], title="100% solaire")
    for q in ("dechets", "Déchets", "DECHETS", "selective saida", "SAÏDA tri"):
        assert titles(api.get(NEEDS, params={"q": q})) == {"Tri des DÉCHETS"}, q
    assert titles(api.get(NEEDS, params={"q": "bibliotheque"})) == {"Bibliothèque"}
    assert titles(api.get(NEEDS, params={"q": "100%"})) == {"100% solaire"}
    assert titles(api.get(NEEDS, params={"q": "%"})) == {"100% solaire"}  # a literal, not a wildcard
    assert titles(api.get(NEEDS, params={"q": "eau bibliotheque"})) == set()  # every word must match


def test_member_writes_only_its_own_needs(api: Api) -> None:
    own = api.own_collectivity()
    other = api.collectivity(name="Tyr")
    mine = api.need(own["id"], title="Mine")
    theirs = api.need(other["id"], title="Theirs")

    r = api.post(NEEDS, "member", json={"collectivity_id": own["id"], "title": "New"})
    assert r.status_code == 201, r.text
    assert api.patch(f"{NEEDS}/{mine['id']}", "member", json={"title": "Mine, edited"}).status_code == 200
    assert api.delete(f"{NEEDS}/{r.json()['id']}", "member").status_code == 204

    assert api.post(NEEDS, "member", json={"collectivity_id": other["id"], "title": "X"}).status_code == 403
    assert api.patch(f"{NEEDS}/{theirs['id']}", "member", json={"title": "X"}).status_code == 403
    assert api.delete(f"{NEEDS}/{theirs['id']}", "member").status_code == 403
    # moving its own need to another collectivity, or taking another's, is refused too
    assert api.patch(f"{NEEDS}/{mine['id']}", "member", json={"collectivity_id": other["id"]}).status_code == 403
    assert api.patch(f"{NEEDS}/{theirs['id']}", "member", json={"collectivity_id": own["id"]}).status_code == 403
    assert api.get(f"{NEEDS}/{theirs['id']}").json()["title"] == "Theirs"
    assert api.get(f"{NEEDS}/{mine['id']}").json()["collectivity_id"] == own["id"]
    # members read everything
    assert titles(api.get(NEEDS, "member")) == {"Mine, edited", "Theirs"}


def test_viewer_reads_but_does_not_write(api: Api) -> None:
    own = api.own_collectivity()
    need = api.need(own["id"])
    assert api.get(NEEDS, "viewer").status_code == 200
    assert api.post(NEEDS, "viewer", json={"collectivity_id": own["id"], "title": "X"}).status_code == 403
    assert api.patch(f"{NEEDS}/{need['id']}", "viewer", json={"title": "X"}).status_code == 403
    assert api.delete(f"{NEEDS}/{need['id']}", "viewer").status_code == 403
    assert api.get(NEEDS, "anonymous").status_code == 401


def test_coordinator_moves_a_need(api: Api) -> None:
    own, other = api.own_collectivity(), api.collectivity()
    need = api.need(own["id"])
    r = api.patch(f"{NEEDS}/{need['id']}", "coordinator", json={"collectivity_id": other["id"]})
    assert r.status_code == 200 and r.json()["collectivity_id"] == other["id"]
    missing = "00000000-0000-4000-8000-000000000000"
    assert api.patch(f"{NEEDS}/{need['id']}", json={"collectivity_id": missing}).status_code == 404


@pytest.mark.parametrize(
    "fields, loc",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"direction": "sideways"}, "direction"),
        ({"status": "done"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"source": "rumour"}, "source"),
        ({"estimated_budget_eur": -1}, "estimated_budget_eur"),
        ({"tag_ids": ["00000000-0000-4000-8000-000000000000"]}, "tag_ids"),
        ({"tag_ids": ["not-a-uuid"]}, "tag_ids"),
        ({"external_refs": {"CUF!": "x"}}, "external_refs"),
        ({"external_refs": {"cuf": ""}}, "external_refs"),
    ],
)
def test_invalid_need_is_422(api: Api, fields: dict[str, Any], loc: str) -> None:
    c = api.own_collectivity()
    r = api.post(NEEDS, json={"collectivity_id": c["id"], "title": "Water", **fields})
    assert r.status_code == 422, r.text
    assert any(loc in e["loc"] for e in r.json()["errors"]), r.json()
    assert api.get(NEEDS).json()["total"] == 0


def test_patch_cannot_null_required_fields(api: Api) -> None:
    need = api.need(api.own_collectivity()["id"])
    for field in ("title", "collectivity_id", "status", "tag_ids"):
        r = api.patch(f"{NEEDS}/{need['id']}", json={field: None})
        assert r.status_code == 422, (field, r.text)
    r = api.patch(f"{NEEDS}/{need['id']}", json={"estimated_budget_eur": None, "source_event_id": None})
    assert r.status_code == 200


def test_unknown_collectivity_is_404(api: Api) -> None:
    r = api.post(NEEDS, json={"collectivity_id": "00000000-0000-4000-8000-000000000000", "title": "Water"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_duplicate_external_ref_is_409(api: Api) -> None:
    c = api.own_collectivity()
    api.need(c["id"], external_refs={"census": "S-1"})
    r = api.post(NEEDS, json={"collectivity_id": c["id"], "title": "Other", "external_refs": {"census": "S-1"}})
    assert r.status_code == 409
    other = api.need(c["id"])
    assert api.patch(f"{NEEDS}/{other['id']}", json={"external_refs": {"census": "S-1"}}).status_code == 409
