"""Webhooks, delivered by the outbox worker to a real receiver on 127.0.0.1: signature, retries, log."""

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlmodel import select

from jisr.core import netguard
from jisr.core.db import new_session, utcnow
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem
from jisr.webhooks.service import verify
from tests.conftest import Env


class Receiver:
    """An HTTP server that records what it receives and answers the status codes it is told to."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answered in order; 200 once empty
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/jisr"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def loopback_allowed(env: Env) -> None:
    """The receivers of these tests listen on 127.0.0.1: the operator's setting allows that host."""
    env.set(webhook_allowed_hosts="127.0.0.1")


@pytest.fixture
def public_only(env: Env) -> None:
    """The default: no private host allowed."""
    env.unset("webhook_allowed_hosts")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _subscribe(api: Any, url: str, events: list[str], secret: str = "s3cret-s3cret-s3cret") -> dict[str, Any]:
    r = api.post("/api/v1/webhooks", json={"url": url, "events": events, "secret": secret})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_signed_delivery_of_need_created(api: Any, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver.url, ["need.created", "need.updated"])
    assert hook["secret"] == "s3cret-s3cret-s3cret"
    assert "secret" not in api.get(f"/api/v1/webhooks/{hook['id']}").json()
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    need = api.need(saida["id"], title="Eau potable")
    assert receiver.requests == []  # nothing leaves before the worker runs
    stats = outbox.run_due()
    assert stats.sent == 1 and len(receiver.requests) == 1
    request = receiver.requests[0]
    headers, body = request["headers"], request["body"]
    assert headers["Jisr-Event"] == "need.created" and headers["Content-Type"] == "application/json"
    expected = hmac.new(b"s3cret-s3cret-s3cret", headers["Jisr-Timestamp"].encode() + b"." + body, hashlib.sha256)
    assert headers["Jisr-Signature"] == "v1=" + expected.hexdigest()
    assert verify("s3cret-s3cret-s3cret", headers["Jisr-Timestamp"], body, headers["Jisr-Signature"])
    assert not verify("another-secret-value", headers["Jisr-Timestamp"], body, headers["Jisr-Signature"])
    event = json.loads(body)
    assert event["type"] == "need.created" and event["data"]["id"] == need["id"]
    assert event["data"]["title"] == "Eau potable"
    assert headers["Idempotency-Key"] and headers["Jisr-Delivery"]
    assert outbox.run_due().handled == 0  # sent once

    api.patch(f"/api/v1/needs/{need['id']}", json={"status": "in_discussion"})
    outbox.run_due()
    assert json.loads(receiver.requests[1]["body"])["type"] == "need.updated"
    assert json.loads(receiver.requests[1]["body"])["data"]["status"] == "in_discussion"


