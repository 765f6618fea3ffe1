"""List parameters and the page envelope shared by every list endpoint."""

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import Session, select

from jisr.core.errors import Invalid
from jisr.core.models import AwareUTC
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


def list_params(
    limit: Annotated[int, Query(ge=0, le=500, description="Page size (at most 500).")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip.")] = 0,
    sort: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Comma-separated fields; prefix with `-` for descending: `-updated_at,name`.",
        ),
    ] = None,
    updated_since: Annotated[
        AwareUTC | None,
        Query(description="Only rows changed at or after this instant (ISO 8601 with an offset: `Z` or `+03:00`)."),
    ] = None,
) -> ListParams:
    return ListParams(limit=limit, offset=offset, sort=sort, updated_since=updated_since)


ListParamsDep = Annotated[ListParams, Depends(list_params)]


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
    order = []
    for raw in (params.sort or default).split(","):
        key = raw.strip()
        desc = key.startswith("-")
        name = key.lstrip("-+")
        if name not in sortable:
            allowed = ", ".join(sorted(sortable))
            raise Invalid(
                f"Cannot sort by '{name}'. Sortable fields: {allowed}.",
                errors=[{"loc": ["query", "sort"], "msg": f"unknown sort field '{name}'"}],
            )
        column = sortable[name]
        order.append(column.desc() if desc else column.asc())
    order.append(model.id.asc())
    rows = list(session.exec(stmt.order_by(*order).limit(params.limit).offset(params.offset)).all())
    if 0 < len(rows) < params.limit or (not rows and params.offset == 0 and params.limit > 0):
        return rows, params.offset + len(rows)  # a short page is the last one: its end is the total
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    return rows, int(total)


SearchQ = Annotated[
    str | None,
    Query(max_length=200, description="Text search; ignores case, accents and Arabic letter variants."),
]


def search_clause(column: Any, q: str) -> list[Any]:
    """Every folded word of ``q`` must occur in ``column`` (a folded search text)."""
    return [column.contains(word, autoescape=True) for word in fold(q).split()]
