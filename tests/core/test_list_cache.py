"""The list answers kept while PostgreSQL's snapshot is unchanged (jisr.core.snapshots).

A cached answer is observed through the app's connection pool: the statements the pool runs are
counted, and a list answered from the cache runs none. On SQLite the cache is off: every list reads
the database, and the same tests check that.
"""

import asyncio
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, event, text, update
from sqlalchemy.engine import make_url

from jisr.core import security
from jisr.core.db import get_engine, utcnow
from jisr.core.snapshots import APPLICATION_NAME, ENTRY_OVERHEAD, SnapshotCache, SnapshotReader
from jisr.needs.models import Need
from tests.conftest import TEST_URL, Api

POSTGRES = TEST_URL.startswith("postgresql")
NEEDS = Need.__table__  # type: ignore[attr-defined]


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """The statements the app's pool runs from now on."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def _titles(api: Api, url: str, role: str = "admin") -> list[str]:
    r = api.get(url, role)
    assert r.status_code == 200, r.text
    return [item.get("title") or item["name"] for item in r.json()["items"]]


def _a_repeat_ran_no_statement(api: Api, url: str, statements: list[str]) -> bool:
    """Whether asking ``url`` again ran no statement on the pool, in one of 20 tries: a commit anywhere
    in the PostgreSQL cluster (another database's tests, autovacuum) may come between two requests."""
    for _ in range(20):
        first = api.get(url).json()
        statements.clear()
        assert api.get(url).json() == first
        if not statements:
            return True
    return False


def test_a_repeated_list_reads_the_database_only_when_something_changed(api: Api, statements: list[str]) -> None:
    place = api.collectivity()
    api.need(place["id"], title="Eau potable")
    url = "/api/v1/needs?limit=20"
    if POSTGRES:
        assert _a_repeat_ran_no_statement(api, url, statements), "answered from the cache"
    else:
        assert not _a_repeat_ran_no_statement(api, url, statements), "SQLite: every list reads the database"

    api.need(place["id"], title="Déchets")  # a commit: the next list sees it
    statements.clear()
    assert sorted(_titles(api, url)) == ["Déchets", "Eau potable"]
    assert statements, "a list after a write reads the database"


def test_a_write_from_outside_the_app_is_seen_at_once(api: Api) -> None:
    place = api.collectivity()
    need = api.need(place["id"], title="Eau potable")
    url = f"/api/v1/needs?collectivity_id={place['id']}"
    assert _titles(api, url) == ["Eau potable"]
    outside = create_engine(TEST_URL)  # another client of the database: psql, a worker, another host
    with outside.begin() as conn:
        conn.execute(update(NEEDS).where(NEEDS.c.id == uuid.UUID(need["id"])).values(title="Assainissement"))
    outside.dispose()
    assert _titles(api, url) == ["Assainissement"]


def test_each_token_has_its_own_answers_and_a_closed_account_gets_401(api: Api) -> None:
    api.collectivity(name="Saïda")
    url = "/api/v1/collectivities?q=saida"
    assert _titles(api, url, "viewer") == ["Saïda"]
    assert _titles(api, url, "coordinator") == ["Saïda"]
    viewer = api.get("/api/v1/users?role=viewer").json()["items"][0]
    assert api.patch(f"/api/v1/users/{viewer['id']}", json={"is_active": False}).status_code == 200
    r = api.get(url, "viewer")
    assert r.status_code == 401, "a cached answer is not given to a token whose account was closed"


def test_a_token_that_expired_after_its_answer_was_kept_gets_401(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    api.collectivity(name="Saïda")
    url = "/api/v1/collectivities?q=saida"
    assert _titles(api, url, "viewer") == ["Saïda"]
    later = utcnow() + timedelta(days=2)
    monkeypatch.setattr(security, "utcnow", lambda: later)
    r = api.get(url, "viewer")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"


def test_the_cache_drops_the_oldest_answers_beyond_its_size() -> None:
    cache = SnapshotCache(max_bytes=2 * (4 + ENTRY_OVERHEAD) + 2)  # room for two 4-byte answers
    cache._snapshot = "s1"
    for key, body in (("a", b"1234"), ("b", b"5678"), ("c", b"90ab")):
        cache.put("s1", key, body)
    assert [cache.get("s1", k) for k in "abc"] == [None, b"5678", b"90ab"]
    cache.put("s1", "big", b"x" * cache.max_bytes)  # larger than the whole cache: not kept, nothing dropped
    assert cache.get("s1", "big") is None and cache.get("s1", "b") == b"5678"
    cache.put("s0", "d", b"1")  # computed from a snapshot that is no longer the latest: not kept
    assert cache.get("s1", "d") is None and cache.get("s0", "d") is None


def test_many_tiny_answers_are_counted_with_their_keys() -> None:
    cache = SnapshotCache(max_bytes=100 * ENTRY_OVERHEAD)
    cache._snapshot = "s1"
    for i in range(10_000):  # e.g. one viewer sending distinct q= while nothing is written
        cache.put("s1", i, b"{}")
    assert sum(cache.get("s1", i) is not None for i in range(10_000)) < 100


@pytest.mark.skipif(not POSTGRES, reason="pg_current_snapshot() is PostgreSQL's; SQLite runs without the cache")
def test_every_snapshot_read_comes_after_its_request_and_reads_are_shared() -> None:
    """Requests arriving together share reads, and each gets a snapshot that shows every commit made
    before it asked."""
    conninfo = get_engine().url.set(drivername="postgresql").render_as_string(hide_password=False)
    writer = create_engine(TEST_URL, isolation_level="AUTOCOMMIT")

    async def scenario() -> tuple[list[tuple[int, str]], int]:
        reader = SnapshotReader(conninfo)
        try:

            async def ask(i: int) -> tuple[int, str]:
                await asyncio.sleep(0.001 * (i % 7))
                with writer.connect() as conn:  # a commit that must be visible to this request
                    xid = conn.execute(text("SELECT txid_current()")).scalar_one()
                return xid, await reader.current()

            answers = await asyncio.gather(*(ask(i) for i in range(60)))
            return answers, len({snapshot for _, snapshot in answers})
        finally:
            await reader.close()

    answers, distinct = asyncio.run(scenario())
    with writer.connect() as conn:  # a failover or a rebuilt server starts another postmaster
        started = conn.execute(text("SELECT pg_postmaster_start_time()::text")).scalar_one()
    writer.dispose()
    assert all(snapshot.startswith(f"{started} ") for _, snapshot in answers)
    for xid, snapshot in answers:
        xmin, xmax, running = snapshot.split()[-1].split(":")  # after the server's start time
        assert int(xmax) > xid and str(xid) not in running.split(","), (xid, snapshot)
    assert distinct < len(answers)


def test_requests_that_miss_together_share_one_computation() -> None:
    cache = SnapshotCache(max_bytes=1000)
    calls: list[str] = []

    async def scenario() -> list[bytes]:
        release = asyncio.Event()
        cache._snapshot = "s1"

        async def compute() -> bytes:
            calls.append("page")
            await release.wait()
            return b'{"items": []}'

        waiting = [asyncio.ensure_future(cache.answer("s1", "needs", compute)) for _ in range(5)]
        await asyncio.sleep(0)
        release.set()
        first = await asyncio.gather(*waiting)
        return [*first, await cache.answer("s1", "needs", compute)]

    assert asyncio.run(scenario()) == [b'{"items": []}'] * 6
    assert calls == ["page"], "one computation for the five requests, none for the one after"


def test_a_database_that_cannot_be_read_turns_the_cache_off_and_empties_it() -> None:
    """When the snapshot cannot be read, what comes back may be another server (a failover, a restored
    backup): nothing kept from before may be given again."""
    cache = SnapshotCache(max_bytes=10_000)
    cache._snapshot = "before"
    cache.put("before", "needs", b"[]")
    gone = make_url(TEST_URL).set(drivername="postgresql+psycopg", database=f"gone_{uuid.uuid4().hex[:8]}")
    assert asyncio.run(cache.snapshot(gone)) is None
    assert cache.get("before", "needs") is None


@pytest.mark.skipif(not POSTGRES, reason="pg_current_snapshot() is PostgreSQL's; SQLite runs without the cache")
def test_lists_go_on_when_the_snapshot_connection_is_cut(api: Api) -> None:
    place = api.collectivity()
    api.need(place["id"], title="Eau potable")
    url = "/api/v1/needs?limit=5"
    assert _titles(api, url) == ["Eau potable"]
    with get_engine().connect() as conn:
        cut = conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": APPLICATION_NAME},
        ).all()
    assert cut, "the app reads its snapshots on a connection of its own"
    assert _titles(api, url) == ["Eau potable"]  # answered from the database
    api.need(place["id"], title="Déchets")
    assert sorted(_titles(api, url)) == ["Déchets", "Eau potable"]  # and the cache is back, exact
