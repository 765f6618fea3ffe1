"""The worker loop as `jisr serve` runs it on a thread of the server process, and as `jisr worker --once`
runs it: queued e-mails reach a real SMTP server without anyone calling the outbox by hand."""

import threading
import time
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from jisr.cli import app as cli
from jisr.main import create_app
from tests.conftest import Api, Env
from tests.notifications.conftest import Mailbox
from tests.notifications.test_emails import three_contacts


def invite_saida(api: Api, make_campaign: Any) -> set[str]:
    saida, to = three_contacts(api)
    campaign = make_campaign(title="Recensement 2026")
    r = api.post(f"/api/v1/census/campaigns/{campaign['id']}/invitations", json={"collectivity_ids": [saida["id"]]})
    assert r.status_code == 201, r.text
    return set(to.values())


def delivered(smtp: Mailbox, addresses: set[str], deadline: float = 60.0) -> set[str]:
    """The addresses that got a message, waiting for the loop until all did (or the deadline passed)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        got = {a for a in addresses if smtp.to(a)}
        if got == addresses:
            return got
        time.sleep(0.05)
    return {a for a in addresses if smtp.to(a)}


def workers() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "jisr-worker"}


def test_the_server_process_sends_the_outbox_on_its_own(api: Api, make_campaign: Any, smtp: Mailbox, env: Env) -> None:
    to = invite_saida(api, make_campaign)
    env.set(worker_in_process="true")
    before = workers()
    with TestClient(create_app()) as client:  # the lifespan starts the loop
        assert client.get("/healthz").status_code == 200
        assert len(workers() - before) == 1
        assert delivered(smtp, to) == to
    assert all(len(smtp.to(a)) == 1 for a in to)  # each once
    assert workers() == before  # stopped with the app


def test_without_the_setting_the_server_runs_no_worker(env: Env) -> None:
    env.set(worker_in_process="false")  # the default; tests and plain uvicorn
    before = workers()
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
        assert workers() == before


def test_jisr_worker_once(api: Api, make_campaign: Any, smtp: Mailbox) -> None:
    to = invite_saida(api, make_campaign)
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert {a for a in to if smtp.to(a)} == to
