"""The theme tree: seeded reference tags, branches, cycles, unique slugs."""

from typing import Any

import pytest

from tests.conftest import Api

TAGS = "/api/v1/tags"


def slugs(r: Any) -> list[str]:
    assert r.status_code == 200, r.text
    return [t["slug"] for t in r.json()["items"]]


def new_tag(api: Api, slug: str, parent_id: str | None = None, **fields: Any) -> dict[str, Any]:
    body = {"slug": slug, "label_fr": slug, "label_en": slug, "label_ar": "وسم", "parent_id": parent_id, **fields}
    r = api.post(TAGS, json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_reference_tree_is_seeded_in_file_order(api: Api) -> None:
    page = api.get(TAGS, "viewer", params={"limit": 500}).json()
    assert page["total"] == 33
    items = {t["slug"]: t for t in page["items"]}
    roots = [t["slug"] for t in page["items"] if t["parent_id"] is None]
    assert roots[:3] == ["environnement-climat-energie", "amenagement-urbain", "developpement-economique"]
    water = items["eau-assainissement"]
    assert water["parent_id"] == items["environnement-climat-energie"]["id"]
    assert (water["label_fr"], water["label_en"], water["label_ar"]) == (
        "Eau et assainissement",
        "Water and sanitation",
        "المياه والصرف الصحي",
    )
    assert water["call_2024_theme"] == "developpement-durable"


def test_parent_filter_lists_one_branch(api: Api) -> None:
    assert slugs(api.get(TAGS, "member", params={"parent": "gouvernance"})) == [
        "appui-institutionnel",
        "finances-locales",
        "police-municipale",
        "numerique",
    ]
    assert slugs(api.get(TAGS, params={"parent": "sport"})) == []
    r = api.get(TAGS, params={"parent": "no-such-theme"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_search_and_sort(api: Api) -> None:
    assert "eau-assainissement" in slugs(api.get(TAGS, params={"q": "EAU"}))
    assert slugs(api.get(TAGS, params={"q": "dechets"})) == ["dechets"]  # "Gestion des déchets", folded
    assert slugs(api.get(TAGS, params={"q": "النفايات"})) == ["dechets"]
    assert slugs(api.get(TAGS, params={"sort": "slug", "limit": 2})) == ["accueil-refugies", "action-sociale"]
    assert api.get(TAGS, params={"sort": "label_ar"}).status_code == 422


def test_crud(api: Api) -> None:
    parent = api.tag_id("gouvernance")
    created = new_tag(api, "participation-citoyenne", parent, label_fr="Participation citoyenne")
    r = api.get(f"{TAGS}/{created['id']}", "viewer")
    assert r.status_code == 200 and r.json()["parent_id"] == parent
    etag = r.headers["ETag"]
    r = api.patch(
        f"{TAGS}/{created['id']}", "coordinator", json={"label_en": "Citizen participation"}, headers={"If-Match": etag}
    )
    assert r.status_code == 200 and r.json()["label_en"] == "Citizen participation"
    assert api.patch(f"{TAGS}/{created['id']}", json={"label_en": "x"}, headers={"If-Match": etag}).status_code == 412
    assert api.patch(f"{TAGS}/{created['id']}", json={"parent_id": None}).json()["parent_id"] is None
    assert api.delete(f"{TAGS}/{created['id']}", "coordinator").status_code == 204
    assert api.get(f"{TAGS}/{created['id']}").status_code == 404


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_only_staff_change_the_tree(api: Api, role: str) -> None:
    tag = api.tag_id("sport")
    body = {"slug": "x", "label_fr": "x", "label_en": "x", "label_ar": "x"}
    assert api.post(TAGS, role, json=body).status_code == 403
    assert api.patch(f"{TAGS}/{tag}", role, json={"label_fr": "y"}).status_code == 403
    assert api.delete(f"{TAGS}/{tag}", role).status_code == 403
    assert api.get(TAGS, "anonymous").status_code == 401


def test_a_tag_cannot_be_its_own_ancestor(api: Api) -> None:
    a = new_tag(api, "a")
    b = new_tag(api, "b", a["id"])
    c = new_tag(api, "c", b["id"])
    for target, parent in ((a, c), (a, b), (a, a)):
        r = api.patch(f"{TAGS}/{target['id']}", json={"parent_id": parent["id"]})
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "parent_id"]
    assert api.get(f"{TAGS}/{a['id']}").json()["parent_id"] is None
    assert api.patch(f"{TAGS}/{c['id']}", json={"parent_id": a["id"]}).status_code == 200  # not a cycle


def test_unknown_parent_is_422(api: Api) -> None:
    body = {
        "slug": "x",
        "label_fr": "x",
        "label_en": "x",
        "label_ar": "x",
        "parent_id": "00000000-0000-4000-8000-000000000000",
    }
    r = api.post(TAGS, json=body)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "parent_id"]


def test_duplicate_slug_is_409(api: Api) -> None:
    body = {"slug": "sport", "label_fr": "Sport 2", "label_en": "Sport 2", "label_ar": "رياضة"}
    r = api.post(TAGS, json=body)
    assert r.status_code == 409 and "sport" in r.json()["detail"]
    other = new_tag(api, "sports-nautiques")
    assert api.patch(f"{TAGS}/{other['id']}", json={"slug": "sport"}).status_code == 409
    assert api.patch(f"{TAGS}/{other['id']}", json={"slug": "sports-nautiques"}).status_code == 200  # its own


@pytest.mark.parametrize("slug", ["Sport", "sport ", "sp ort", "-sport", "sport--x", "é", "", "x" * 81])
def test_slug_shape_is_checked(api: Api, slug: str) -> None:
    r = api.post(TAGS, json={"slug": slug, "label_fr": "x", "label_en": "x", "label_ar": "x"})
    assert r.status_code == 422, r.text


def test_labels_in_three_languages_are_required(api: Api) -> None:
    for missing in ("label_fr", "label_en", "label_ar"):
        body = {"slug": "x", "label_fr": "x", "label_en": "x", "label_ar": "x"}
        del body[missing]
        r = api.post(TAGS, json=body)
        assert r.status_code == 422 and any(missing in e["loc"] for e in r.json()["errors"])


def test_delete_with_children_is_409(api: Api) -> None:
    root = api.tag_id("gouvernance")
    r = api.delete(f"{TAGS}/{root}")
    assert r.status_code == 409
    assert api.get(f"{TAGS}/{root}").status_code == 200


def test_deleting_a_tag_unlinks_it(api: Api) -> None:
    tag = new_tag(api, "temporaire")
    c = api.own_collectivity()
    need = api.need(c["id"], tag_ids=[tag["id"], api.tag_id("sport")])
    assert api.delete(f"{TAGS}/{tag['id']}").status_code == 204
    assert api.get(f"/api/v1/needs/{need['id']}").json()["tag_ids"] == [api.tag_id("sport")]
