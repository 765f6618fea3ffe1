"""Answers of read-only lists, kept while PostgreSQL's snapshot stays the same.

A PostgreSQL snapshot (``pg_current_snapshot()``: the oldest running transaction, the next
transaction id, the ones in progress) changes whenever a transaction that wrote something commits
or a new one starts writing, whoever runs it (this app, `jisr worker`, an import, psql, another
host). Two statements that see the same snapshot see the same data. So an answer computed after the
snapshot was read can be given again to any request that reads the same snapshot later: no commit
happened in between, the database would answer the same. A reader only looks up the snapshot it has
just read, so an answer is never older than the snapshot its request saw.

The snapshot is read on an async connection of the event loop's own (``SnapshotReader``), shared by
the requests that arrive together: a hit costs no threadpool hop, no pooled connection, and under
load a fraction of a round trip. SQLite has no such snapshot: there every request reads the database.
"""

import asyncio
import logging
import threading
import weakref
from collections.abc import Awaitable, Callable, Hashable

import psycopg
from sqlalchemy import URL

log = logging.getLogger(__name__)

# Transaction ids name data only within one unbroken server history: a failover, a restored backup or
# a rebuilt server can reach the same snapshot again with other rows behind it. Each of these starts a
# postmaster, so its start time is part of the key. A standby's snapshot does not follow the primary's
# commits: there the cache is off (the database URL must name the primary itself, not a pooler that
# balances reads over standbys).
_QUERY = "SELECT pg_current_snapshot()::text, pg_postmaster_start_time()::text, pg_is_in_recovery()"
APPLICATION_NAME = "jisr list cache"  # in pg_stat_activity
# What an entry costs beyond its body's bytes: the dict slot, the key (a 16-byte digest) and two bytes
# objects' headers (~90 bytes by tracemalloc; rounded up), so that many tiny answers cannot grow the
# cache past its size.
ENTRY_OVERHEAD = 200
READ_TIMEOUT = 5.0  # seconds; a read takes well under a millisecond: past this the connection is deemed lost


class StandbyError(Exception):
    pass


class SnapshotReader:
    """``pg_current_snapshot()`` for the requests of one event loop, on one connection of its own.

    A request may use any snapshot read after it arrived. Requests arriving while a read is on its
    way wait for the next read, which serves them all: one round trip at a time, whatever the load.
    """

    def __init__(self, conninfo: str):
        self.conninfo = conninfo
        self._conn: psycopg.AsyncConnection | None = None
        self._last: asyncio.Task[str] | None = None  # the latest read, queued or running
        self._open: asyncio.Task[str] | None = None  # a read that has not sent its query yet: joinable

    async def current(self) -> str:
        if self._open is None:
            self._open = self._last = asyncio.ensure_future(self._read(self._last))
        return await asyncio.shield(self._open)

    async def _read(self, previous: "asyncio.Task[str] | None") -> str:
        if previous is not None:
            await asyncio.wait([previous])  # one query at a time on the connection
        me = asyncio.current_task()
        if self._open is me:
            self._open = None  # from here on, new arrivals wait for the next read
        try:
            if self._conn is None or self._conn.closed:
                self._conn = await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, application_name=APPLICATION_NAME
                )
            cursor = await self._conn.execute(_QUERY)
            row = await cursor.fetchone()
            assert row is not None
            snapshot, started, standby = row
            if standby:
                raise StandbyError("the database is a standby: its snapshots do not follow the primary")
            return f"{started} {snapshot}"
        except Exception:
            await self.close()
            raise
        finally:
            if self._last is me:
                self._last = None

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()


class SnapshotCache:
    """Bodies by key, all from one snapshot, at most ``max_bytes`` of them (oldest dropped first)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._snapshot: str | None = None
        self._bodies: dict[Hashable, bytes] = {}
        self._size = 0
        self._pending: dict[tuple[asyncio.AbstractEventLoop, str, Hashable], asyncio.Future[bytes]] = {}
        self._closing: set[asyncio.Future[None]] = set()  # connections being closed, referenced until done
        self._readers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SnapshotReader] = (
            weakref.WeakKeyDictionary()
        )

    async def snapshot(self, url: URL) -> str | None:
        """The database's snapshot now, or None when the cache is off or the snapshot cannot be read."""
        if self.max_bytes <= 0 or url.get_backend_name() != "postgresql":
            return None
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        loop = asyncio.get_running_loop()
        reader = self._readers.get(loop)
        if reader is None or reader.conninfo != conninfo:  # a new loop, or the app moved to another database
            if reader is not None:
                await reader.close()
            reader = self._readers[loop] = SnapshotReader(conninfo)
        try:
            current = f"{conninfo} {await asyncio.wait_for(reader.current(), READ_TIMEOUT)}"
        except Exception as exc:  # the request reads the database as it would without the cache
            log.warning("snapshot not read, list answered without the cache: %r", exc)
            with self._lock:  # whatever comes back may be another server: keep nothing from before
                self._snapshot, self._bodies, self._size = None, {}, 0
            if self._readers.get(loop) is reader:  # a new connection for the next requests
                del self._readers[loop]
                closing = asyncio.ensure_future(reader.close())
                self._closing.add(closing)
                closing.add_done_callback(self._closing.discard)
            return None
        with self._lock:
            if current != self._snapshot:  # something was committed: nothing kept is current any more
                self._snapshot, self._bodies, self._size = current, {}, 0
        return current

    async def close(self) -> None:
        """Close the current event loop's snapshot connection (at the app's shutdown)."""
        reader = self._readers.pop(asyncio.get_running_loop(), None)
        if reader is not None:
            await reader.close()

    async def answer(self, snapshot: str | None, key: Hashable, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        """The body kept for ``key`` in ``snapshot``, else ``compute()``'s, kept for the next requests.

        Requests that miss together (right after a commit, all clients at once) share one computation:
        it started after the first of them read the snapshot, and no commit happened before the last
        of them read the same one, so its answer is as fresh as each of them may expect.
        """
        body = self.get(snapshot, key)
        if body is not None:
            return body
        if snapshot is None:
            return await compute()
        job = (asyncio.get_running_loop(), snapshot, key)  # a future belongs to its event loop
        pending = self._pending.get(job)
        if pending is None:
            pending = self._pending[job] = asyncio.ensure_future(compute())

            def done(task: "asyncio.Future[bytes]") -> None:
                del self._pending[job]
                if not task.cancelled() and task.exception() is None:
                    self.put(snapshot, key, task.result())

            pending.add_done_callback(done)
        return await asyncio.shield(pending)

    def get(self, snapshot: str | None, key: Hashable) -> bytes | None:
        with self._lock:
            return self._bodies.get(key) if snapshot is not None and snapshot == self._snapshot else None

    def put(self, snapshot: str | None, key: Hashable, body: bytes) -> None:
        """Keep ``body``, computed after ``snapshot`` was read, unless a newer snapshot was seen since."""
        size = len(body) + ENTRY_OVERHEAD
        if snapshot is None or size > self.max_bytes:
            return
        with self._lock:
            if snapshot != self._snapshot or key in self._bodies:
                return
            while self._size + size > self.max_bytes:
                self._size -= len(self._bodies.pop(next(iter(self._bodies)))) + ENTRY_OVERHEAD
            self._bodies[key] = body
            self._size += size
