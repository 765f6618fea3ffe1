"""Needs of collectivities."""

import uuid
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session, select

from jisr.auth.deps import ensure_own_collectivity
from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity
from jisr.core.crud import get_or_404, save_changes
from jisr.core.pagination import ListParams, page_of, paginate, search_clause
from jisr.core.text import search_blob
from jisr.needs.models import Need, NeedCreate, NeedPublic
from jisr.needs.permissions import ensure_may_set_status
from jisr.tags import service as tags
from jisr.tags.models import Relation
from jisr.webhooks import service as webhooks
from jisr.webhooks.models import WebhookEvent

RESOURCE = "need"
TAG_FIELDS = {"tag_ids": Relation.tag}
SORTABLE = {
    "title": Need.title,
    "priority": Need.priority,
    "status": Need.status,
    "created_at": Need.created_at,
    "updated_at": Need.updated_at,
}


def _search_text(n: Need) -> str:
    return search_blob(n.title, n.description)


def create(session: Session, *, data: NeedCreate, actor: Principal) -> Need:
    collectivities.get(session, data.collectivity_id)
    ensure_own_collectivity(actor, data.collectivity_id)
    ensure_may_set_status(actor, current=None, to=data.status)
    values = data.model_dump()
    links = {k: values.pop(k) for k in (*TAG_FIELDS, "external_refs")}
    obj = Need(**values)
    obj.search_text = _search_text(obj)
    session.add(obj)
    session.flush()
    tags.store_links(session, RESOURCE, obj.id, links, TAG_FIELDS)
    webhooks.emit(session, WebhookEvent.need_created, public(session, [obj])[0])
    return obj


def get(session: Session, id: uuid.UUID) -> Need:
    return get_or_404(session, Need, id, "need")


def update(session: Session, obj: Need, *, changes: dict[str, Any], actor: Principal, if_match: str | None) -> Need:
    ensure_own_collectivity(actor, obj.collectivity_id)
    if "collectivity_id" in changes:
        collectivities.get(session, changes["collectivity_id"])
        ensure_own_collectivity(actor, changes["collectivity_id"])
    if changes.get("status") is not None:
        ensure_may_set_status(actor, current=obj.status, to=changes["status"])
    tags.store_links(session, RESOURCE, obj.id, changes, TAG_FIELDS)
    save_changes(session, obj, changes, if_match=if_match)
    obj.search_text = _search_text(obj)
    session.flush()
    webhooks.emit(session, WebhookEvent.need_updated, public(session, [obj])[0])
    return obj


def delete(session: Session, obj: Need, *, actor: Principal) -> None:
    ensure_own_collectivity(actor, obj.collectivity_id)
    tags.forget(session, RESOURCE, obj.id)
    session.delete(obj)
    session.flush()


# Filters use the table's Core columns: the list fast path then compiles no ORM state (the ORM
# `list_` accepts them as well).
_C = Need.__table__.c  # type: ignore[attr-defined]


def _filtered(
    db: Session | Connection,
    stmt: Any,
    *,
    filters: dict[str, Any],
    tag: str | None,
    country: str | None,
    governorate: str | None,
    q: str | None,
    ids: list[uuid.UUID] | None = None,
) -> Any:
    if ids is not None:
        stmt = stmt.where(_C.id.in_(ids))
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(_C[name] == value)
    if tag:
        ids = tags.slug_with_descendants(db, tag)
        stmt = stmt.where(tags.tagged_with(RESOURCE, _C.id, ids, [Relation.tag]))
    if country or governorate:
        places = Collectivity.__table__.c  # type: ignore[attr-defined]
        owners = select(places.id)
        if country:
            owners = owners.where(places.country == country)
        if governorate:
            owners = owners.where(places.governorate == governorate)
        stmt = stmt.where(_C.collectivity_id.in_(owners))
    if q:
        stmt = stmt.where(*search_clause(_C.search_text, q))
    return stmt


def ids_matching(db: Session | Connection, *, tag: str | None = None, governorate: str | None = None) -> Any:
    """A SELECT of the ids of needs on theme ``tag`` (its sub-themes too) whose owner is in
    ``governorate``, for other domains' filters (``col(x.need_id).in_(...)``)."""
    return _filtered(db, select(_C.id), filters={}, tag=tag, country=None, governorate=governorate, q=None)


def list_(session: Session, *, params: ListParams, **criteria: Any) -> tuple[list[Need], int]:
    """Needs as ORM rows (for other domains); criteria as ``page`` takes them."""
    stmt = _filtered(session, select(Need), **criteria)
    return paginate(session, stmt, params, model=Need, sortable=SORTABLE, default="-updated_at")


PUBLIC_FIELDS = list(NeedPublic.model_fields)
# The answer's columns: the table's public ones, then tag ids and references per row.
_COLUMNS = [c for c in _C if c.name in NeedPublic.model_fields] + tags.link_columns(RESOURCE, _C.id, TAG_FIELDS)


def page(conn: Connection, *, params: ListParams, **criteria: Any) -> tuple[list[dict[str, Any]], int]:
    """A page of ``GET /needs`` as NeedPublic dicts, and the total (``core.pagination.page_of``)."""
    return page_of(
        conn,
        _filtered(conn, select(_C.id), **criteria),
        params,
        model=Need,
        sortable=SORTABLE,
        default="-updated_at",
        columns=_COLUMNS,
        fields=PUBLIC_FIELDS,
    )


def public(session: Session, rows: list[Need]) -> list[NeedPublic]:
    return tags.present(session, rows, resource_type=RESOURCE, public=NeedPublic, tag_fields=TAG_FIELDS)
