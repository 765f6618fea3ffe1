"""One error shape everywhere (RFC 9457 problem+json), and no 500 for anything a client can send."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jisr.core.db import get_session
from jisr.main import create_app
from tests.conftest import Api

MIB = 1024 * 1024


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = dict(r.json())
    assert body["status"] == status and body["title"] and body["type"] == "about:blank"
    assert set(body) <= {"type", "title", "status", "detail", "errors"}
    return body


def test_unknown_path_is_404(api: Api) -> None:
    assert_problem(api.get("/api/v1/nothing-here"), 404)
    assert_problem(api.get("/api/v1/nothing-here", "anonymous"), 404)
    assert_problem(api.get(f"/api/v1/needs/{'00000000-0000-4000-8000-000000000000'}"), 404)


def test_wrong_method_is_405(api: Api) -> None:
    r = api.request("PUT", "/api/v1/needs")
    assert_problem(r, 405)
    assert "GET" in r.headers["allow"] and "POST" in r.headers["allow"]
    assert_problem(api.request("DELETE", "/api/v1/auth/token"), 405)


def test_validation_is_422_with_errors(api: Api) -> None:
    r = api.post("/api/v1/needs", json={"title": "", "priority": "urgent"})
    body = assert_problem(r, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert {("body", "collectivity_id"), ("body", "title"), ("body", "priority")} <= locs
    assert all(set(e) == {"loc", "msg"} and e["msg"] for e in body["errors"])
    body = assert_problem(api.get("/api/v1/needs", params={"limit": 501}), 422)
    assert body["errors"][0]["loc"] == ["query", "limit"]


@pytest.mark.parametrize("payload", [b"{not json", b"", b"[]", b'"a string"', b"\xff\xfe"])
def test_malformed_body_is_422(api: Api, payload: bytes) -> None:
    r = api.post("/api/v1/needs", content=payload, headers={"Content-Type": "application/json"})
    assert_problem(r, 422)


def test_naive_timestamps_are_422_not_500(api: Api) -> None:
    body = assert_problem(api.get("/api/v1/needs", params={"updated_since": "2021-06-15T10:00:00"}), 422)
    assert body["errors"][0]["loc"] == ["query", "updated_since"]
    r = api.get("/api/v1/needs", params={"updated_since": "2021-06-15T10:00:00+03:00"})
    assert r.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"offset": 2**63},  # found by schemathesis: a 500 (integer overflow in the database driver)
        {"offset": 10**10},
        {"limit": 2**70},
        {"updated_since": "0001-01-01T00:00:00+00:01"},  # found by schemathesis: before year 1 in UTC
        {"updated_since": "9999-12-31T23:59:59-01:00"},
        {"updated_since": "2021-13-01T00:00:00Z"},
    ],
)
def test_extreme_list_parameters_are_422(api: Api, params: dict[str, Any]) -> None:
    for path in ("/api/v1/needs", "/api/v1/collectivities", "/api/v1/users"):
        assert_problem(api.get(path, params=params), 422)


def test_body_over_5_mib_is_413(api: Api) -> None:
    big = json.dumps({"title": "x" * (5 * MIB + 10)})
    r = api.post("/api/v1/needs", content=big, headers={"Content-Type": "application/json"})
    body = assert_problem(r, 413)
    assert "5 MiB" in body["detail"]
    # just under the limit goes through to validation
    ok = json.dumps({"title": "x" * (5 * MIB - 100)})
    assert api.post("/api/v1/needs", content=ok, headers={"Content-Type": "application/json"}).status_code == 422


def test_chunked_body_over_5_mib_is_413(api: Api) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"title": "'
        for _ in range(6):
            yield b"x" * MIB
        yield b'"}'

    r = api.post("/api/v1/needs", content=chunks(), headers={"Content-Type": "application/json"})
    assert "content-length" not in r.request.headers  # really sent without a declared length
    assert_problem(r, 413)


def test_chunked_body_under_the_limit_is_read(api: Api) -> None:
    c = api.own_collectivity()

    def chunks() -> Iterator[bytes]:
        yield json.dumps({"collectivity_id": c["id"], "title": "Chunked"}).encode()

    r = api.post("/api/v1/needs", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Chunked"


@pytest.mark.parametrize("length", ["abc", "-1", str(10 * MIB)])
def test_bogus_or_large_declared_length_is_413(api: Api, length: str) -> None:
    r = api.post("/api/v1/needs", content=b"{}", headers={"Content-Type": "application/json", "Content-Length": length})
    assert_problem(r, 413)


SECRET = "secret internal detail: password=hunter2 at /srv/jisr/app.py"


@pytest.fixture
def broken_client() -> Iterator[TestClient]:
    """A second app with a route that raises, and a database session that fails on every API route."""
    app = create_app()

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError(SECRET)

    # the web app, when built, is mounted at "/" and would answer /boom first: put the route ahead of it
    app.router.routes.insert(0, app.router.routes.pop())

    def broken_session() -> Iterator[None]:
        raise ConnectionError(SECRET)
        yield

    app.dependency_overrides[get_session] = broken_session
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("path", ["/boom", "/api/v1/partnerships", "/api/v1/auth/me"])
def test_500_hides_internals(broken_client: TestClient, path: str) -> None:
    r = broken_client.get(path)
    body = assert_problem(r, 500)
    for leak in ("secret", "hunter2", "RuntimeError", "ConnectionError", "Traceback", "app.py"):
        assert leak not in r.text
    assert body["detail"]


def test_500_does_not_break_the_next_request(broken_client: TestClient) -> None:
    broken_client.get("/boom")
    assert broken_client.get("/healthz").json() == {"status": "ok"}


HOSTILE = [
    pytest.param("x" * 100_000, id="very-long"),
    pytest.param("a\x00b", id="nul"),
    pytest.param("\x00", id="only-nul"),
    pytest.param("\u202egnp.exe\u202c Saïda \u2066\u2067\u2069", id="rtl-override"),
    pytest.param("'; DROP TABLE needs; --", id="sql"),
    pytest.param("' OR '1'='1", id="sql-or"),
    pytest.param("%_\\%", id="like-wildcards"),
    pytest.param("\U0001f600 \U0001f1f1\U0001f1e7 \ufeff\u200b", id="emoji-bom-zwsp"),
    pytest.param("صيدا\u0640\u064e", id="arabic"),
    pytest.param("\x1b[31mred\x07", id="control"),
]


def _stored_or_refused(r: Any, value: str, field: str) -> None:
    assert r.status_code < 500, r.text
    if r.status_code in (200, 201):
        assert r.json()[field] == value
    else:
        assert_problem(r, r.status_code)
        assert r.status_code in (404, 409, 422)


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_in_bodies(api: Api, value: str) -> None:
    c = api.own_collectivity()
    r = api.post("/api/v1/needs", json={"collectivity_id": c["id"], "title": value[:300], "description": value})
    _stored_or_refused(r, value, "description")
    if r.status_code == 201:
        assert api.get(f"/api/v1/needs/{r.json()['id']}").json()["description"] == value
    r = api.post("/api/v1/collectivities", json={"country": "LB", "kind": "municipality", "name": value[:200]})
    _stored_or_refused(r, value[:200], "name")
    contact = {"collectivity_id": c["id"], "full_name": value[:200], "consent_at": "2024-01-15T09:00Z"}
    r = api.post("/api/v1/contacts", json=contact)
    _stored_or_refused(r, value[:200], "full_name")
    r = api.patch(f"/api/v1/collectivities/{c['id']}", json={"description": value[:5000]})
    _stored_or_refused(r, value[:5000], "description")
    r = api.post("/api/v1/users", json={"email": "a@example.org", "password": value[:200] + "0123456789"})
    assert r.status_code in (201, 422), r.text


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_in_queries(api: Api, value: str) -> None:
    api.need(api.own_collectivity()["id"])
    for path, params in (
        ("/api/v1/needs", {"q": value[:200]}),
        ("/api/v1/needs", {"tag": value[:80]}),
        ("/api/v1/collectivities", {"q": value[:200]}),
        ("/api/v1/collectivities", {"code": value[:20], "external_ref": f"cuf:{value[:200]}"}),
        ("/api/v1/contacts", {"q": value[:200]}),
        ("/api/v1/tags", {"q": value[:200], "parent": value[:80]}),
        ("/api/v1/partnerships", {"q": value[:200], "sort": value[:200]}),
        ("/api/v1/users", {"q": value[:200]}),
        ("/api/v1/needs", {"q": value[:1000]}),  # over max_length when long
    ):
        r = api.get(path, params=params)
        assert r.status_code in (200, 404, 422), (path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/")
    r = api.client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": value[:254], "password": value[:200]}
    )
    assert r.status_code in (401, 422), r.text


@pytest.mark.parametrize("value", ["a%00b", "..%2f..%2fetc%2fpasswd", "%00", "' OR 1=1 --", "%E2%80%AE"])
def test_hostile_path_segments(api: Api, value: str) -> None:
    r = api.get(f"/api/v1/needs/{value}")
    assert r.status_code in (404, 422), r.text


def test_hostile_headers(api: Api) -> None:
    need = api.need(api.own_collectivity()["id"])
    for if_match in ("\x00", '"' + "x" * 10000 + '"', "' OR 1=1 --", ",,,", "W/"):
        r = api.patch(f"/api/v1/needs/{need['id']}", json={"priority": "low"}, headers={"If-Match": if_match})
        assert r.status_code == 412, (if_match, r.text)


def test_no_token_is_401_before_the_query_is_looked_at(api: Any) -> None:
    for path in ("/api/v1/needs", "/api/v1/collectivities", "/api/v1/partnerships"):
        r = api.client.get(path, params={"limit": 9999})
        assert_problem(r, 401)
