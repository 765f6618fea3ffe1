"""Engine and sessions. Services flush; the route or command that owns the session commits."""

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Connection, Engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import DateTime, String, TypeDecorator
from sqlmodel import Session, SQLModel, create_engine

from jisr.core.config import get_settings
from jisr.core.http import request_id

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware (SQLite included)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_engine: Engine | None = None


def make_engine(url: str) -> Engine:
    settings = get_settings()
    # The pool is sized above the request threadpool (settings.request_threads, set at start-up) so that
    # no request waits on a connection held by another thread; if one does all the same, it waits
    # db_pool_timeout_seconds at most, then gets 503 (core.errors).
    pool = {
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_max_overflow,
        "pool_timeout": settings.db_pool_timeout_seconds,
    }
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if ":memory:" in url or path == "":
            pool = {}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pool)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_engine(url, pool_pre_ping=True, **pool)
    event.listen(engine, "checkout", _request_limits)
    return engine


def _request_limits(dbapi_conn: Any, record: Any, _: Any) -> None:
    """PostgreSQL: a connection taken for an API request waits for a lock and runs a statement only so
    long (settings); one taken outside a request (the worker's jobs, commands) has no such limit. The
    setting is changed only when the connection's use changes, and committed at once (a rollback of the
    request's transaction must not undo it)."""
    settings = get_settings()
    wanted = (settings.db_lock_timeout_ms, settings.db_statement_timeout_ms) if request_id() else (0, 0)
    if record.info.get("jisr_limits") == wanted:
        return
    with dbapi_conn.cursor() as cur:
        cur.execute(f"SET lock_timeout = {int(wanted[0])}")
        cur.execute(f"SET statement_timeout = {int(wanted[1])}")
    dbapi_conn.commit()
    record.info["jisr_limits"] = wanted


def get_engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = make_engine(get_settings().sqlalchemy_url)
    return _engine


def reset_engine() -> None:
    global _engine
    if _engine is not None:
        _engine.dispose()
    _engine = None


def new_session() -> Session:
    return Session(get_engine(), expire_on_commit=False)


@contextmanager
def read_connection() -> Iterator[Connection]:
    """A connection for a read-only request, in autocommit: no BEGIN and no ROLLBACK round trips.

    Each statement sees its own snapshot, so a request that must be consistent puts what it needs
    in one statement (``core.pagination.page_of`` does: page, total and per-row links together).
    """
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def get_session() -> Iterator[Session]:
    with new_session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def insert_for(session: Session, table: Any) -> Any:
    """A dialect-aware INSERT that supports ``on_conflict_do_nothing/update``."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# --- aggregates that differ by dialect -----------------------------------------------------------
# PostgreSQL returns arrays and JSON as Python values; SQLite returns JSON text (and stores UUIDs as
# 32 hex digits). These two give the same Python values on both.


class _UuidList(TypeDecorator[list[uuid.UUID]]):
    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> list[uuid.UUID]:
        if value is None:
            return []
        if isinstance(value, str):
            value = json.loads(value)
        return [v if isinstance(v, uuid.UUID) else uuid.UUID(v) for v in value]


class _JsonObject(TypeDecorator[dict[str, Any]]):
    impl = String
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Any) -> dict[str, Any]:
        if value is None:
            return {}
        return json.loads(value) if isinstance(value, str) else dict(value)


class uuid_list(FunctionElement[list[uuid.UUID]]):  # noqa: N801 (an SQL function)
    """Aggregate: the column's UUIDs as a list in ascending order ([] for no row).

    The order is explicit on PostgreSQL; SQLite's ``json_group_array`` takes the rows in the order it
    reads them, which for ``tag_links`` is its (resource_id, relation, tag_id) index: the same."""

    type = _UuidList()
    inherit_cache = True


class json_object(FunctionElement[dict[str, Any]]):  # noqa: N801 (an SQL function)
    """Aggregate: {key: value} over the rows ({} for no row)."""

    type = _JsonObject()
    inherit_cache = True


@compiles(uuid_list, "postgresql")
def _uuid_list_pg(element: Any, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"array_agg({column} ORDER BY {column})"


@compiles(uuid_list)
def _uuid_list_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"json_group_array({compiler.process(element.clauses, **kw)})"


@compiles(json_object, "postgresql")
def _json_object_pg(element: Any, compiler: Any, **kw: Any) -> str:
    return f"json_object_agg({compiler.process(element.clauses, **kw)})"


@compiles(json_object)
def _json_object_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"json_group_object({compiler.process(element.clauses, **kw)})"
