"""Security headers on every kind of answer, the request id, and CORS limited to configured origins."""

import base64
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from jisr.core import http
from jisr.core.config import get_settings
from jisr.main import create_app
from tests.conftest import Api, Env

INDEX = """<!doctype html><html><head>
<script>document.documentElement.dir = "ltr";</script>
<script type="module" crossorigin src="/assets/app-abc.js"></script>
</head><body><div id="root"></div></body></html>"""

COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
}


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (x.strip() for x in csp.split(";")) if d}


def assert_hardened(r: object, csp: str | None = "api") -> None:
    headers = r.headers  # type: ignore[attr-defined]
    for name, value in COMMON.items():
        assert headers[name] == value, name
    assert "camera=()" in headers["permissions-policy"]
    assert "strict-transport-security" not in headers  # only when configured
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", headers["x-request-id"])
    policy = directives(headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    if csp == "api":
        assert policy["default-src"] == ["'none'"]


AppFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(env: Env) -> Iterator[AppFactory]:
    """A fresh app built with the given JISR_ settings (restored afterwards)."""
    clients: list[TestClient] = []

    def make(extra_routes: Callable[[FastAPI], None] | None = None, **settings: str) -> TestClient:
        env.set(**settings)
        app = create_app()
        if extra_routes:  # ahead of the web app's mount at "/" (frontend/dist may be there)
            before = len(app.router.routes)
            extra_routes(app)
            added = app.router.routes[before:]
            del app.router.routes[before:]
            app.router.routes[:0] = added
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


# --- security headers --------------------------------------------------------------------------


def test_api_answers_and_problem_errors_carry_the_headers(api: Api) -> None:
    answers = [
        api.client.get("/healthz"),  # 200 JSON
        api.client.get("/api/v1/needs"),  # 401 problem+json
        api.get("/api/v1/needs/not-a-uuid"),  # 422
        api.get("/api/v1/no-such-thing"),  # 404
        api.get("/api/v1/needs"),  # 200 list (fast path)
        api.client.get("/openapi.json"),
    ]
    assert [r.status_code for r in answers] == [200, 401, 422, 404, 200, 200]
    for r in answers:
        assert_hardened(r)
    assert answers[1].headers["content-type"].startswith("application/problem+json")


def test_an_unexpected_error_500_carries_the_headers_and_a_request_id(make_client: AppFactory) -> None:
    def boom(app: FastAPI) -> None:
        @app.get("/boom")
        def fail() -> None:
            raise RuntimeError("boom")

    r = make_client(boom).get("/boom", headers={"X-Request-ID": "trace-500"})
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/problem+json")
    assert_hardened(r)
    assert r.headers["x-request-id"] == "trace-500"


def test_the_web_app_gets_a_policy_it_works_under(make_client: AppFactory, tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(INDEX)
    (tmp_path / "assets" / "app-abc.js").write_text("console.log(1)")
    client = make_client(static_dir=str(tmp_path))
    for path in ("/", "/needs/123", "/census/some-token"):
        r = client.get(path)
        assert r.status_code == 200 and "root" in r.text
        assert_hardened(r, csp="spa")
        policy = directives(r.headers["content-security-policy"])
        # Scripts: this origin and the hash of the inline start-up script; never unsafe-inline/eval.
        assert policy["script-src"] == ["'self'", sha256('document.documentElement.dir = "ltr";')]
        assert policy["connect-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'self'"]
        assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    asset = client.get("/assets/app-abc.js")
    assert_hardened(asset)
    # A 304 keeps the policy of the cached page: an API policy on it would break the web app.
    again = client.get("/", headers={"If-None-Match": client.get("/").headers["etag"]})
    assert again.status_code == 304
    assert "content-security-policy" not in again.headers
    assert again.headers["x-content-type-options"] == "nosniff"


def same_origin_assets(html: str) -> list[str]:
    refs = re.findall(r"""<(?:script|link)\b[^>]*?(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert refs, "the page names no script nor style sheet"
    for ref in refs:
        assert ref.startswith("/") and not ref.startswith("//"), f"{ref} is not of this origin"
    return refs


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_are_served_from_this_origin_under_their_own_policy(api: Api, page: str) -> None:
    r = api.client.get(page)
    assert r.status_code == 200
    assert_hardened(r, csp="docs")
    policy = directives(r.headers["content-security-policy"])
    inline = [m[1] for m in re.finditer(r"<script>(.*?)</script>", r.text, re.DOTALL)]  # Swagger UI's start
    assert "/openapi.json" in r.text
    assert policy["script-src"] == ["'self'", *map(sha256, inline)]
    assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'none'"]
    assert "http" not in r.headers["content-security-policy"]  # no other origin at all
    for ref in same_origin_assets(r.text):  # Swagger UI's / Redoc's files, installed with the package
        asset = api.client.get(ref)
        assert asset.status_code == 200, ref
        assert len(asset.content) > 1000, ref
    assert page not in api.client.get("/openapi.json").json()["paths"]


def test_docs_page_details(api: Api) -> None:
    assert api.client.get("/docs/oauth2-redirect").status_code == 200
    assert api.client.get("/docs/assets/nothing.js").status_code == 404
    assert api.client.get("/docs/assets/..%2Fcore.py").status_code == 404
    assert directives(api.client.get("/docs").headers["content-security-policy"])["style-src"] == ["'self'"]


def test_hsts_only_when_configured(make_client: AppFactory) -> None:
    r = make_client(hsts_seconds="31536000").get("/healthz")
    assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_census_answers_keep_their_stricter_referrer_policy(api: Api) -> None:
    r = api.client.get("/api/v1/census/forms/" + "x" * 43)
    assert r.status_code == 404
    assert r.headers["referrer-policy"] in ("no-referrer", "strict-origin-when-cross-origin")


# --- request id --------------------------------------------------------------------------------


def test_request_id_is_taken_when_valid_generated_otherwise(make_client: AppFactory) -> None:
    seen: list[str | None] = []

    def echo(app: FastAPI) -> None:
        @app.get("/rid")
        def rid() -> dict[str, str | None]:
            seen.append(http.request_id())
            return {"id": http.request_id()}

        @app.get("/rid-async")
        async def rid_async() -> dict[str, str | None]:
            return {"id": http.request_id()}

    client = make_client(echo)
    r = client.get("/rid", headers={"X-Request-ID": "abc-123.DEF_4"})
    assert r.headers["x-request-id"] == "abc-123.DEF_4" == r.json()["id"] == seen[0]
    assert client.get("/rid-async", headers={"X-Request-ID": "xyz"}).json()["id"] == "xyz"
    for bad in ("a" * 65, "with space", "new\\nline", "<script>", "é", ""):
        r = client.get("/rid", headers={"X-Request-ID": bad.encode("utf-8")} if bad else {})
        generated = r.headers["x-request-id"]
        assert generated != bad and re.fullmatch(r"[0-9a-f]{32}", generated), bad
        assert r.json()["id"] == generated
    ids = {client.get("/rid").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3
    assert http.request_id() is None  # outside a request


# --- CORS --------------------------------------------------------------------------------------

ALLOWED = "https://partenaires.example.org"


def test_cors_answers_configured_origins_only(make_client: AppFactory, api: Api) -> None:
    client = make_client(cors_origins=f"{ALLOWED}, https://other-allowed.example.org")
    auth = api.headers("admin")
    r = client.get("/api/v1/needs", headers={"Origin": ALLOWED, **auth})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == ALLOWED
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "location", "x-request-id"} <= exposed
    assert "access-control-allow-credentials" not in r.headers
    assert_hardened(r)

    other = client.get("/api/v1/needs", headers={"Origin": "https://evil.example.com", **auth})
    # CORS is enforced by browsers: the answer comes, without Allow-Origin, so a page there cannot read
    # it (Starlette still names the exposed headers, which grants nothing alone).
    assert other.status_code == 200
    assert "access-control-allow-origin" not in other.headers

    preflight = {"Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "authorization,if-match"}
    ok = client.options("/api/v1/needs/x", headers={"Origin": ALLOWED, **preflight})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == ALLOWED
    assert "PATCH" in ok.headers["access-control-allow-methods"]
    assert {"authorization", "if-match"} <= {
        h.strip().lower() for h in ok.headers["access-control-allow-headers"].split(",")
    }
    assert_hardened(ok)
    refused = client.options("/api/v1/needs/x", headers={"Origin": "https://evil.example.com", **preflight})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    odd_header = client.options(
        "/api/v1/needs", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET",
                                  "Access-Control-Request-Headers": "x-secret-thing"}
    )  # fmt: skip
    assert odd_header.status_code == 400


def test_no_cors_headers_when_no_origin_is_configured(api: Api) -> None:
    assert get_settings().cors_origin_list == []
    r = api.get("/api/v1/needs", headers={"Origin": ALLOWED})
    assert r.status_code == 200
    assert not [h for h in r.headers if h.startswith("access-control-")]
    preflight = api.client.options("/api/v1/needs", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
