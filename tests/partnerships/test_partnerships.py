"""Partnerships between a French and a Lebanese collectivity."""

from typing import Any

import pytest

from tests.conftest import Api

PARTNERSHIPS = "/api/v1/partnerships"


@pytest.fixture
def pair(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    return api.collectivity(country="FR", name="Lyon"), api.own_collectivity()


def test_crud(api: Api, pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    lyon, saida = pair
    water = api.tag_id("eau-assainissement")
    r = api.post(
        PARTNERSHIPS,
        json={
            "french_collectivity_id": lyon["id"],
            "lebanese_collectivity_id": saida["id"],
            "status": "dormant",
            "started_year": 2008,
            "ended_year": 2015,
            "last_activity_year": 2015,
            "atlas_id": "A-6461",
            "tag_ids": [water],
            "description": "Coopération sur l'eau",
        },
    )
    assert r.status_code == 201, r.text
    p = r.json()
    assert r.headers["Location"] == f"{PARTNERSHIPS}/{p['id']}"
    got = api.get(f"{PARTNERSHIPS}/{p['id']}", "viewer")
    assert got.status_code == 200 and got.json() == p
    etag = got.headers["ETag"]
    r = api.patch(
        f"{PARTNERSHIPS}/{p['id']}",
        "coordinator",
        json={"status": "active", "ended_year": None},
        headers={"If-Match": etag},
    )
    assert r.status_code == 200 and (r.json()["status"], r.json()["ended_year"]) == ("active", None)
    assert (
        api.patch(f"{PARTNERSHIPS}/{p['id']}", json={"status": "ended"}, headers={"If-Match": etag}).status_code == 412
    )
    assert api.delete(f"{PARTNERSHIPS}/{p['id']}", "coordinator").status_code == 204
    assert api.get(f"{PARTNERSHIPS}/{p['id']}").status_code == 404


def test_sides_must_be_french_and_lebanese(api: Api, pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    lyon, saida = pair
    paris = api.collectivity(country="FR", name="Paris")
    tyre = api.collectivity(name="Tyr")
    for french, lebanese, loc in (
        (saida, lyon, "french_collectivity_id"),  # swapped
        (tyre, saida, "french_collectivity_id"),
        (lyon, paris, "lebanese_collectivity_id"),
    ):
        r = api.post(
            PARTNERSHIPS, json={"french_collectivity_id": french["id"], "lebanese_collectivity_id": lebanese["id"]}
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", loc]
    p = api.partnership(lyon["id"], saida["id"])
    assert api.patch(f"{PARTNERSHIPS}/{p['id']}", json={"french_collectivity_id": tyre["id"]}).status_code == 422
    assert api.patch(f"{PARTNERSHIPS}/{p['id']}", json={"lebanese_collectivity_id": paris["id"]}).status_code == 422
    assert api.patch(f"{PARTNERSHIPS}/{p['id']}", json={"lebanese_collectivity_id": tyre["id"]}).status_code == 200
    missing = "00000000-0000-4000-8000-000000000000"
    r = api.post(PARTNERSHIPS, json={"french_collectivity_id": missing, "lebanese_collectivity_id": saida["id"]})
    assert r.status_code == 404
    assert api.get(PARTNERSHIPS).json()["total"] == 1


@pytest.mark.parametrize(
    "fields, loc",
    [
        ({"started_year": 2015, "ended_year": 2010}, "ended_year"),
        ({"started_year": 1949}, "started_year"),
        ({"ended_year": 2101}, "ended_year"),
        ({"last_activity_year": "recent"}, "last_activity_year"),
        ({"status": "paused"}, "status"),
        ({"atlas_id": ""}, "atlas_id"),
        ({"atlas_id": "x" * 51}, "atlas_id"),
    ],
)
def test_invalid_partnership_is_422(
    api: Api, pair: tuple[dict[str, Any], dict[str, Any]], fields: dict[str, Any], loc: str
) -> None:
    lyon, saida = pair
    r = api.post(
        PARTNERSHIPS, json={"french_collectivity_id": lyon["id"], "lebanese_collectivity_id": saida["id"], **fields}
    )
    assert r.status_code == 422, r.text
    assert any(loc in e["loc"] for e in r.json()["errors"]), r.json()


def test_years_are_checked_against_the_stored_ones_on_patch(
    api: Api, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    p = api.partnership(pair[0]["id"], pair[1]["id"], started_year=2010)
    r = api.patch(f"{PARTNERSHIPS}/{p['id']}", json={"ended_year": 2009})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "ended_year"]
    assert api.patch(f"{PARTNERSHIPS}/{p['id']}", json={"ended_year": 2010}).status_code == 200
    assert api.patch(f"{PARTNERSHIPS}/{p['id']}", json={"started_year": 2011}).status_code == 422
    assert api.get(f"{PARTNERSHIPS}/{p['id']}").json()["started_year"] == 2010


def test_atlas_id_is_unique(api: Api, pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    lyon, saida = pair
    api.partnership(lyon["id"], saida["id"], atlas_id="A-1")
    r = api.post(
        PARTNERSHIPS,
        json={"french_collectivity_id": lyon["id"], "lebanese_collectivity_id": saida["id"], "atlas_id": "A-1"},
    )
    assert r.status_code == 409 and "A-1" in r.json()["detail"]
    other = api.partnership(lyon["id"], saida["id"])  # no atlas id: several are fine
    api.partnership(lyon["id"], saida["id"])
    assert api.patch(f"{PARTNERSHIPS}/{other['id']}", json={"atlas_id": "A-1"}).status_code == 409
    assert api.patch(f"{PARTNERSHIPS}/{other['id']}", json={"atlas_id": "A-2"}).status_code == 200


def test_filters(api: Api) -> None:
    lyon = api.collectivity(country="FR", name="Lyon")
    paris = api.collectivity(country="FR", name="Paris")
    saida = api.own_collectivity()
    tyre = api.collectivity(name="Tyr")
    a = api.partnership(lyon["id"], saida["id"], status="active", tag_ids=[api.tag_id("eau-assainissement")])
    b = api.partnership(paris["id"], saida["id"], status="dormant", description="Patrimoine du vieux Saïda")
    c = api.partnership(lyon["id"], tyre["id"], status="ended", started_year=2001)

    def ids(**params: Any) -> set[str]:
        r = api.get(PARTNERSHIPS, "member", params=params)
        assert r.status_code == 200, r.text
        return {p["id"] for p in r.json()["items"]}

    assert ids(collectivity_id=lyon["id"]) == {a["id"], c["id"]}  # French side
    assert ids(collectivity_id=saida["id"]) == {a["id"], b["id"]}  # Lebanese side
    assert ids(collectivity_id="00000000-0000-4000-8000-000000000000") == set()
    assert ids(french_collectivity_id=lyon["id"]) == {a["id"], c["id"]}
    assert ids(lebanese_collectivity_id=tyre["id"]) == {c["id"]}
    assert ids(status="dormant") == {b["id"]}
    assert ids(tag="environnement-climat-energie") == {a["id"]}
    assert ids(q="patrimoine") == {b["id"]}
    assert ids(q="tyr") == {c["id"]}  # the names of both sides are searched
    assert ids(q="lyon") == {a["id"], c["id"]}
    page = api.get(PARTNERSHIPS, params={"sort": "-started_year", "limit": 1}).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    assert api.get(PARTNERSHIPS, params={"status": "paused"}).status_code == 422


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_staff_record_partnerships(api: Api, pair: tuple[dict[str, Any], dict[str, Any]], role: str) -> None:
    lyon, saida = pair  # saida is the member's own collectivity: still no
    p = api.partnership(lyon["id"], saida["id"])
    body = {"french_collectivity_id": lyon["id"], "lebanese_collectivity_id": saida["id"]}
    assert api.post(PARTNERSHIPS, role, json=body).status_code == 403
    assert api.patch(f"{PARTNERSHIPS}/{p['id']}", role, json={"status": "ended"}).status_code == 403
    assert api.delete(f"{PARTNERSHIPS}/{p['id']}", role).status_code == 403
    assert api.get(f"{PARTNERSHIPS}/{p['id']}", role).status_code == 200
    assert api.get(PARTNERSHIPS, "anonymous").status_code == 401


def test_a_collectivity_in_a_partnership_cannot_be_deleted(
    api: Api, pair: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    lyon, saida = pair
    p = api.partnership(lyon["id"], saida["id"])
    assert api.delete(f"/api/v1/collectivities/{lyon['id']}").status_code == 409
    assert api.delete(f"{PARTNERSHIPS}/{p['id']}").status_code == 204
    assert api.delete(f"/api/v1/collectivities/{lyon['id']}").status_code == 204
