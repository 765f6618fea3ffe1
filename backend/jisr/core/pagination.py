"""List parameters and the page envelope shared by every list endpoint."""

import asyncio
import re
import uuid
import weakref
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Query
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import Connection, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select
from starlette.responses import Response

from jisr.core.config import get_settings
from jisr.core.db import get_engine, read_connection
from jisr.core.errors import Invalid
from jisr.core.models import AwareUTC
from jisr.core.snapshots import SnapshotCache
from jisr.core.text import fold

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


MAX_OFFSET = 1_000_000_000  # far beyond any table here, and within every database's integer range


class ListParams(BaseModel):
    limit: int = 50
    offset: int = 0
    sort: str | None = None
    updated_since: datetime | None = None


def sort_pattern(fields: Iterable[str]) -> str:
    """The `sort` values a list takes: its fields, comma-separated, each with an optional `-`/`+` (a `+` left
    unencoded in a URL arrives as a space)."""
    one = "[-+ ]?(?:" + "|".join(re.escape(f) for f in sorted(fields)) + ")"
    return f"^{one}(?:,{one})*$"


def list_params_sorted_by(fields: Iterable[str]) -> Callable[..., Any]:
    """The list parameters of a list sortable by `fields`, as a dependency.

    The `sort` parameter is published with the exact pattern of what the list takes (validation and the schema say
    the same thing, so clients and schemathesis can tell a valid `sort` from an invalid one), and checked by it."""
    names = sorted(fields)
    pattern = sort_pattern(names)
    sort_doc = "Comma-separated fields; prefix with `-` for descending. Fields: " + ", ".join(f"`{n}`" for n in names)

    async def list_params(
        limit: Annotated[int, Query(ge=0, le=500, description="Page size (at most 500).")] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
        sort: Annotated[str | None, Query(max_length=200, pattern=pattern, description=sort_doc + ".")] = None,
        updated_since: Annotated[
            AwareUTC | None,
            Query(description="Only rows changed at or after this instant (ISO 8601 with an offset: `Z` or `+03:00`)."),
        ] = None,
    ) -> ListParams:
        return ListParams(limit=limit, offset=offset, sort=sort, updated_since=updated_since)

    list_params.sort_fields = tuple(names)  # type: ignore[attr-defined]  # read by the exports of these lists
    return list_params


def sorted_list_params(fields: Iterable[str]) -> Any:
    """``Annotated[ListParams, Depends(...)]`` for a route whose list is sortable by ``fields``."""
    return Annotated[ListParams, Depends(list_params_sorted_by(fields))]


def paginate(
    session: Session,
    stmt: Any,
    params: ListParams,
    *,
    model: Any,
    sortable: dict[str, Any],
    default: str,
) -> tuple[list[Any], int]:
    """Apply ``updated_since``, ``sort``, ``limit`` and ``offset``; return rows and total."""
    if params.updated_since is not None:
        stmt = stmt.where(model.updated_at >= params.updated_since)
    order = [column.desc() if desc else column.asc() for column, desc in _sort_keys(params, sortable, default, model)]
    rows = list(session.exec(stmt.order_by(*order).limit(params.limit).offset(params.offset)).all())
    if 0 < len(rows) < params.limit or (not rows and params.offset == 0 and params.limit > 0):
        return rows, params.offset + len(rows)  # a short page is the last one: its end is the total
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    return rows, int(total)


def _sort_keys(params: ListParams, sortable: dict[str, Any], default: str, model: Any) -> list[tuple[Any, bool]]:
    """(column, descending) pairs of ``sort``, then the id so that pages never overlap."""
    keys = []
    for raw in (params.sort or default).split(","):
        key = raw.strip()
        name = key.lstrip("-+")
        if name not in sortable:
            allowed = ", ".join(sorted(sortable))
            raise Invalid(
                f"Cannot sort by '{name}'. Sortable fields: {allowed}.",
                errors=[{"loc": ["query", "sort"], "msg": f"unknown sort field '{name}'"}],
            )
        keys.append((sortable[name], key.startswith("-")))
    keys.append((model.id, False))
    return keys


# --- the fast path of list endpoints ---------------------------------------------------------
# A list request used to cost ~8 database round trips and 5 threadpool hops, and to build ORM
# objects that pydantic validated twice. Read-only lists now run as: an async route (its
# dependencies are async too), one threadpool hop (`json_answer`) on an autocommit connection,
# the caller's check, then one statement for the page, its total and each row's links
# (`page_of`), serialized straight to JSON. The route keeps its `response_model` for the schema.


