"""A real Jisr server in a child process, on the suite's database, for tests that kill it or load it.

The child inherits the suite's environment (database URL, secret key), so tokens made by the `api`
fixture are valid there. It runs in a process group of its own: ``kill`` reaches uvicorn's workers too.
"""

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

JISR = Path(sys.executable).with_name("jisr")
UVICORN = Path(sys.executable).with_name("uvicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(
        self, log: Path, workers: int = 1, serve: tuple[str, ...] | None = None, env: dict[str, str] | None = None
    ):
        """``serve``: run ``jisr serve`` with these extra arguments (always so for one process)."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        env = {**os.environ, "JISR_LOG_LEVEL": "INFO", "JISR_LOG_FORMAT": "text", **(env or {})}
        if workers == 1 or serve is not None:  # the command operators run
            args = [str(JISR), "serve", "--port", str(self.port), "--workers", str(workers), *(serve or ())]
        else:  # uvicorn itself, to give workers time to start on a busy machine (its health check waits 5 s)
            args = [str(UVICORN), "jisr.main:app", "--port", str(self.port), "--workers", str(workers)]
            args += ["--timeout-worker-healthcheck", "60", "--no-access-log"]
        with log.open("ab") as out:
            self.process = subprocess.Popen(args, env=env, stdout=out, stderr=out, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise

    def _wait_ready(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown code runs."""
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        # uvicorn's workers are in the same group; make sure none outlives the test
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@contextmanager
def live_server(
    log: Path, workers: int = 1, serve: tuple[str, ...] | None = None, env: dict[str, str] | None = None
) -> Iterator[Server]:
    server = Server(log, workers, serve, env)
    try:
        yield server
    finally:
        server.kill()


def writer_active(database_url: str) -> bool:
    """Whether some other connection holds uncommitted writes (a transaction in progress)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(url.database), timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:  # database is locked: a writer is at work
            return True
        finally:
            conn.close()
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            n = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
                )
            ).scalar_one()
        return bool(n)
    finally:
        engine.dispose()


def wait_until(predicate: object, what: str, timeout: float = 30.0, interval: float = 0.005) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(interval)
    raise AssertionError(f"gave up waiting: {what}")
