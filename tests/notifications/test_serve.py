"""`jisr serve` as operators start it (a subprocess): the worker loop runs in the server by default, so a
census invitation reaches a real SMTP server on loopback (issue 13). SQLite, or PostgreSQL with
JISR_TEST_DATABASE_URL."""

import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Api
from tests.live_server import live_server
from tests.notifications.conftest import Mailbox
from tests.notifications.test_worker_loop import delivered, invite_saida


def test_serve_with_its_defaults_sends_a_census_invitation(
    api: Api, make_campaign: Any, smtp: Mailbox, tmp_path: Path
) -> None:
    with live_server(tmp_path / "server.log"):
        to = invite_saida(api, make_campaign)
        assert delivered(smtp, to, deadline=10) == to, (tmp_path / "server.log").read_text()[-3000:]


def test_serve_with_two_processes_sends_each_invitation_once(
    api: Api, make_campaign: Any, smtp: Mailbox, tmp_path: Path
) -> None:
    with live_server(tmp_path / "server.log", workers=2, serve=()) as server:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        to = invite_saida(api, make_campaign)
        assert delivered(smtp, to, deadline=10) == to, (tmp_path / "server.log").read_text()[-3000:]
        time.sleep(6)  # a second loop's pass (every 5 s when idle) had its chance to send them again
    assert all(len(smtp.to(a)) == 1 for a in to), [m["To"] for m in smtp.messages]


def test_serve_no_worker_sends_nothing(api: Api, make_campaign: Any, smtp: Mailbox, tmp_path: Path) -> None:
    with live_server(tmp_path / "server.log", serve=("--no-worker",)):
        to = invite_saida(api, make_campaign)
        assert delivered(smtp, to, deadline=6) == set()


def children(pid: int) -> list[str]:
    """Command lines of the process's children (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append(Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


def test_serve_runs_queued_imports_in_a_worker_process_of_its_own(api: Api, tmp_path: Path) -> None:
    api.own_collectivity()  # LB-SAIDA
    rows = [{"collectivity": "LB-SAIDA", "title": f"Queued need {i}"} for i in range(20)]
    with live_server(tmp_path / "server.log") as server:
        assert any(" worker " in cmd and "--with-parent" in cmd for cmd in children(server.process.pid))
        client = httpx.Client(base_url=server.url, headers=api.headers("admin"), timeout=30)
        r = client.post("/api/v1/imports/needs", json=rows, params={"background": "true"})
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 30
        while (job := client.get(r.headers["Location"]).json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        assert job["status"] == "done" and job["created"] == 20, job
