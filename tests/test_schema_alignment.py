"""The published schema says what the API validates (issue 14: schemathesis found ~18 operations whose schema let
through requests the API refused, or refused requests it let through).

* `sort` is published with the exact pattern of the fields the list takes: each field the schema allows is
  accepted, anything else is refused by validation.
* An update model's field that may be omitted but not set to null is published as not nullable.
* Instants are ISO 8601 strings, as published: a number (`updated_since=0.5`, `"starts_at": 0`) is a 422, not
  a date in 1970.
* The change feed's `types` are an enum.
"""

import re
from typing import Any

import pytest

from jisr.core.db import new_session
from jisr.core.models import _Partial
from jisr.main import app
from jisr.webhooks.models import WebhookSubscription
from tests.conftest import Api

SCHEMA = app.openapi()


def _list_operations_with_sort() -> list[tuple[str, str]]:
    out = []
    for path, item in SCHEMA["paths"].items():
        op = item.get("get")
        if op and any(p["name"] == "sort" for p in op.get("parameters", [])):
            out.append((op["operationId"], path))
    return sorted(out)


SORTED = _list_operations_with_sort()


def _sort_fields(pattern: str) -> list[str]:
    group = re.search(r"\(\?:([^)]*)\)", pattern)
    assert group, pattern
    return [f.replace("\\", "") for f in group.group(1).split("|")]


def test_every_sort_parameter_publishes_its_fields() -> None:
    assert len(SORTED) >= 20
    for op_id, path in SORTED:
        param = next(p for p in SCHEMA["paths"][path]["get"]["parameters"] if p["name"] == "sort")
        pattern = param["schema"].get("pattern") or next(
            (s.get("pattern") for s in param["schema"].get("anyOf", []) if s.get("pattern")), None
        )
        assert pattern, f"{op_id}: `sort` has no pattern"
        fields = _sort_fields(pattern)
        assert re.fullmatch(pattern, ",".join(f"-{f}" for f in fields)), op_id
        assert not re.fullmatch(pattern, "nope"), op_id


def _url(api: Api, path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return path.replace("{format}", "csv")


@pytest.fixture
def ids(api: Api) -> dict[str, str]:
    own = api.own_collectivity()
    event = api.post(
        "/api/v1/events",
        json={"kind": "webinar", "title": "Tri", "starts_at": "2030-06-10T10:00Z", "ends_at": "2030-06-10T12:00Z"},
    ).json()
    campaign = api.post(
        "/api/v1/census/campaigns", json={"title": "Tri", "closes_at": "2099-01-01T00:00Z", "languages": ["fr"]}
    ).json()
    with new_session() as session:  # straight in: registering one through the API may resolve its host name
        webhook = WebhookSubscription(url="https://hooks.example.org/x", events=["need.created"], secret="s" * 32)
        session.add(webhook)
        session.commit()
        webhook_id = str(webhook.id)
    return {"event_id": event["id"], "campaign_id": campaign["id"], "webhook_id": webhook_id, "own": own["id"]}


def test_every_sort_field_the_schema_allows_is_accepted_and_others_are_refused(api: Api, ids: dict[str, Any]) -> None:
    problems = []
    for op_id, path in SORTED:
        param = next(p for p in SCHEMA["paths"][path]["get"]["parameters"] if p["name"] == "sort")
        pattern = param["schema"].get("pattern") or next(
            s.get("pattern") for s in param["schema"].get("anyOf", []) if s.get("pattern")
        )
        url = _url(api, path, ids)
        for field in _sort_fields(pattern):
            r = api.get(url, params={"sort": f"-{field}", "limit": 1})
            if r.status_code != 200:
                problems.append(f"{op_id} sort=-{field}: {r.status_code} {r.text[:150]}")
        r = api.get(url, params={"sort": "nope"})
        if r.status_code != 422 or r.json()["errors"][0]["loc"] != ["query", "sort"]:
            problems.append(f"{op_id} sort=nope: {r.status_code} {r.text[:150]}")
    assert not problems, "\n".join(problems)


def test_update_models_publish_fields_that_cannot_be_null_as_not_nullable() -> None:
    models = [m for m in _all_subclasses(_Partial) if m._required]
    assert len(models) >= 8
    for model in models:
        props = model.model_json_schema()["properties"]
        for name in model._required:
            nullable = props[name].get("type") == "null" or any(
                s.get("type") == "null" for s in props[name].get("anyOf", [])
            )
            assert not nullable, f"{model.__name__}.{name} refuses null but the schema allows it"


def _all_subclasses(cls: type) -> list[Any]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_all_subclasses(sub)]
    return out


def test_a_null_for_such_a_field_is_refused(api: Api) -> None:
    need = api.need(api.own_collectivity()["id"])
    r = api.patch(f"/api/v1/needs/{need['id']}", json={"title": None})
    assert r.status_code == 422


@pytest.mark.parametrize("value", ["0.5", "1700000000", "-3", "1e9"])
def test_a_number_is_not_an_instant_in_a_query(api: Api, value: str) -> None:
    for url in ("/api/v1/collectivities", "/api/v1/exports/tags.csv", "/api/v1/events"):
        key = "starts_after" if url == "/api/v1/events" else "updated_since"
        r = api.get(url, params={key: value})
        assert r.status_code == 422, (url, r.text)
        assert r.json()["errors"][0]["loc"] == ["query", key]


def test_a_number_is_not_an_instant_in_a_body(api: Api) -> None:
    base = {"kind": "webinar", "title": "Nombres", "starts_at": "2030-06-10T10:00Z", "ends_at": "2030-06-10T12:00Z"}
    for field, value in (("starts_at", 0), ("ends_at", 1.5e9), ("starts_at", "1900000000")):
        r = api.post("/api/v1/events", json={**base, field: value})
        assert r.status_code == 422, (field, value, r.text)
    r = api.post("/api/v1/census/campaigns", json={"title": "Nombres", "closes_at": 4102444800})
    assert r.status_code == 422, r.text
    assert api.post("/api/v1/events", json=base).status_code == 201  # ISO 8601 still works
    assert api.get("/api/v1/collectivities", params={"updated_since": "2024-01-01T00:00Z"}).status_code == 200


def test_change_types_are_an_enum(api: Api) -> None:
    param = next(p for p in SCHEMA["paths"]["/api/v1/changes"]["get"]["parameters"] if p["name"] == "types")
    assert "ChangeType" in str(param["schema"])
    assert "needs" in SCHEMA["components"]["schemas"]["ChangeType"]["enum"]
    r = api.get("/api/v1/changes", params={"types": ""})
    assert r.status_code == 422
    assert api.get("/api/v1/changes", params={"types": ["needs", "tags"]}).status_code == 200
