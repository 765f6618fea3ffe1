"""Structured logs: one JSON object per line with the request id, an access line per request, and no
secret or token ever written — passwords, client secrets, bearer tokens, census private links."""

import io
import json
import logging
import os
from typing import Any

import pytest
from typer.testing import CliRunner

from jisr.core.logging import (
    JsonFormatter,
    RedactingFilter,
    RequestContextFilter,
    TextFormatter,
    log_config,
    redact,
)
from jisr.notifications import unsubscribe
from tests.conftest import PASSWORD, Api, Env


def production_handler(fmt: logging.Formatter | None = None) -> tuple[logging.Handler, io.StringIO]:
    """The handler `jisr serve` installs (log_config), writing to a string."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(fmt or JsonFormatter())
    handler.addFilter(RequestContextFilter())
    handler.addFilter(RedactingFilter())
    return handler, stream


@pytest.fixture
def captured() -> Any:
    """Everything logged while a test runs, through the production pipeline (JSON lines)."""
    handler, stream = production_handler()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_no_secret_reaches_the_logs(api: Api, caplog: pytest.LogCaptureFixture, captured: io.StringIO) -> None:
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [PASSWORD]
    # Sign-in, a bad sign-in, a client-credentials grant, then calls with those tokens.
    admin_headers = api.headers("admin")
    secrets.append(admin_headers["Authorization"].split()[1])
    bad = "Wr0ng-but-secret-password!"
    secrets.append(bad)
    r = api.client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": "admin@jisr.example.org", "password": bad}
    )
    assert r.status_code == 401
    created = api.post("/api/v1/api-clients", json={"name": "Sync", "role": "coordinator"}).json()
    secrets.append(created["client_secret"])
    r = api.client.post(
        "/api/v1/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": created["client_id"],
            "client_secret": created["client_secret"],
        },
    )
    assert r.status_code == 200, r.text
    client_token = r.json()["access_token"]
    secrets.append(client_token)
    assert api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {client_token}"}).status_code == 200
    r = api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "client_credentials", "client_id": created["client_id"], "client_secret": "x" * 40},
    )
    assert r.status_code == 401
    secrets.append("x" * 40)
    # A census private link: opened, answered, opened with a wrong token.
    saida = api.collectivity(name="Saïda", governorate="LB-JA", district="Saïda")
    campaign = api.post(
        "/api/v1/census/campaigns",
        json={"title": "Recensement", "languages": ["fr"], "closes_at": "2099-01-01T00:00:00Z"},
    ).json()
    issued = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations", json={"collectivity_ids": [saida["id"]]}
    ).json()
    census_token = issued["items"][0]["token"]
    secrets.append(census_token)
    assert api.client.get(f"/api/v1/census/forms/{census_token}").status_code == 200
    answer = {
        "language": "fr",
        "contact": {"full_name": "Rima Haddad", "role": "Secrétaire générale"},
        "priorities": [],
        "needs": [{"title": "Réseau d'eau", "priority": "high"}],
        "former_partners": [],
    }
    assert api.client.put(f"/api/v1/census/forms/{census_token}", json=answer).status_code == 201
    assert api.client.get(f"/api/v1/census/forms/{census_token[::-1]}").status_code == 404
    secrets.append(census_token[::-1])
    # An unsubscribe link names the address it is for.
    unsubscribe_token = unsubscribe.make_token("rima@saida.example")
    secrets.append(unsubscribe_token)
    assert api.client.get(f"/api/v1/unsubscribe/{unsubscribe_token}").status_code == 200
    # An unexpected error with a secret in its message is logged redacted too.
    logging.getLogger("jisr.test").error("request failed: Authorization: Bearer %s", client_token)

    # The test client (httpx) logs the URLs it calls, census tokens included: that is the client
    # side of this test, not the server; its lines still go through the redacting handler below.
    server_records = [rec for rec in caplog.records if not rec.name.startswith(("httpx", "httpcore"))]
    server_records = [rec for rec in server_records if rec.name != "jisr.test"]
    assert any(rec.name == "jisr.access" for rec in server_records)
    for rec in server_records:
        text = rec.getMessage() + " " + json.dumps({k: str(v) for k, v in rec.__dict__.items()})
        for secret in secrets:
            assert secret not in text, (rec.name, rec.getMessage())
    output = captured.getvalue()
    assert "/api/v1/census/forms/[redacted]" in output
    for secret in secrets:
        assert secret not in output
    # The access lines of the census form name the route, not the link.
    lines = [json.loads(line) for line in output.splitlines()]
    census = [x for x in lines if x["logger"] == "jisr.access" and "/census/forms/" in x["path"]]
    assert len(census) == 3 and {x["path"] for x in census} == {"/api/v1/census/forms/[redacted]"}


def test_access_lines_carry_request_id_status_duration_and_actor(api: Api, captured: io.StringIO) -> None:
    headers = api.headers("coordinator")
    r = api.client.get("/api/v1/needs", headers={**headers, "X-Request-ID": "req-42"})
    assert r.status_code == 200
    r401 = api.client.get("/api/v1/needs")
    me = api.get("/api/v1/auth/me", role="coordinator").json()
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    [line] = [x for x in lines if x.get("request_id") == "req-42"]
    assert line["logger"] == "jisr.access" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/needs", 200)
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["actor"] == f"user:{me['id']}"
    assert line["message"] == "GET /api/v1/needs 200"
    assert line["time"].endswith("+00:00")
    [anonymous] = [x for x in lines if x.get("request_id") == r401.headers["x-request-id"]]
    assert anonymous["status"] == 401 and "actor" not in anonymous


def test_every_line_of_a_request_carries_its_id(api: Api, captured: io.StringIO) -> None:
    """A log line written by the app while serving (an unexpected error) has the request's id."""
    from jisr.main import create_app

    app = create_app()

    @app.get("/explode")
    def explode() -> None:
        logging.getLogger("jisr.test").warning("about to fail")
        raise RuntimeError("kaboom")

    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the web app's mount
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get("/explode", headers={"X-Request-ID": "boom-1"})
    assert r.status_code == 500
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    mine = [x for x in lines if x.get("request_id") == "boom-1"]
    by_logger = {x["logger"]: x for x in mine}
    assert by_logger["jisr.test"]["message"] == "about to fail"
    assert "RuntimeError: kaboom" in by_logger["jisr"]["exc"]
    assert by_logger["jisr.access"]["status"] == 500


