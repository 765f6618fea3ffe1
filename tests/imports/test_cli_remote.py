"""`jisr import FILE --api URL --token T` against a real Jisr served on 127.0.0.1, and its retries."""

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from jisr.cli import app
from jisr.imports.cli import _post
from tests.imports.conftest import FIXTURES


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[str]:
    from jisr.main import create_app

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def test_remote_import_in_batches(api: Any, server: str, tmp_path: Any) -> None:
    api.collectivity(name="Saïda", code="LB-SAIDA", governorate="LB-JA")
    api.collectivity(name="Jbeil", code="LB-JBEIL", governorate="LB-KJ", external_refs={"cuf": "C-0002"})
    token = api.headers("coordinator")["Authorization"].split()[1]
    runner = CliRunner()
    content = (FIXTURES / "besoins.csv").read_text(encoding="utf-8").replace("Saida;Liban-Sud", "Tyr;Liban-Sud")
    path = tmp_path / "besoins.csv"
    path.write_text(content, encoding="utf-8")
    args = ["import", str(path), "--kind", "needs", "--api", server, "--token", token, "--batch-size", "2"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output  # no Tyr in this directory
    report = json.loads(result.output[result.output.index("{") :])
    assert report["status"] == "rejected" and report["errors"][0]["row"] == 4  # the file's line, not the batch's
    assert api.get("/api/v1/needs").json()["total"] == 0  # the dry pass found it: nothing written
    result = runner.invoke(app, [*args, "--on-error", "skip"])
    report = json.loads(result.output[result.output.index("{") :])
    assert report["created"] == 2 and report["rejected"] == 1
    assert api.get("/api/v1/needs").json()["total"] == 2


def test_batches_are_retried_on_503() -> None:
    calls: list[int] = []

    class Flaky(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            calls.append(1)
            status = 503 if len(calls) < 3 else 200
            body = json.dumps({"created": 1}).encode()
            self.send_response(status)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        with httpx.Client() as client:
            r = _post(client, f"http://127.0.0.1:{httpd.server_port}/x", [{"a": 1}], {})
        assert r.status_code == 200 and len(calls) == 3
    finally:
        httpd.shutdown()
