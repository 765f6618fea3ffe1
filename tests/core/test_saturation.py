"""A saturated database answers 503 + Retry-After (problem+json, logged) within bounded waits, never a
request hanging for 30 s nor a 500 (issue 13): a lock held by another connection (PostgreSQL's per-request
lock_timeout), a pool with no free connection (pool timeout); the worker's connections have no limits."""

import logging
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from jisr.core.db import get_engine, new_session
from tests.conftest import TEST_URL, Api, Env

pg_only = pytest.mark.skipif(not TEST_URL.startswith("postgresql"), reason="PostgreSQL's lock_timeout")


def assert_busy(r: object, caplog: pytest.LogCaptureFixture) -> None:
    assert r.status_code == 503, r.text  # type: ignore[attr-defined]
    assert r.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert r.headers["retry-after"] == "7"  # type: ignore[attr-defined]
    assert r.json()["status"] == 503  # type: ignore[attr-defined]
    assert any("database saturated" in rec.getMessage() for rec in caplog.records)


@pg_only
def test_a_lock_held_elsewhere_gets_503_after_the_lock_timeout(
    api: Api, env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    saida = api.own_collectivity()
    env.set(db_lock_timeout_ms="300", retry_after_seconds="7")
    other = create_engine(TEST_URL, poolclass=NullPool)
    caplog.set_level(logging.WARNING, logger="jisr")
    try:
        with other.connect() as conn:
            conn.execute(text("LOCK TABLE needs IN ACCESS EXCLUSIVE MODE"))  # held until this block ends
            start = time.monotonic()
            r = api.post("/api/v1/needs", json={"collectivity_id": saida["id"], "title": "Blocked need"})
            waited = time.monotonic() - start
            conn.rollback()
    finally:
        other.dispose()
    assert_busy(r, caplog)
    assert waited < 20, waited  # bounded (the old answer came after the 30 s pool/lock waits)
    with new_session() as session:  # nothing half written
        assert session.execute(text("SELECT count(*) FROM needs WHERE title = 'Blocked need'")).scalar_one() == 0
        # outside a request (the worker, commands): no lock or statement limit
        assert session.execute(text("SHOW lock_timeout")).scalar_one() == "0"
        assert session.execute(text("SHOW statement_timeout")).scalar_one() == "0"
    ok = api.post("/api/v1/needs", json={"collectivity_id": saida["id"], "title": "Free need"})
    assert ok.status_code == 201, ok.text


def test_no_free_connection_gets_503_after_the_pool_timeout(
    api: Api, env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    saida = api.own_collectivity()
    env.set(db_pool_size="1", db_max_overflow="0", db_pool_timeout_seconds="0.3", retry_after_seconds="7")
    caplog.set_level(logging.WARNING, logger="jisr")
    with get_engine().connect():  # the pool's only connection, taken
        r = api.post("/api/v1/needs", json={"collectivity_id": saida["id"], "title": "Starved need"})
    assert_busy(r, caplog)
    ok = api.post("/api/v1/needs", json={"collectivity_id": saida["id"], "title": "Fed need"})
    assert ok.status_code == 201, ok.text
