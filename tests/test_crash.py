"""Crash safety: the server is SIGKILLed in the middle of a large import and of a matching run.

The kill lands while the operation holds uncommitted writes (seen from outside: SQLite's write lock is
taken, or a PostgreSQL backend has a transaction id) and before it answers. After a restart the
database holds all of the operation or none of it; the import job says it was interrupted, and the
same import runs again to the end. SQLite, or PostgreSQL with JISR_TEST_DATABASE_URL.
"""

import random
import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from jisr.core.db import get_engine
from tests.conftest import TEST_URL, Api
from tests.live_server import JISR, live_server, wait_until, writer_active

NEEDS = 8000
TAGS = ["eau-assainissement", "dechets", "energies-renouvelables", "biodiversite", "urbanisme", "mobilite-transports"]


def count(sql: str, **params: Any) -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text(sql), params).scalar_one())


def test_an_import_killed_midway_writes_nothing_is_marked_interrupted_and_runs_again(api: Api, tmp_path: Path) -> None:
    api.own_collectivity()  # LB-SAIDA
    headers = api.headers("admin")
    rows = [
        {"collectivity": "LB-SAIDA", "title": f"Crash need {i:05d}", "description": "x" * 200, "tags": TAGS[i % 6]}
        for i in range(NEEDS)
    ]
    imported = "SELECT count(*) FROM needs WHERE title LIKE 'Crash need %'"

    with live_server(tmp_path / "server.log") as server:
        client = httpx.Client(base_url=server.url, headers=headers, timeout=30)
        r = client.post("/api/v1/imports/needs", json=rows, params={"background": "true"})
        assert r.status_code == 202, r.text
        job_url = r.headers["Location"]

        def midway() -> bool:
            job = client.get(job_url).json()
            assert job["status"] in ("queued", "running"), f"the import ended before the kill: {job}"
            return job["status"] == "running" and writer_active(TEST_URL)

        wait_until(midway, "the import writing its rows")
        server.kill()
    wait_until(lambda: not writer_active(TEST_URL), "the killed server's transaction to end")

    written = count(imported)
    assert written in (0, NEEDS), f"a partial import survived the crash: {written} of {NEEDS} rows"

    with live_server(tmp_path / "server2.log") as server:
        client = httpx.Client(base_url=server.url, headers=headers, timeout=60)
        job = client.get(job_url).json()
        if written == 0:  # the usual case: killed before the commit
            assert job["status"] == "failed" and "Interrupted" in job["detail"], job
            assert not job["committed"]
        else:  # the kill came in the instant after the commit: rows and outcome are there together
            assert job["status"] == "done" and job["committed"], job

        r = client.post("/api/v1/imports/needs", json=rows, params={"background": "true"})
        assert r.status_code == 202, r.text
        again = r.headers["Location"]
        wait_until(lambda: client.get(again).json()["status"] not in ("queued", "running"), "the new import", 60, 0.2)
        job = client.get(again).json()
        assert (job["status"], job["committed"]) == ("done", True), job
        assert (job["created"], job["unchanged"]) == (NEEDS - written, written), job
    assert count(imported) == NEEDS


def test_a_matching_run_killed_midway_leaves_the_run_and_all_its_proposals_or_nothing(api: Api, tmp_path: Path) -> None:
    rnd = random.Random(7)
    lebanese = [
        {
            "country": "LB",
            "kind": "municipality",
            "name": f"Municipalité {i}",
            "code": f"LB-C{i}",
            "governorate": "LB-JA",
        }
        for i in range(40)
    ]
    french = [
        {
            "country": "FR",
            "kind": "commune",
            "name": f"Commune {i}",
            "code": f"{10000 + i}",
            "population": rnd.randint(1000, 500000),
            "capacity": rnd.choice(["low", "medium", "high"]),
            "expertise": "|".join(rnd.sample(TAGS, 2)),
        }
        for i in range(400)
    ]
    needs = [
        {"collectivity": f"LB-C{i % 40}", "title": f"Besoin {i}", "tags": "|".join(rnd.sample(TAGS, 2))}
        for i in range(3000)
    ]
    for kind, body in (("collectivities", lebanese + french), ("needs", needs)):
        r = api.post(f"/api/v1/imports/{kind}", json=body, params={"background": "false"})
        assert r.status_code == 200 and r.json()["committed"], r.text[:2000]
    headers = api.headers("coordinator")
    proposals = "SELECT count(*) FROM match_proposals"
    runs = "SELECT count(*) FROM match_runs"
    assert count(proposals) == count(runs) == 0

    with live_server(tmp_path / "server.log") as server:
        outcome: dict[str, Any] = {}

        def post_run() -> None:
            try:
                outcome["response"] = httpx.post(
                    f"{server.url}/api/v1/matches/runs",
                    headers=headers,
                    json={"top_k": 5, "max_per_french_collectivity": 100},
                    timeout=120,
                )
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=post_run)
        thread.start()

        def midway() -> bool:
            assert thread.is_alive(), f"the run answered before the kill: {outcome}"
            return writer_active(TEST_URL)

        wait_until(midway, "the matching run writing its proposals", 60, 0.002)
        server.kill()
        thread.join(10)
    assert "error" in outcome, "the killed server answered"
    wait_until(lambda: not writer_active(TEST_URL), "the killed server's transaction to end")

    with live_server(tmp_path / "server2.log"):
        pass  # a restart on what the crash left
    n_runs, n_proposals = count(runs), count(proposals)
    entries = count("SELECT count(*) FROM match_run_entries")
    if n_runs == 0:
        assert n_proposals == 0 and entries == 0, f"proposals without their run: {n_proposals}, {entries}"
    else:
        assert n_runs == 1
        stated = count("SELECT proposal_count FROM match_runs")
        assert n_proposals == stated and entries >= stated, (n_proposals, entries, stated)


def test_a_start_leaves_alone_the_jobs_a_live_process_is_running(api: Api, tmp_path: Path) -> None:
    """Start-up recovery fails only orphaned jobs: another process starting (`jisr migrate` runs the same
    bootstrap as a server or a second worker) leaves a job this live process holds, and fails it once freed."""
    from jisr.core.db import new_session
    from jisr.imports import service
    from jisr.imports.models import ImportJob, OnError

    with new_session() as session:
        job = service.new_job(
            session, kind="needs", actor="test", dry_run=False, on_error=OnError.abort, fmt="csv", filename="x", size=1
        )
        session.commit()
        job_id = job.id
    start = [str(JISR), "migrate"]
    try:
        assert subprocess.run(start, capture_output=True, timeout=120).returncode == 0
        with new_session() as session:
            assert session.get(ImportJob, job_id).status == "running"  # type: ignore[union-attr]
    finally:
        service.release(job_id)  # as if this process had died
    assert subprocess.run(start, capture_output=True, timeout=120).returncode == 0
    with new_session() as session:
        stored = session.get(ImportJob, job_id)
        assert stored is not None and stored.status == "failed" and stored.detail == service.INTERRUPTED
