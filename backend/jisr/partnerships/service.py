"""The history of cooperation between French and Lebanese collectivities."""

import uuid
from typing import Any

from sqlmodel import Session, or_, select

from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity, Country
from jisr.core.crud import get_or_404, save_changes
from jisr.core.errors import Conflict, Invalid
from jisr.core.models import as_dict
from jisr.core.notes import NoteKey, NoteParams, note
from jisr.core.pagination import ListParams, paginate, search_clause
from jisr.core.text import search_blob
from jisr.partnerships.models import Partnership, PartnershipCreate, PartnershipPublic
from jisr.tags import service as tags
from jisr.tags.models import Relation

RESOURCE = "partnership"
TAG_FIELDS = {"tag_ids": Relation.tag}
SORTABLE = {
    "status": Partnership.status,
    "started_year": Partnership.started_year,
    "last_activity_year": Partnership.last_activity_year,
    "created_at": Partnership.created_at,
    "updated_at": Partnership.updated_at,
}


def _check(session: Session, values: dict[str, Any], self_id: uuid.UUID | None) -> tuple[Collectivity, Collectivity]:
    french = collectivities.get(session, values["french_collectivity_id"])
    lebanese = collectivities.get(session, values["lebanese_collectivity_id"])
    if french.country != Country.FR:
        raise Invalid(
            f"{french.name} is not a French collectivity.",
            errors=[{"loc": ["body", "french_collectivity_id"], "msg": "must be a French collectivity"}],
        )
    if lebanese.country != Country.LB:
        raise Invalid(
            f"{lebanese.name} is not a Lebanese collectivity.",
            errors=[{"loc": ["body", "lebanese_collectivity_id"], "msg": "must be a Lebanese collectivity"}],
        )
    start, end = values.get("started_year"), values.get("ended_year")
    if start and end and end < start:
        raise Invalid(
            "The partnership cannot end before it starts.",
            errors=[{"loc": ["body", "ended_year"], "msg": "earlier than started_year"}],
        )
    atlas = values.get("atlas_id")
    if atlas:
        other = session.exec(select(Partnership).where(Partnership.atlas_id == atlas)).first()
        if other is not None and other.id != self_id:
            raise Conflict(f"Another partnership already has Atlas id {atlas}.")
    return french, lebanese


def _search_text(p: Partnership, french: Collectivity, lebanese: Collectivity) -> str:
    return search_blob(p.description, p.atlas_id, french.search_text, lebanese.search_text)


def create(
    session: Session, *, data: PartnershipCreate, note_key: NoteKey | None = None, note_params: NoteParams | None = None
) -> Partnership:
    """``note_key`` and ``note_params``: how the server made it (core.notes), said in the reader's language."""
    values = data.model_dump()
    french, lebanese = _check(session, values, None)
    links = {k: values.pop(k) for k in (*TAG_FIELDS, "external_refs")}
    obj = Partnership(**values, note_key=note_key, note_params=note_params)
    obj.search_text = _search_text(obj, french, lebanese)
    session.add(obj)
    session.flush()
    tags.store_links(session, RESOURCE, obj.id, links, TAG_FIELDS)
    return obj


def get(session: Session, id: uuid.UUID) -> Partnership:
    return get_or_404(session, Partnership, id, "partnership")


def update(session: Session, obj: Partnership, *, changes: dict[str, Any], if_match: str | None) -> Partnership:
    french, lebanese = _check(session, {**as_dict(obj), **changes}, obj.id)
    tags.store_links(session, RESOURCE, obj.id, changes, TAG_FIELDS)
    save_changes(session, obj, changes, if_match=if_match)
    obj.search_text = _search_text(obj, french, lebanese)
    session.flush()
    return obj


def delete(session: Session, obj: Partnership) -> None:
    tags.forget(session, RESOURCE, obj.id)
    session.delete(obj)
    session.flush()


def list_(
    session: Session,
    *,
    params: ListParams,
    filters: dict[str, Any],
    collectivity_id: uuid.UUID | None,
    tag: str | None,
    q: str | None,
) -> tuple[list[Partnership], int]:
    stmt = select(Partnership)
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Partnership, name) == value)
    if collectivity_id is not None:
        stmt = stmt.where(
            or_(
                Partnership.french_collectivity_id == collectivity_id,
                Partnership.lebanese_collectivity_id == collectivity_id,
            )
        )
    if tag:
        stmt = stmt.where(
            tags.tagged_with(RESOURCE, Partnership.id, tags.slug_with_descendants(session, tag), [Relation.tag])
        )
    if q:
        stmt = stmt.where(*search_clause(Partnership.search_text, q))
    return paginate(session, stmt, params, model=Partnership, sortable=SORTABLE, default="-updated_at")


def public(session: Session, rows: list[Partnership]) -> list[PartnershipPublic]:
    out: list[PartnershipPublic] = tags.present(
        session, rows, resource_type=RESOURCE, public=PartnershipPublic, tag_fields=TAG_FIELDS
    )
    for row, item in zip(rows, out, strict=True):
        item.system_note = note(row.note_key, row.note_params)
    return out
