"""Matching runs are worker jobs (issue 13): the request queues the run, the worker claims and runs it;
the request waits for it (201, as before) unless `?wait=false` (202 + Location). Without a worker
(`JISR_WORKER_IN_PROCESS` false, as in this suite's in-process client) the request runs it itself."""

import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from jisr import worker
from jisr.core.config import get_settings
from tests.conftest import Api
from tests.live_server import live_server
from tests.matching.test_matching_api import RUNS, proposals, world  # noqa: F401  (the fixture)


@pytest.fixture
def with_worker(monkeypatch: Any) -> None:
    """Settings as under `jisr serve`: a worker runs the jobs (here: the test, through worker.step)."""
    monkeypatch.setattr(get_settings(), "worker_in_process", True)


def test_wait_false_queues_the_run_and_the_worker_runs_it(api: Api, world: dict[str, Any], with_worker: None) -> None:  # noqa: F811
    r = api.post(RUNS, "coordinator", params={"wait": "false"}, json={"top_k": 2})
    assert r.status_code == 202, r.text
    queued = r.json()
    assert r.headers["Location"] == f"{RUNS}/{queued['id']}"
    assert (queued["status"], queued["worker"], queued["proposal_count"]) == ("queued", "", 0)
    assert proposals(api) == []

    worker.step(jobs=False)  # the light pass leaves jobs alone
    assert api.get(r.headers["Location"], "viewer").json()["status"] == "queued"

    assert worker.step().jobs == 1
    done = api.get(r.headers["Location"], "viewer").json()
    assert done["status"] == "done", done
    assert done["worker"] == f"{socket.gethostname()}:{os.getpid()}"
    assert done["error"] == "" and done["finished_at"] is not None
    assert done["proposal_count"] == 2
    assert {p["run_id"] for p in proposals(api)} == {queued["id"]}
    assert worker.step().jobs == 0  # claimed once


def test_the_request_waits_for_the_worker_and_answers_as_before(
    api: Api,
    world: dict[str, Any],  # noqa: F811
    with_worker: None,
) -> None:
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set() and not worker.step().jobs:
            time.sleep(0.05)

    t = threading.Thread(target=loop)
    t.start()
    try:
        r = api.post(RUNS, "coordinator", json={"top_k": 2})
    finally:
        stop.set()
        t.join()
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "done" and r.json()["proposal_count"] == 2
    assert r.json()["worker"].endswith(f":{os.getpid()}")  # the loop thread ran it, not the request


def test_a_run_that_fails_in_the_worker_is_failed_with_its_reason_and_writes_nothing(
    api: Api,
    world: dict[str, Any],  # noqa: F811
    with_worker: None,
) -> None:
    need = world["need"]
    r = api.post(RUNS, "coordinator", params={"wait": "false"}, json={"need_ids": [need["id"]]})
    assert r.status_code == 202, r.text
    api.delete(
        f"/api/v1/needs/{need['id']}",
        "admin",
        headers={"If-Match": api.get(f"/api/v1/needs/{need['id']}", "admin").headers["ETag"]},
    )
    worker.step()
    failed = api.get(r.headers["Location"], "viewer").json()
    assert failed["status"] == "failed", failed
    assert need["id"] in failed["error"]
    assert proposals(api) == []


def test_without_a_worker_the_request_runs_it_and_wait_false_still_answers_202(
    api: Api,
    world: dict[str, Any],  # noqa: F811
) -> None:
    r = api.post(RUNS, "coordinator", params={"wait": "false"}, json={"top_k": 2})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "done" and r.json()["worker"] == ""
    assert api.get(r.headers["Location"], "viewer").json()["proposal_count"] == 2


def test_serve_runs_the_matching_in_its_worker_process(api: Api, world: dict[str, Any], tmp_path: Path) -> None:  # noqa: F811
    with live_server(tmp_path / "server.log") as server:
        client = httpx.Client(base_url=server.url, headers=api.headers("admin"), timeout=120)
        r = client.post(RUNS, json={"top_k": 2})
        assert r.status_code == 201, r.text + (tmp_path / "server.log").read_text()[-3000:]
        run = r.json()
        assert run["status"] == "done" and run["proposal_count"] == 2
        workers = [pid for pid, cmd in children(server.process.pid) if " worker " in cmd and "--with-parent" in cmd]
        assert run["worker"] in {f"{socket.gethostname()}:{pid}" for pid in workers}, (run["worker"], workers)

        r = client.post(RUNS, params={"wait": "false"}, json={"top_k": 2})
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 60
        while (again := client.get(r.headers["Location"]).json())["status"] in ("queued", "running"):
            assert time.monotonic() < deadline, again
            time.sleep(0.2)
        assert again["status"] == "done" and again["worker"] == run["worker"]
        assert again["previous_run_id"] == run["id"]


def children(pid: int) -> list[tuple[int, str]]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            found.append((int(child), Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()))
    return found


def test_the_waiting_request_says_409_when_the_worker_failed_the_run(
    api: Api,
    world: dict[str, Any],  # noqa: F811
    with_worker: None,
) -> None:
    from sqlalchemy import update

    from jisr.core.db import new_session
    from jisr.needs.models import Need

    need_id = world["need"]["id"]
    stop = threading.Event()

    def loop() -> None:  # the need is closed after the request queued the run, before the worker takes it
        with new_session() as s:
            while not stop.is_set() and not s.execute(text("SELECT 1 FROM match_runs WHERE status = 'queued'")).first():
                time.sleep(0.02)
            s.execute(update(Need).where(Need.id == uuid.UUID(need_id)).values(status="closed"))  # type: ignore[arg-type]
            s.commit()
        while not stop.is_set() and not worker.step().jobs:
            time.sleep(0.05)

    t = threading.Thread(target=loop)
    t.start()
    try:
        r = api.post(RUNS, "coordinator", json={"need_ids": [need_id]})
    finally:
        stop.set()
        t.join()
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "match_run_failed" and need_id in r.json()["detail"]
    assert proposals(api) == []


def test_a_run_that_outlasts_the_wait_answers_202_with_location(
    api: Api,
    world: dict[str, Any],  # noqa: F811
    with_worker: None,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(get_settings(), "match_run_wait_seconds", 0.3)
    r = api.post(RUNS, "coordinator", json={"top_k": 2})  # no worker step runs meanwhile
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued" and r.headers["Location"] == f"{RUNS}/{r.json()['id']}"
    worker.step()
    assert api.get(r.headers["Location"], "viewer").json()["status"] == "done"
