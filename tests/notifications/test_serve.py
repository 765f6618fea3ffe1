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