def test_failed_deliveries_are_retried_with_backoff_then_die(api: Any, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver.url, ["need.created"])
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    receiver.statuses = [500, 503]
    api.need(saida["id"], title="Eau")
    now = utcnow()
    assert outbox.run_due(now=now).failed == 1
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert log[0]["status"] == "pending" and log[0]["attempts"] == 1 and "HTTP 500" in log[0]["last_error"]
    assert outbox.run_due(now=now + timedelta(seconds=10)).handled == 0  # not due yet: backing off
    assert outbox.run_due(now=now + timedelta(seconds=31)).failed == 1
    assert outbox.run_due(now=now + timedelta(seconds=60)).handled == 0  # the second wait is longer
    assert outbox.run_due(now=now + timedelta(minutes=3)).sent == 1
    keys = {r["headers"]["Idempotency-Key"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(keys) == 1  # the same key on every retry
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert (log[0]["status"], log[0]["attempts"], log[0]["last_error"]) == ("sent", 3, None)

    receiver.statuses = [500] * outbox.MAX_ATTEMPTS
    api.need(saida["id"], title="Déchets")
    moment = utcnow()
    for _ in range(outbox.MAX_ATTEMPTS):
        outbox.run_due(now=moment)
        moment += timedelta(hours=7)
    dead = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries", params={"status": "dead"}).json()["items"]
    assert len(dead) == 1 and dead[0]["attempts"] == outbox.MAX_ATTEMPTS
    r = api.post(f"/api/v1/webhooks/{hook['id']}/deliveries/{dead[0]['id']}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert outbox.run_due().sent == 1


def test_unreachable_receivers_and_removed_webhooks(api: Any, receiver: Receiver) -> None:
    hook = _subscribe(api, "http://127.0.0.1:9/nothing-listens-here", ["need.created"])
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    api.need(saida["id"], title="Eau")
    assert outbox.run_due().failed == 1
    item = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"][0]
    assert item["last_error"] == "could not deliver (connection failed)"
    api.delete(f"/api/v1/webhooks/{hook['id']}")
    assert outbox.run_due(now=utcnow() + timedelta(minutes=1)).dead == 1  # its target is gone: no more retries


def test_enqueue_is_idempotent(api: Any) -> None:
    with new_session() as s:
        for _ in range(2):
            outbox.enqueue(s, kind="webhook", key="same-key", payload={"x": 1})
        s.commit()
        assert len(list(s.exec(select(OutboxItem).where(OutboxItem.idempotency_key == "same-key")))) == 1


def test_import_finished_and_ping(api: Any, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver.url, ["import.finished"])
    csv = "country;kind;name;code\nLB;municipality;Tyr;LB-TYR\n"
    api.post("/api/v1/imports/collectivities", content=csv.encode(), headers={"Content-Type": "text/csv"})
    api.post(
        "/api/v1/imports/collectivities",
        content=csv.encode(),
        headers={"Content-Type": "text/csv"},
        params={"dry_run": "true"},
    )  # a dry run is no import: no event
    outbox.run_due()
    assert len(receiver.requests) == 1
    data = json.loads(receiver.requests[0]["body"])["data"]
    assert (data["kind"], data["status"], data["created"]) == ("collectivities", "done", 1)
    assert api.post(f"/api/v1/webhooks/{hook['id']}/ping").status_code == 202
    outbox.run_due()
    assert receiver.requests[1]["headers"]["Jisr-Event"] == "ping"


def test_needs_imported_are_announced_too(api: Any, receiver: Receiver) -> None:
    _subscribe(api, receiver.url, ["need.created"])
    api.collectivity(name="Saïda", code="LB-SAIDA")
    csv = "collectivity;title\nLB-SAIDA;Eau\nLB-SAIDA;Déchets\n"
    api.post("/api/v1/imports/needs", content=csv.encode(), headers={"Content-Type": "text/csv"})
    outbox.run_due()
    assert sorted(json.loads(r["body"])["data"]["title"] for r in receiver.requests) == ["Déchets", "Eau"]


def test_only_admins_manage_webhooks(api: Any, receiver: Receiver) -> None:
    body = {"url": receiver.url, "events": ["need.created"]}
    assert api.post("/api/v1/webhooks", "coordinator", json=body).status_code == 403
    assert api.get("/api/v1/webhooks", "viewer").status_code == 403
    assert api.post("/api/v1/webhooks", json={**body, "events": ["need.deleted"]}).status_code == 422
    assert api.post("/api/v1/webhooks", json={**body, "url": "ftp://x"}).status_code == 422
    made = api.post("/api/v1/webhooks", json=body).json()
    assert len(made["secret"]) >= 32  # generated when not given
    r = api.patch(f"/api/v1/webhooks/{made['id']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert api.get("/api/v1/webhooks").json()["total"] == 1


# --- SSRF (issue 14, defect 4): public destinations only -------------------------------------------------

PRIVATE_URLS = [
    "http://127.0.0.1:8000/x",
    "http://localhost/x",
    "http://LOCALHOST./x",
    "http://api.localhost/x",
    "http://[::1]/x",
    "http://0.0.0.0/x",
    "http://127.1/x",
    "http://2130706433/x",
    "http://0x7f000001/x",
    "http://0177.0.0.1/x",
    "http://[::ffff:127.0.0.1]/x",
    "http://[::ffff:7f00:1]/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/x",
    "http://172.16.3.4/x",
    "http://192.168.1.1/x",
    "http://100.64.0.1/x",
    "http://[fd00::1]/x",
    "http://[fe80::1]/x",
    "https://user:pw@example.org/x",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_non_public_destinations_are_refused_at_registration(public_only: None, api: Any, url: str) -> None:
    r = api.post("/api/v1/webhooks", json={"url": url, "events": ["need.created"]})
    assert r.status_code == 422, (url, r.text)
    assert r.json()["errors"][0]["loc"] == ["body", "url"]
    assert api.get("/api/v1/webhooks").json()["total"] == 0


def test_a_change_of_url_is_checked_too(public_only: None, api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["93.184.215.14"])
    made = api.post("/api/v1/webhooks", json={"url": "https://hooks.example.org/x", "events": ["need.created"]})
    assert made.status_code == 201, made.text
    r = api.patch(f"/api/v1/webhooks/{made.json()['id']}", json={"url": "http://2130706433/"})
    assert r.status_code == 422
    assert api.get(f"/api/v1/webhooks/{made.json()['id']}").json()["url"] == "https://hooks.example.org/x"


def test_a_name_resolving_to_a_private_address_is_refused(
    public_only: None, api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every address of the name counts: one public and one internal answer is a refusal."""
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["93.184.215.14", "10.1.2.3"])
    r = api.post("/api/v1/webhooks", json={"url": "https://sneaky.example.org/x", "events": ["need.created"]})
    assert r.status_code == 422 and "non-public" in r.text


def test_delivery_refuses_a_name_that_now_resolves_to_loopback(
    public_only: None, api: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: public at registration, loopback at delivery. Nothing is sent; no retry."""
    answers = {"rebind.example.org": ["93.184.215.14"]}
    monkeypatch.setattr(netguard, "resolve", lambda host, port: answers[host])
    port = receiver.server.server_port
    hook = _subscribe(api, f"http://rebind.example.org:{port}/hooks/jisr", ["need.created"])
    answers["rebind.example.org"] = ["127.0.0.1"]
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    api.need(saida["id"], title="Eau")
    assert outbox.run_due().dead == 1
    assert receiver.requests == []
    item = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"][0]
    assert item["status"] == "dead" and "non-public" in item["last_error"]


def test_delivery_connects_to_the_checked_address_with_the_name_as_host(
    api: Any, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An allowed private address behind a name: Jisr connects to the address it checked, Host is the name."""
    monkeypatch.setattr(netguard, "resolve", lambda host, port: ["127.0.0.1"])
    port = receiver.server.server_port
    _subscribe(api, f"http://receiver.example.org:{port}/hooks/jisr", ["need.created"])
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    api.need(saida["id"], title="Eau")
    assert outbox.run_due().sent == 1
    assert receiver.requests[0]["headers"]["Host"] == f"receiver.example.org:{port}"


def test_a_failed_delivery_keeps_the_status_not_the_answer(api: Any, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver.url, ["need.created"])
    receiver.statuses = [500]
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    api.need(saida["id"], title="Eau")
    assert outbox.run_due().failed == 1
    item = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"][0]
    assert item["last_error"] == "HTTP 500"  # the receiver answered "ok": not shown back


def test_redirects_are_not_followed(api: Any, receiver: Receiver) -> None:
    hook = _subscribe(api, receiver.url, ["need.created"])
    receiver.statuses = [302]
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    api.need(saida["id"], title="Eau")
    assert outbox.run_due().failed == 1 and len(receiver.requests) == 1
    assert api.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"][0]["last_error"] == "HTTP 302"


def test_parse_ip_reads_every_spelling() -> None:
    for text in ["127.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.0.1", "0x7f.1", "[::ffff:127.0.0.1]"]:
        addr = netguard.parse_ip(text)
        assert addr is not None and not netguard.is_public(addr), text
    assert str(netguard.parse_ip("2130706433")) == "127.0.0.1"
    assert netguard.parse_ip("example.org") is None and netguard.parse_ip("1.2.3.4.5") is None
    assert netguard.is_public(netguard.parse_ip("93.184.215.14"))  # type: ignore[arg-type]