def page_of(
    conn: Connection,
    stmt: Any,
    params: ListParams,
    *,
    model: Any,
    sortable: dict[str, Any],
    default: str,
    columns: list[Any],
    fields: list[str],
) -> tuple[list[dict[str, Any]], int]:
    """The page as dicts of ``fields`` (in that order) and the total, in one statement.

    ``stmt`` selects ``model``'s table with the list's filters (its columns do not matter);
    ``columns`` are those of the answer: the table's, and per-row subqueries correlated to it (tag
    ids, external references) that the database computes for the page's rows only. The statement:
    the ids of the page and the total (an uncorrelated scalar subquery, planned on its own and run
    once, in the same snapshot as the page), joined back to the table for the columns. Only an
    empty page (offset past the end, ``limit=0``) needs a second statement for its total.
    """
    table = model.__table__  # Core columns throughout: no ORM compile state
    if params.updated_since is not None:
        stmt = stmt.where(table.c.updated_at >= params.updated_since)
    order = [
        table.c[column.key].desc() if desc else table.c[column.key].asc()
        for column, desc in _sort_keys(params, sortable, default, model)
    ]
    count = stmt.with_only_columns(func.count()).select_from(table).order_by(None)  # one table, its filters
    rows: Any = []
    if params.limit:
        total = count.correlate(None).scalar_subquery().label("total_")
        page = stmt.with_only_columns(table.c.id, total).order_by(*order)
        page = page.limit(params.limit).offset(params.offset).subquery("page")
        whole = sa_select(*columns, page.c.total_).join_from(table, page, table.c.id == page.c.id)
        rows = conn.execute(whole.order_by(*order)).mappings().all()
    if rows:
        n = int(rows[0]["total_"])
    elif params.offset == 0 and params.limit > 0:
        n = 0
    else:
        n = int(conn.execute(count).scalar_one())
    return [{name: row[name] for name in fields} for row in rows], n


def envelope(items: list[dict[str, Any]], total: int, params: ListParams) -> dict[str, Any]:
    """The page envelope of the contract, for answers written by ``json_answer``."""
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset}


_SLOTS: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter]" = weakref.WeakKeyDictionary()


def _db_slots() -> anyio.CapacityLimiter:
    """At most ``db_pool_size`` fast-path requests of this process at the database at once.

    Each holds one pooled connection: more would open overflow connections that the pool closes
    again on return (measured: 320 new PostgreSQL sessions in 5 s at 64 clients), while 2 cores
    gain nothing from more than a few concurrent queries. The others wait in the event loop.
    """
    loop = asyncio.get_running_loop()
    if loop not in _SLOTS:
        _SLOTS[loop] = anyio.CapacityLimiter(get_settings().db_pool_size)
    return _SLOTS[loop]


_ANSWERS: SnapshotCache | None = None


def answers() -> SnapshotCache:
    """This process's cache of list answers (``core.snapshots``), sized by ``list_cache_bytes``."""
    global _ANSWERS
    if _ANSWERS is None:
        _ANSWERS = SnapshotCache(get_settings().list_cache_bytes)
    return _ANSWERS


async def json_answer(work: Callable[[Connection], Any], *, key: Hashable | None = None) -> Response:
    """Run ``work`` on a read connection in one threadpool hop and answer its result as JSON.

    The result is serialized as it is, by pydantic's serializer (values come out as the response
    model would write them: byte for byte, checked on the benchmark's data): the rows come from the
    database, already valid, and building ORM objects, validating them into the public model, then
    having FastAPI validate and serialize that again was most of a list request's Python work.

    With a ``key`` (the caller's token and everything the answer depends on), the answer is kept
    and given again while PostgreSQL's snapshot does not change (``core.snapshots``): then ``work``
    does not run at all, so whatever it checks in the database (the caller's account) must be part
    of the snapshot too, and what it checks without it (the token's signature and expiry) must be
    checked before.
    """
    cache = answers()

    def run() -> bytes:
        with read_connection() as conn:
            return to_json(work(conn))

    async def compute() -> bytes:
        return await anyio.to_thread.run_sync(run, limiter=_db_slots())

    snapshot = await cache.snapshot(get_engine().url) if key is not None else None
    body = await cache.answer(snapshot, key, compute)
    return Response(body, media_type="application/json")


SearchQ = Annotated[
    str | None,
    Query(max_length=200, description="Text search; ignores case, accents and Arabic letter variants."),
]

Ids = Annotated[
    list[uuid.UUID] | None,
    Query(
        max_length=100,
        description="Only these ids (repeat the parameter: `?id=…&id=…`, at most 100), to read several known "
        "records in one call.",
    ),
]


def search_clause(column: Any, q: str) -> list[Any]:
    """Every folded word of ``q`` must occur in ``column`` (a folded search text)."""
    return [column.contains(word, autoescape=True) for word in fold(q).split()]
