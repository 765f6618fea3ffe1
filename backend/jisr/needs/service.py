"""Needs of collectivities."""

import uuid
from typing import Any

from sqlmodel import Session, col, select

from jisr.auth.deps import ensure_own_collectivity
from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity
from jisr.core.crud import get_or_404, save_changes
from jisr.core.pagination import ListParams, paginate, search_clause
from jisr.core.text import search_blob
from jisr.needs.models import Need, NeedCreate, NeedPublic
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


def list_(
    session: Session,
    *,
    params: ListParams,
    filters: dict[str, Any],
    tag: str | None,
    country: str | None,
    governorate: str | None,
    q: str | None,
) -> tuple[list[Need], int]:
    stmt = select(Need)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Need, name) == value)
    if tag:
        stmt = stmt.where(tags.tagged_with(RESOURCE, Need.id, tags.slug_with_descendants(session, tag), [Relation.tag]))
    if country or governorate:
        owners = select(Collectivity.id)
        if country:
            owners = owners.where(Collectivity.country == country)
        if governorate:
            owners = owners.where(Collectivity.governorate == governorate)
        stmt = stmt.where(col(Need.collectivity_id).in_(owners))
    if q:
        stmt = stmt.where(*search_clause(Need.search_text, q))
    return paginate(session, stmt, params, model=Need, sortable=SORTABLE, default="-updated_at")


def public(session: Session, rows: list[Need]) -> list[NeedPublic]:
    return tags.present(session, rows, resource_type=RESOURCE, public=NeedPublic, tag_fields=TAG_FIELDS)
