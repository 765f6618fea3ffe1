"""Benchmark (not a test): is the API still responsive while heavy work runs? (issue 13)

    .venv/bin/python benchmarks/responsiveness.py [--needs 5000] [--collectivities 2000] [--seconds 20]

On a scratch PostgreSQL database (``--server``, dropped at the end) filled as ``api_read.py`` fills it,
``jisr serve`` (one server process and, as by default, its worker process; the list cache off so that
every answer reads the database; ``--jobs-in-process`` runs the job on a thread of the API process
instead) is asked ``GET /api/v1/needs?limit=20`` by one client, one request after the other, in three
phases:

1. baseline: nothing else runs (``--seconds``);
2. during the French reference import: ``POST /api/v1/imports/france-reference`` with no file (the worker
   fetches the reference with npm and imports all of France: ~36,000 collectivities), until the job ends;
3. during a full matching run: ``POST /api/v1/matches/runs`` (every open need against every French
   collectivity), until it answers.

Prints count, median, p95, p99 and max per phase, and each phase's p99 over the baseline's. The machine's
load (``uptime``) is printed before and after: on a shared machine the figures move with it.
"""

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from api_read import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DEFAULT_SERVER,
    free_port,
    migrate_and_fill,
    scratch_database,
)

JISR = Path(sys.executable).with_name("jisr")


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def sample(client: httpx.Client, until: threading.Event, seconds: float | None = None) -> list[float]:
    times: list[float] = []
    end = time.monotonic() + seconds if seconds else None
    while not until.is_set() and (end is None or time.monotonic() < end):
        t0 = time.perf_counter()
        r = client.get("/api/v1/needs", params={"limit": 20})
        times.append((time.perf_counter() - t0) * 1000)
        if r.status_code != 200:
            print(f"  answer {r.status_code}: {r.text[:200]}")
    return times


def summary(label: str, times: list[float], base_p99: float | None) -> float:
    q = statistics.quantiles(times, n=100, method="inclusive")
    p50, p95, p99 = statistics.median(times), q[94], q[98]
    ratio = f"  p99 ×{p99 / base_p99:.1f} of baseline" if base_p99 else ""
    figures = f"p50 {p50:7.1f} ms  p95 {p95:7.1f}  p99 {p99:7.1f}  max {max(times):7.1f}"
    print(f"{label:34} n={len(times):5}  {figures}{ratio}")
    return p99


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--collectivities", type=int, default=2000)
    p.add_argument("--needs", type=int, default=5000)
    p.add_argument("--seconds", type=float, default=20, help="baseline duration")
    p.add_argument("--server", default=DEFAULT_SERVER)
    p.add_argument(
        "--jobs-in-process",
        action="store_true",
        help="for comparison: the import job on a thread of the API process (plain uvicorn with the worker "
        "loop in-process, as before issue 13) instead of `jisr serve`'s worker process",
    )
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("load before:", load())
    with scratch_database(args.server) as url, tempfile.TemporaryDirectory(prefix="jisr-bench-") as tmp:
        env = {
            **os.environ,
            "JISR_ENV": "production",
            "JISR_DATABASE_URL": url,
            "JISR_SECRET_KEY": secrets.token_urlsafe(48),
            "JISR_VAR_DIR": tmp,
            "JISR_ADMIN_EMAIL": ADMIN_EMAIL,
            "JISR_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "JISR_LIST_CACHE_BYTES": "0",
            "JISR_LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        migrate_and_fill(url, args.collectivities, args.needs)
        port = free_port()
        log = Path(tmp) / "server.log"
        command = [str(JISR), "serve", "--port", str(port)]
        if args.jobs_in_process:
            env.update(JISR_WORKER_IN_PROCESS="true", JISR_WORKER_JOBS_IN_PROCESS="true")
            command = [sys.executable, "-m", "uvicorn", "jisr.main:app", "--port", str(port), "--no-access-log"]
        print("server:", " ".join(Path(c).name if c.startswith("/") else c for c in command))
        with log.open("wb") as out:
            server = subprocess.Popen(command, env=env, stdout=out, stderr=out, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(600):
                try:
                    if urllib.request.urlopen(base + "/healthz", timeout=2).status == 200:
                        break
                except OSError:
                    time.sleep(0.2)
            token = httpx.post(
                base + "/api/v1/auth/token",
                data={"grant_type": "password", "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            ).json()["access_token"]
            client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            sample(client, threading.Event(), 2)  # warm-up
            base_p99 = summary("baseline (nothing running)", sample(client, threading.Event(), args.seconds), None)

            done = threading.Event()
            r = client.post("/api/v1/imports/france-reference")
            assert r.status_code == 202, r.text
            job_url = r.headers["Location"]

            def watch_job() -> None:
                poller = httpx.Client(base_url=base, headers=client.headers, timeout=60)
                while poller.get(job_url).json()["status"] in ("queued", "running"):
                    time.sleep(0.5)
                done.set()

            t0 = time.monotonic()
            threading.Thread(target=watch_job, daemon=True).start()
            times = sample(client, done)
            job = client.get(job_url).json()
            took = time.monotonic() - t0
            print(f"  French reference import: {job['status']}, {job.get('created')} created, {took:.0f} s")
            summary("during the French reference import", times, base_p99)

            done = threading.Event()
            answer: dict[str, object] = {}

            def run_matching() -> None:
                with httpx.Client(base_url=base, headers=client.headers, timeout=3600) as c:
                    r = c.post("/api/v1/matches/runs", json={})
                    answer.update(status=r.status_code, body=r.json())
                done.set()

            t0 = time.monotonic()
            threading.Thread(target=run_matching, daemon=True).start()
            times = sample(client, done)
            body = answer.get("body") or {}
            counts = {k: v for k, v in body.items() if isinstance(v, int)} if isinstance(body, dict) else {}
            print(f"  matching run: {answer.get('status')} {json.dumps(counts)[:200]}, {time.monotonic() - t0:.0f} s")
            summary("during a full matching run", times, base_p99)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
            errors = [line for line in log.read_text(errors="replace").splitlines() if "ERROR" in line]
            if errors:
                print("server errors:", *errors[:5], sep="\n  ")
    print("load after:", load())


if __name__ == "__main__":
    main()
