"""The SPA mount without a browser (runs on SQLite and PostgreSQL): client-side routes get
index.html, the API's unknown paths stay problem+json 404s."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from jisr.main import create_app
from tests.conftest import Env


@pytest.fixture
def spa(tmp_path: Path, env: Env) -> Iterator[TestClient]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><div id="root"></div>')
    (tmp_path / "assets" / "app-abc123.js").write_text("console.log(1)")
    env.set(static_dir=str(tmp_path))
    with TestClient(create_app()) as client:
        yield client


def test_client_side_routes_get_index_html(spa: TestClient) -> None:
    for path in ("/", "/needs", "/needs/new", "/collectivities/1234", "/census/tok-en", "/admin?tab=clients"):
        r = spa.get(path)
        assert r.status_code == 200, path
        assert '<div id="root">' in r.text, path
        assert r.headers["cache-control"] == "no-cache", path


def test_assets_are_served_and_cached(spa: TestClient) -> None:
    r = spa.get("/assets/app-abc123.js")
    assert r.status_code == 200 and r.text == "console.log(1)"
    assert "immutable" in r.headers["cache-control"]
    assert spa.get("/assets/app-old999.js").status_code == 404


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api", "/api/v2/needs"])
def test_unknown_api_paths_stay_problem_404(spa: TestClient, method: str, path: str) -> None:
    r = spa.request(method, path)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["status"] == 404


def test_the_api_still_answers(spa: TestClient) -> None:
    assert spa.get("/healthz").json() == {"status": "ok"}
    assert spa.get("/api/v1/auth/me").status_code == 401
