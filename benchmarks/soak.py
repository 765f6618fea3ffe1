"""Soak benchmark: sustained mixed traffic against `jisr serve` on PostgreSQL.

    .venv/bin/python benchmarks/soak.py [--duration 300] [--rate 200] [--workers 2] [--warmup 15]
                                        [--collectivities 10000] [--needs 30000]

One run:
1. creates a database ``jisr_soak_<random>``, migrates and fills it as ``api_read.py`` does
   (collectivities, needs, tag links, ``VACUUM ANALYZE``); drops it at the end (Ctrl-C, SIGTERM too);
2. starts ``jisr serve --workers N`` as in production (``JISR_ENV=production``: JSON logs, the
   access log on, written to a file);
3. drives open-loop traffic from an asyncio generator (a minimal HTTP/1.1 keep-alive client) on
   127.0.0.1: request *i* is due at ``start + i / rate`` whatever happened to the ones before (a slow
   server does not slow the load, as it would with wrk's closed loop), 70 % reads (single needs and
   collectivities, lists by tag, country, collectivity), 20 % writes (POST a need; PATCH a need with
   ``If-Match``, each need patched by one request at a time with the ETag of its last answer, so no
   412 is expected),
   10 % searches (``q=`` on collectivities and needs). Latency runs from the due time, so a
   generator or server falling behind shows up in it;
4. prints, per 30 s window: requests sent, achieved rate, errors, p50 and p99; the RSS of the
   uvicorn workers (sum, from /proc) before the load, after the warm-up and at the end (target:
   < 10 % growth from after the warm-up); the generator's own CPU; a check of the server's log
   (every line JSON, every access line with a request id).

Targets: 0 errors, RSS growth < 10 %. Nothing is asserted: this is a benchmark, not a test.
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from jisr.core.config import get_settings

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from api_read import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DEFAULT_SERVER,
    DEFAULT_WORDS,
    ROOT,
    _cpu_seconds,
    free_port,
    get_token,
    migrate_and_fill,
)

WINDOW_S = 30
SEARCH_WORDS = [*DEFAULT_WORDS, "eau", "déchets", "école", "solaire"]
TAGS = ["eau-assainissement", "dechets", "energies-renouvelables", "education", "sante", "patrimoine"]


@contextlib.contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A new database ``jisr_soak_<random>``, dropped (connections and all) on the way out."""
    from sqlalchemy import create_engine, text

    name = f"jisr_soak_{secrets.token_hex(4)}"
    admin = create_engine(server.rstrip("/") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rstrip("/") + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        print(f"dropped database {name}")


def sample_ids(n: int) -> dict[str, list[str]]:
    """Ids the load reads and writes: needs, collectivities (Lebanese ones get new needs)."""
    from sqlalchemy import text

    from jisr.core.db import get_engine

    with get_engine().connect() as conn:
        needs = [str(r[0]) for r in conn.execute(text("SELECT id FROM needs ORDER BY random() LIMIT :n"), {"n": n})]
        colls = [
            str(r[0]) for r in conn.execute(text("SELECT id FROM collectivities ORDER BY random() LIMIT :n"), {"n": n})
        ]
        lebanese = [
            str(r[0])
            for r in conn.execute(
                text("SELECT id FROM collectivities WHERE country = 'LB' ORDER BY random() LIMIT :n"), {"n": n}
            )
        ]
    return {"needs": needs, "collectivities": colls, "lebanese": lebanese}


def max_connections(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW max_connections")).scalar_one())
    finally:
        engine.dispose()


# --- the server ------------------------------------------------------------------------------


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        """The uvicorn worker processes (children of the master, but not multiprocessing's tracker)."""
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        pids = []
        for pid in (int(x) for x in out.split()):
            with contextlib.suppress(OSError):
                if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(pid)
        return pids


def start_server(workers: int, env: dict[str, str], logdir: Path) -> Server:
    port = free_port()
    log = logdir / "server.log"
    jisr = str(Path(sys.executable).parent / "jisr")
    cmd = [jisr, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(server.base + "/readyz", timeout=2).status_code == 200 and len(server.workers()) >= workers:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"jisr serve did not start; its log:\n{log.read_text()[-3000:]}")


def stop_server(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.proc.pid, signal.SIGKILL)
            server.proc.wait()


def rss_mib(pids: list[int]) -> float:
    """Resident memory of these processes, summed (VmRSS from /proc), in MiB."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


# --- the load --------------------------------------------------------------------------------


class Http:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams: ~10x less CPU per request than
    httpx, which matters when the generator shares 2 cores with the server it measures."""

    def __init__(self, base: str, token: str) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = f"Host: {parts.netloc}\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n"
        # Idle keep-alive connections, with when they were last used: uvicorn closes a connection
        # idle for 5 s, so older ones are dropped rather than reused.
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        now = time.monotonic()
        while self.idle:
            reader, writer, used = self.idle.pop()
            if now - used < 3:
                try:
                    return await self._send(reader, writer, method, path, body, headers)
                except ConnectionError:
                    pass  # closed by the server in between: no answer was started, send it again
            else:
                writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return await self._send(reader, writer, method, path, body, headers)

    async def _send(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        method: str,
        path: str,
        body: Any,
        headers: dict[str, str] | None,
    ) -> tuple[int, dict[str, str], bytes]:
        payload = b"" if body is None else json.dumps(body).encode()
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if body is not None:
            extra += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        try:
            writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + payload)
            status_line = await reader.readline()
            if not status_line:
                raise ConnectionError("connection closed")
            status = int(status_line.split(b" ", 2)[1])
            answer: dict[str, str] = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                key, _, value = line.decode("latin-1").partition(":")
                answer[key.strip().lower()] = value.strip()
            if answer.get("transfer-encoding") == "chunked":
                chunks = []
                while size := int((await reader.readline()).split(b";")[0], 16):
                    chunks.append(await reader.readexactly(size))
                    await reader.readline()
                await reader.readline()
                data = b"".join(chunks)
            else:
                data = await reader.readexactly(int(answer.get("content-length", "0")))
        except BaseException:
            writer.close()
            raise
        if answer.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append((reader, writer, time.monotonic()))
        return status, answer, data

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


@dataclass
class Sample:
    due: float  # seconds since the start of the measured load
    kind: str
    latency_ms: float
    ok: bool
    status: int


@dataclass
class Load:
    """The traffic mix, and the ETags of the needs the load may PATCH (one request per need at a time)."""

    ids: dict[str, list[str]]
    rng: random.Random = field(default_factory=lambda: random.Random(42))
    free: dict[str, str] = field(default_factory=dict)  # need id -> ETag of its last answer

    def pick(self) -> tuple[str, str, str, dict[str, Any] | None]:
        """(kind, method, url, json) of the next request."""
        r, rng, ids = self.rng.random(), self.rng, self.ids
        if r < 0.25:
            return "read", "GET", f"/api/v1/needs/{rng.choice(ids['needs'])}", None
        if r < 0.40:
            return "read", "GET", f"/api/v1/collectivities/{rng.choice(ids['collectivities'])}", None
        if r < 0.55:
            return "read", "GET", f"/api/v1/needs?tag={rng.choice(TAGS)}&limit=20&sort=-updated_at", None
        if r < 0.65:
            country, offset = rng.choice(["LB", "FR"]), rng.randint(0, 400)
            return "read", "GET", f"/api/v1/collectivities?country={country}&limit=20&offset={offset}", None
        if r < 0.70:
            return "read", "GET", f"/api/v1/needs?collectivity_id={rng.choice(ids['lebanese'])}&limit=20", None
        if r < 0.80 or not self.free:
            body = {
                "collectivity_id": rng.choice(ids["lebanese"]),
                "title": f"Besoin de charge {rng.randint(1, 10**9)}",
                "description": "Créé par benchmarks/soak.py.",
                "priority": rng.choice(["low", "medium", "high"]),
                "estimated_budget_eur": rng.randint(5, 500) * 1000,
            }
            return "write", "POST", "/api/v1/needs", body
        if r < 0.90:
            return "write", "PATCH", "", None  # filled in by the caller from a free need
        word = urllib.parse.quote(rng.choice(SEARCH_WORDS))
        if r < 0.96:
            return "search", "GET", f"/api/v1/collectivities?q={word}&limit=20", None
        return "search", "GET", f"/api/v1/needs?q={word}&limit=20", None


async def one(client: Http, load: Load, due: float, t0: float, samples: list[Sample]) -> None:
    kind, method, url, body = load.pick()
    headers: dict[str, str] = {}
    if method == "PATCH":
        # The need leaves the pool while patched, and comes back with its new ETag (a failed PATCH
        # leaves it out: its ETag is unknown then).
        need_id, etag = load.free.popitem()
        url, headers = f"/api/v1/needs/{need_id}", {"If-Match": etag}
        body = {"priority": load.rng.choice(["low", "medium", "high"]), "description": f"révision {due:.3f}"}
    status, ok = 0, False
    try:
        status, answer, data = await asyncio.wait_for(client.request(method, url, body, headers), 30)
        ok = 200 <= status < 300
        if ok and method in ("POST", "PATCH") and "etag" in answer:
            load.free[json.loads(data)["id"]] = answer["etag"]
        elif not ok:
            print(f"  {method} {url}: {status} {data[:200]!r}", file=sys.stderr)
    except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as exc:
        status = -1
        print(f"  {method} {url}: {type(exc).__name__} {exc}", file=sys.stderr)
    samples.append(Sample(due - t0, kind, (time.perf_counter() - due) * 1000, ok, status))


async def drive(base: str, token: str, load: Load, rate: float, seconds: float, cap: int) -> tuple[list[Sample], int]:
    """Open loop: request i is due at t0 + i / rate. Returns the samples and how many were skipped
    because `cap` requests were already in flight (the server had fallen far behind)."""
    samples: list[Sample] = []
    skipped = 0
    client = Http(base, token)
    try:
        tasks: set[asyncio.Task[None]] = set()
        t0 = time.perf_counter()
        n = int(seconds * rate)
        for i in range(n):
            due = t0 + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(tasks) >= cap:
                skipped += 1
                continue
            task = asyncio.create_task(one(client, load, due, t0, samples))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.wait(tasks)
    finally:
        client.close()
    return samples, skipped


async def seed_patch_pool(base: str, token: str, load: Load, n: int) -> None:
    """Needs the load will PATCH, with their ETags (read once, sequentially)."""
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for need_id in load.ids["needs"][:n]:
            r = await client.get(f"/api/v1/needs/{need_id}")
            r.raise_for_status()
            load.free[need_id] = r.headers["etag"]


# --- report ----------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(samples: list[Sample], seconds: float, rate: float, rss_windows: list[float]) -> None:
    windows: dict[int, list[Sample]] = defaultdict(list)
    for s in samples:
        windows[int(s.due // WINDOW_S)].append(s)
    print(f"\n{'window':>9} {'sent':>6} {'req/s':>6} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8} {'RSS MiB':>8}")
    for w in sorted(windows):
        rows = windows[w]
        span = min(WINDOW_S, seconds - w * WINDOW_S)
        lat = [s.latency_ms for s in rows]
        rss = f"{rss_windows[w]:8.1f}" if w < len(rss_windows) else ""
        print(
            f"{w * WINDOW_S:>4}-{w * WINDOW_S + span:<4.0f} {len(rows):6} {len(rows) / span:6.1f} "
            f"{sum(not s.ok for s in rows):6} {pct(lat, 50):8.1f} {pct(lat, 99):8.1f} {rss}"
        )
    print(f"\n{'kind':>8} {'count':>7} {'share':>6} {'errors':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in ("read", "write", "search"):
        rows = [s for s in samples if s.kind == kind]
        lat = [s.latency_ms for s in rows]
        print(
            f"{kind:>8} {len(rows):7} {len(rows) / max(1, len(samples)):6.0%} {sum(not s.ok for s in rows):6} "
            f"{pct(lat, 50):8.1f} {pct(lat, 99):8.1f}"
        )
    lat = [s.latency_ms for s in samples]
    errors = [s for s in samples if not s.ok]
    print(
        f"{'all':>8} {len(samples):7} {'':>6} {len(errors):6} {pct(lat, 50):8.1f} {pct(lat, 99):8.1f}"
        f"   (achieved {len(samples) / seconds:.1f} req/s of {rate:.0f} asked)"
    )
    if errors:
        by_status: dict[int, int] = defaultdict(int)
        for s in errors:
            by_status[s.status] += 1
        print("errors by status (-1 = no answer):", dict(by_status))


def check_log(log: Path) -> None:
    """The server's log under load: every line one JSON object, every access line with a request id."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    bad, access, with_id, levels = 0, 0, 0, defaultdict(int)
    problems: dict[str, int] = defaultdict(int)
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError:
            bad += 1
            continue
        levels[obj.get("level")] += 1
        if obj.get("level") in ("ERROR", "CRITICAL"):
            if obj.get("logger", "").startswith("uvicorn"):
                continue  # uvicorn's "Exception in ASGI application" repeats the app's "unhandled error"
            cause = [ln for ln in (obj.get("exc") or "").splitlines() if ln and not ln.startswith(("(Back", " "))]
            problems[f"{obj.get('message')}: {cause[-1] if cause else ''}"[:300]] += 1
        if obj.get("logger") == "jisr.access":
            access += 1
            with_id += bool(obj.get("request_id"))
    print(
        f"server log: {len(lines)} lines, {bad} not JSON, {access} access lines ({with_id} with a request id), "
        f"levels {dict(levels)}"
    )
    for problem, count in sorted(problems.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  {count} x {problem}")


# --- main ------------------------------------------------------------------------------------


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=300, help="seconds of measured load (default 300)")
    p.add_argument("--rate", type=float, default=200, help="requests per second, open loop (default 200)")
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    p.add_argument("--warmup", type=int, default=15, help="seconds of unmeasured load first (default 15)")
    p.add_argument("--max-in-flight", type=int, default=512, help="requests in flight before skipping (default 512)")
    p.add_argument("--collectivities", type=int, default=10_000)
    p.add_argument("--needs", type=int, default=30_000)
    p.add_argument("--server", default=DEFAULT_SERVER, help=f"PostgreSQL server URL (default {DEFAULT_SERVER})")
    args = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    with scratch_database(args.server) as url, tempfile.TemporaryDirectory(prefix="jisr-soak-") as tmp:
        env = {
            **os.environ,
            "JISR_ENV": "production",
            "JISR_LOG_FORMAT": "json",
            "JISR_DATABASE_URL": url,
            "JISR_SECRET_KEY": secrets.token_urlsafe(48),
            "JISR_VAR_DIR": tmp,
            "JISR_ADMIN_EMAIL": ADMIN_EMAIL,
            "JISR_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
        os.environ.update(env)  # jisr reads its settings from the environment, once
        migrate_and_fill(url, args.collectivities, args.needs)
        load = Load(sample_ids(2000))

        pool = get_settings().db_pool_size + get_settings().db_max_overflow
        max_conn = max_connections(url)
        print(
            f"connections: up to {args.workers} workers x {pool} (JISR_DB_POOL_SIZE + JISR_DB_MAX_OVERFLOW) = "
            f"{args.workers * pool}; PostgreSQL max_connections = {max_conn}"
            + ("  <- the pools can exhaust the server" if args.workers * pool >= max_conn - 3 else "")
        )
        server = start_server(args.workers, env, Path(tmp))
        try:
            token = get_token(server.base)
            asyncio.run(seed_patch_pool(server.base, token, load, 500))
            workers = server.workers()
            rss_idle = rss_mib(workers)
            print(
                f"load: open loop at {args.rate:.0f} req/s for {args.duration} s (+{args.warmup} s warm-up), "
                f"`jisr serve --workers {args.workers}` (pids {workers}), {os.cpu_count()} CPUs, "
                f"load average {os.getloadavg()[0]:.1f}"
            )
            if args.warmup:
                _, skipped = asyncio.run(drive(server.base, token, load, args.rate, args.warmup, args.max_in_flight))
            rss_start = rss_mib(workers)
            cpu_start = sum(_cpu_seconds(pid) or 0.0 for pid in workers)
            own = resource.getrusage(resource.RUSAGE_SELF)

            # RSS at the end of every window, sampled from a thread while the load runs.
            rss_windows: list[float] = []

            async def sample_rss() -> None:
                while True:
                    await asyncio.sleep(WINDOW_S)
                    rss_windows.append(rss_mib(workers))

            async def measured() -> tuple[list[Sample], int]:
                sampler = asyncio.create_task(sample_rss())
                try:
                    return await drive(server.base, token, load, args.rate, args.duration, args.max_in_flight)
                finally:
                    sampler.cancel()

            t = time.perf_counter()
            samples, skipped = asyncio.run(measured())
            wall = time.perf_counter() - t
            rss_end = rss_mib(workers)
            if len(rss_windows) < -(-args.duration // WINDOW_S):
                rss_windows.append(rss_end)  # the last window ends with the load
            app_cpu = sum(_cpu_seconds(pid) or 0.0 for pid in workers) - cpu_start
            own_end = resource.getrusage(resource.RUSAGE_SELF)
            gen_cpu = own_end.ru_utime + own_end.ru_stime - own.ru_utime - own.ru_stime

            report(samples, args.duration, args.rate, rss_windows)
            if skipped:
                print(f"skipped (over {args.max_in_flight} in flight): {skipped}")
            growth = rss_end / rss_start - 1
            print(
                f"RSS of the {len(workers)} workers: {rss_idle:.1f} MiB idle, {rss_start:.1f} MiB after the "
                f"warm-up, {rss_end:.1f} MiB at the end: {growth:+.1%} "
                f"({'met' if growth < 0.10 else 'MISSED'}: < 10 %)"
            )
            print(
                f"CPU: server workers {app_cpu / wall:.2f} cores, load generator {gen_cpu / wall:.2f} cores "
                f"({gen_cpu / max(1, len(samples)) * 1000:.2f} ms/request); load average {os.getloadavg()[0]:.1f}"
            )
            errors = sum(not s.ok for s in samples)
            print(f"errors: {errors} ({'met' if errors == 0 else 'MISSED'}: 0)")
        finally:
            stop_server(server)
            check_log(server.log)


if __name__ == "__main__":
    main()
