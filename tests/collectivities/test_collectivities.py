from typing import Any

import pytest

from tests.conftest import Api


def names(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {c["name"] for c in response.json()["items"]}


def test_create_read_update_delete(api: Api) -> None:
    water = api.tag_id("eau-assainissement")
    r = api.post(
        "/api/v1/collectivities",
        json={
            "country": "FR",
            "kind": "commune",
            "name": "Lyon",
            "code": "69123",
            "region": "84",
            "departement": "69",
            "population": 522250,
            "expertise_tag_ids": [water],
            "external_refs": {"cuf": "C-1"},
            "capacity": "high",
            "preferred_governorates": ["LB-JA"],
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["Location"] == f"/api/v1/collectivities/{body['id']}"
    assert body["expertise_tag_ids"] == [water] and body["external_refs"] == {"cuf": "C-1"}
    etag = api.get(f"/api/v1/collectivities/{body['id']}").headers["ETag"]
    r = api.patch(f"/api/v1/collectivities/{body['id']}", json={"population": 530000}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["population"] == 530000
    assert r.headers["ETag"] != etag
    stale = api.patch(f"/api/v1/collectivities/{body['id']}", json={"population": 1}, headers={"If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert api.get(f"/api/v1/collectivities/{body['id']}").json()["population"] == 530000
    assert api.delete(f"/api/v1/collectivities/{body['id']}").status_code == 204
    assert api.get(f"/api/v1/collectivities/{body['id']}").status_code == 404


def test_duplicate_natural_key_is_409(api: Api) -> None:
    api.collectivity(country="FR", kind="commune", name="Lyon", code="69123")
    r = api.post(
        "/api/v1/collectivities", json={"country": "FR", "kind": "commune", "name": "Lyon bis", "code": "69123"}
    )
    assert r.status_code == 409 and "69123" in r.json()["detail"]
    api.collectivity(country="FR", kind="epci", name="Métropole de Lyon", code="69123")  # other kind: fine


def test_duplicate_external_ref_is_409(api: Api) -> None:
    api.collectivity(external_refs={"cuf": "C-9"})
    r = api.post(
        "/api/v1/collectivities",
        json={"country": "LB", "kind": "municipality", "name": "X", "external_refs": {"cuf": "C-9"}},
    )
    assert r.status_code == 409


@pytest.mark.parametrize(
    "body, field",
    [
        ({"country": "LB", "kind": "commune", "name": "X"}, "kind"),
        ({"country": "LB", "kind": "municipality", "name": "X", "governorate": "LB-ZZ"}, "governorate"),
        (
            {"country": "LB", "kind": "municipality", "name": "X", "governorate": "LB-JA", "district": "Zahlé"},
            "district",
        ),
        ({"country": "FR", "kind": "commune", "name": "X", "governorate": "LB-JA"}, "governorate"),
        ({"country": "FR", "kind": "commune", "name": ""}, "name"),
        ({"country": "FR", "kind": "commune", "name": "X" * 201}, "name"),
        ({"country": "XX", "kind": "commune", "name": "X"}, "country"),
        ({"country": "FR", "kind": "commune", "name": "X", "population": "many"}, "population"),
        ({"country": "FR", "kind": "commune", "name": "X", "latitude": 123}, "latitude"),
        (
            {
                "country": "FR",
                "kind": "commune",
                "name": "X",
                "expertise_tag_ids": ["00000000-0000-0000-0000-000000000001"],
            },
            "expertise_tag_ids",
        ),
    ],
)
def test_invalid_input_is_422_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    r = api.post("/api/v1/collectivities", json=body)
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["status"] == 422 and problem["title"]
    assert any(field in [str(p) for p in e["loc"]] for e in problem["errors"]), problem
    assert api.get("/api/v1/collectivities").json()["total"] == 0


def test_patch_cannot_null_a_required_field(api: Api) -> None:
    c = api.collectivity()
    r = api.patch(f"/api/v1/collectivities/{c['id']}", json={"name": None})
    assert r.status_code == 422


def test_search_forgives_case_accents_spellings_and_arabic(api: Api) -> None:
    api.own_collectivity()  # Saïda, صيدا, Sidon
    api.collectivity(name="Beyrouth", name_alt=["Beirut"], name_ar="بيروت", governorate="LB-BA")
    api.collectivity(name="Tripoli", name_ar="طرابلس")
    for q in ("saida", "SAIDA", "Saïda", "sidon", "صيدا", "صَيْدا"):
        assert names(api.get("/api/v1/collectivities", params={"q": q})) == {"Saïda"}, q
    for q in ("beyrouth", "Beirut", "بيروت"):
        assert names(api.get("/api/v1/collectivities", params={"q": q})) == {"Beyrouth"}, q
    assert names(api.get("/api/v1/collectivities", params={"q": "100%_"})) == set()


def test_filters_sort_and_pagination(api: Api) -> None:
    water = api.tag_id("eau-assainissement")
    api.collectivity(name="B", governorate="LB-JA", interest_tag_ids=[water])
    api.collectivity(name="A", governorate="LB-BA")
    api.collectivity(country="FR", name="C", expertise_tag_ids=[water])
    assert names(api.get("/api/v1/collectivities", params={"country": "LB"})) == {"A", "B"}
    assert names(api.get("/api/v1/collectivities", params={"governorate": "LB-JA"})) == {"B"}
    assert names(api.get("/api/v1/collectivities", params={"tag": "eau-assainissement"})) == {"B", "C"}
    # a parent theme finds its sub-themes
    assert names(api.get("/api/v1/collectivities", params={"tag": "environnement-climat-energie"})) == {"B", "C"}
    assert names(api.get("/api/v1/collectivities", params={"expertise": "eau-assainissement"})) == {"C"}
    page = api.get("/api/v1/collectivities", params={"sort": "-name", "limit": 2, "offset": 1}).json()
    assert [c["name"] for c in page["items"]] == ["B", "A"]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)


@pytest.mark.parametrize(
    "params", [{"limit": 501}, {"limit": -1}, {"offset": -5}, {"sort": "password"}, {"limit": "ten"}]
)
def test_bad_list_parameters_are_422(api: Api, params: dict[str, Any]) -> None:
    r = api.get("/api/v1/collectivities", params=params)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_member_edits_only_its_own_profile(api: Api) -> None:
    own = api.own_collectivity()
    other = api.collectivity(name="Tyr")
    assert (
        api.patch(f"/api/v1/collectivities/{own['id']}", "member", json={"description": "Port city"}).status_code == 200
    )
    assert api.patch(f"/api/v1/collectivities/{other['id']}", "member", json={"description": "x"}).status_code == 403
    assert api.patch(f"/api/v1/collectivities/{own['id']}", "member", json={"code": "X"}).status_code == 403
    assert (
        api.post(
            "/api/v1/collectivities", "member", json={"country": "LB", "kind": "municipality", "name": "New"}
        ).status_code
        == 403
    )


def test_viewer_reads_but_cannot_write(api: Api) -> None:
    c = api.collectivity()
    assert api.get(f"/api/v1/collectivities/{c['id']}", "viewer").status_code == 200
    assert api.patch(f"/api/v1/collectivities/{c['id']}", "viewer", json={"name": "x"}).status_code == 403
    assert api.get("/api/v1/collectivities", "anonymous").status_code == 401


def test_delete_while_referenced_is_409(api: Api) -> None:
    c = api.collectivity()
    api.need(c["id"])
    r = api.delete(f"/api/v1/collectivities/{c['id']}")
    assert r.status_code == 409
    assert api.get(f"/api/v1/collectivities/{c['id']}").status_code == 200


def test_several_known_ids_in_one_call(api: Api) -> None:
    """The web app reads the partners named on a screen in one list call (`?id=…&id=…`), not one GET per id."""
    lyon = api.collectivity(country="FR", name="Lyon")
    nantes = api.collectivity(country="FR", name="Nantes")
    api.collectivity(country="FR", name="Rennes")
    wanted = {"id": [lyon["id"], nantes["id"], "00000000-0000-0000-0000-000000000000"], "limit": 100}
    assert names(api.get("/api/v1/collectivities", params=wanted)) == {"Lyon", "Nantes"}
    # combined with the other filters, and bounded
    assert names(api.get("/api/v1/collectivities", params={**wanted, "q": "nantes"})) == {"Nantes"}
    too_many = [f"00000000-0000-0000-0000-{i:012d}" for i in range(101)]
    assert api.get("/api/v1/collectivities", params={"id": too_many}).status_code == 422
    assert api.get("/api/v1/collectivities", params={"id": "not-a-uuid"}).status_code == 422