def test_json_lines_are_one_object_each() -> None:
    handler, stream = production_handler()
    log = logging.getLogger("jisr.linecheck")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning('multi\nline message with password=hunter2 and "quotes"')
        try:
            raise ValueError("bad")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(x) for x in lines)
    assert first["message"] == 'multi\nline message with password=[redacted] and "quotes"'
    assert first["level"] == "WARNING" and first["logger"] == "jisr.linecheck" and first["request_id"] is None
    assert "ValueError: bad" in second["exc"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Authorization: Bearer abc.def-ghi_jkl", "Authorization: [redacted] [redacted]"),
        ("sent Bearer abc.def-ghi_jkl", "sent Bearer [redacted]"),
        ("headers={'authorization': 'Bearer abcdefghijkl'}", "headers={'authorization': '[redacted] [redacted]'}"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig-nature_1 end", "token [redacted] end"),
        ("user=a%40b.org&password=p%40ss+w0rd&grant_type=x", "user=a%40b.org&password=[redacted]&grant_type=x"),
        ('{"client_secret": "s3cr3t", "name": "x"}', '{"client_secret": "[redacted]", "name": "x"}'),
        ("GET /api/v1/census/forms/AbC_123-xyz?lang=ar", "GET /api/v1/census/forms/[redacted]?lang=ar"),
        ("https://jisr.example.org/census/AbC_123-xyz", "https://jisr.example.org/census/[redacted]"),
        ("GET /census/campaigns/4 or /api/v1/census/campaigns", "GET /census/campaigns/4 or /api/v1/census/campaigns"),
        ("GET /api/v1/needs?q=eau&limit=20", "GET /api/v1/needs?q=eau&limit=20"),
    ],
)  # fmt: skip
def test_redact(raw: str, clean: str) -> None:
    assert redact(raw) == clean
    assert redact(clean) == clean  # filter and formatter both redact: twice changes nothing


def test_text_format_for_development() -> None:
    handler, stream = production_handler(TextFormatter())
    record = logging.LogRecord("jisr", logging.INFO, __file__, 1, "signed in with password=%s", ("x1",), None)
    assert handler.filter(record)
    handler.emit(record)
    line = stream.getvalue()
    assert "INFO" in line and "jisr [None] signed in with password=[redacted]" in line and "x1" not in line


def test_serve_configures_json_logs_in_production(monkeypatch: pytest.MonkeyPatch, env: Env) -> None:
    import uvicorn

    from jisr.cli import app as cli

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    # serve sets JISR_WORKER_IN_PROCESS for its processes: the env fixture puts it back afterwards
    for mode, fmt in (("production", "json"), ("development", "text")):
        env.set(env=mode, secret_key="k" * 40)
        result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
        assert result.exit_code == 0, result.output
        kw = calls[-1]
        assert kw["workers"] == 2 and kw["access_log"] is False
        assert kw["log_config"] == log_config(fmt, "INFO")
        assert kw["log_config"]["handlers"]["default"]["formatter"] == fmt
        assert os.environ["JISR_WORKER_IN_PROCESS"] == "true"  # each server process runs the worker loop
    env.set(log_format="json", env="development")
    CliRunner().invoke(cli, ["serve"])
    assert calls[-1]["log_config"]["handlers"]["default"]["formatter"] == "json"


def test_log_config_is_valid_for_dictconfig() -> None:
    """The configuration uvicorn applies in each worker (checked on a throwaway logging tree)."""
    import logging.config

    saved = {name: (lg.handlers[:], lg.level, lg.propagate) for name, lg in _loggers().items()}
    try:
        stream = io.StringIO()
        config = log_config("json", "info")
        config["handlers"]["default"]["stream"] = stream
        logging.config.dictConfig(config)
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 1)
        logging.getLogger("jisr.access").info("GET / 200")
        logging.getLogger("sqlalchemy.engine").info("not shown: libraries log warnings only")
        lines = [json.loads(x) for x in stream.getvalue().splitlines()]
        assert [x["logger"] for x in lines] == ["uvicorn.error", "jisr.access"]
    finally:
        for name, (handlers, level, propagate) in saved.items():
            lg = logging.getLogger(name) if name != "root" else logging.getLogger()
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate


def _loggers() -> dict[str, logging.Logger]:
    names = ["root", "uvicorn", "uvicorn.error", "uvicorn.access", "jisr", "sqlalchemy.engine"]
    return {n: logging.getLogger() if n == "root" else logging.getLogger(n) for n in names}
