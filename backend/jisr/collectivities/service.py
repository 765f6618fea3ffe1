"""The directory of collectivities."""

import uuid
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session, select

from jisr.auth.service import Principal
from jisr.collectivities.geography import lebanon
from jisr.collectivities.models import (
    KINDS_BY_COUNTRY,
    Collectivity,
    CollectivityCreate,
    CollectivityPublic,
    Country,
)
from jisr.core.crud import get_or_404, save_changes
from jisr.core.errors import Conflict, Forbidden, Invalid
from jisr.core.extrefs import ExternalRef
from jisr.core.models import as_dict
from jisr.core.pagination import ListParams, page_of, paginate, search_clause
from jisr.core.text import search_blob
from jisr.tags import service as tags
from jisr.tags.models import Relation

RESOURCE = "collectivity"
TAG_FIELDS = {"expertise_tag_ids": Relation.expertise, "interest_tag_ids": Relation.interest}
MEMBER_LOCKED = {"country", "kind", "code", "parent_id", "external_refs"}
SORTABLE = {
    "name": Collectivity.name,
    "country": Collectivity.country,
    "kind": Collectivity.kind,
    "population": Collectivity.population,
    "governorate": Collectivity.governorate,
    "created_at": Collectivity.created_at,
    "updated_at": Collectivity.updated_at,
}


def _bad(field: str, message: str) -> Invalid:
    return Invalid(message, errors=[{"loc": ["body", field], "msg": message}])


def _check(session: Session, values: dict[str, Any], self_id: uuid.UUID | None) -> None:
    """Rules that span fields: kind by country, Lebanese geography, parent."""
    country, kind = Country(values["country"]), values["kind"]
    if kind not in KINDS_BY_COUNTRY[country]:
        allowed = ", ".join(sorted(KINDS_BY_COUNTRY[country]))
        raise _bad("kind", f"A {country.value} collectivity cannot be of kind '{kind}'; use one of {allowed}.")
    gov = values.get("governorate")
    geo = lebanon()
    if country == Country.LB:
        if gov is not None and gov not in geo:
            raise _bad("governorate", f"Unknown governorate '{gov}'; use one of {', '.join(geo)}.")
        district = values.get("district")
        if district is not None:
            names = {d.name_fr for g in ([geo[gov]] if gov else geo.values()) for d in g.districts}
            if district not in names:
                raise _bad("district", f"Unknown district '{district}' for this governorate.")
    elif gov is not None or values.get("district") is not None:
        raise _bad("governorate", "Governorate and district apply to Lebanese collectivities only.")
    for code in values.get("preferred_governorates") or []:
        if code not in geo:
            raise _bad("preferred_governorates", f"Unknown governorate '{code}'.")
    parent_id = values.get("parent_id")
    if parent_id is not None:
        parent = session.get(Collectivity, parent_id)
        if parent is None or parent.id == self_id or parent.country != country:
            raise _bad("parent_id", "The parent must be another existing collectivity of the same country.")


def _check_unique(session: Session, values: dict[str, Any], self_id: uuid.UUID | None) -> None:
    if values.get("code") is None:
        return
    other = session.exec(
        select(Collectivity).where(
            Collectivity.country == values["country"],
            Collectivity.kind == values["kind"],
            Collectivity.code == values["code"],
        )
    ).first()
    if other is not None and other.id != self_id:
        raise Conflict(f"{other.name} already has code {values['code']} ({values['country']}, {values['kind']}).")


def _search_text(c: Collectivity) -> str:
    return search_blob(c.name, c.name_ar, c.name_alt, c.code)


def create(session: Session, *, data: CollectivityCreate) -> Collectivity:
    values = data.model_dump()
    _check(session, values, None)
    _check_unique(session, values, None)
    links = {k: values.pop(k) for k in (*TAG_FIELDS, "external_refs")}
    obj = Collectivity(**values)
    obj.search_text = _search_text(obj)
    session.add(obj)
    session.flush()
    tags.store_links(session, RESOURCE, obj.id, links, TAG_FIELDS)
    return obj


def get(session: Session, id: uuid.UUID) -> Collectivity:
    return get_or_404(session, Collectivity, id, "collectivity")


def update(
    session: Session, obj: Collectivity, *, changes: dict[str, Any], actor: Principal, if_match: str | None
) -> Collectivity:
    if not actor.is_staff:
        locked = sorted(k for k in MEMBER_LOCKED & changes.keys() if changes[k] != getattr(obj, k, None))
        if locked:
            raise Forbidden(f"Only coordinators can change {', '.join(locked)}.")
    merged = {**as_dict(obj), **changes}
    _check(session, merged, obj.id)
    _check_unique(session, merged, obj.id)
    tags.store_links(session, RESOURCE, obj.id, changes, TAG_FIELDS)
    save_changes(session, obj, changes, if_match=if_match)
    obj.search_text = _search_text(obj)
    session.flush()
    return obj


def delete(session: Session, obj: Collectivity) -> None:
    tags.forget(session, RESOURCE, obj.id)
    session.delete(obj)
    session.flush()


# Filters use the table's Core columns: the list fast path then compiles no ORM state (the ORM
# `list_` accepts them as well).
_C = Collectivity.__table__.c  # type: ignore[attr-defined]


def _filtered(
    db: Session | Connection,
    stmt: Any,
    *,
    filters: dict[str, Any],
    tag: str | None,
    expertise: str | None,
    interest: str | None,
    external_ref: str | None,
    q: str | None,
    ids: list[uuid.UUID] | None = None,
) -> Any:
    if ids is not None:
        stmt = stmt.where(_C.id.in_(ids))
    for name, value in filters.items():
        if value is not None:
            stmt = stmt.where(_C[name] == value)
    for slug, relations in (
        (tag, [Relation.expertise, Relation.interest]),
        (expertise, [Relation.expertise]),
        (interest, [Relation.interest]),
    ):
        if slug:
            ids = tags.slug_with_descendants(db, slug)
            stmt = stmt.where(tags.tagged_with(RESOURCE, _C.id, ids, relations))
    if external_ref:
        source, _, value = external_ref.partition(":")
        refs = ExternalRef.__table__.c  # type: ignore[attr-defined]
        holder = select(refs.resource_id).where(
            refs.resource_type == RESOURCE, refs.source == source, refs.value == value
        )
        stmt = stmt.where(_C.id.in_(holder))
    if q:
        stmt = stmt.where(*search_clause(_C.search_text, q))
    return stmt


def list_(session: Session, *, params: ListParams, **criteria: Any) -> tuple[list[Collectivity], int]:
    """Collectivities as ORM rows (for other domains); criteria as ``page`` takes them."""
    stmt = _filtered(session, select(Collectivity), **criteria)
    return paginate(session, stmt, params, model=Collectivity, sortable=SORTABLE, default="name")


PUBLIC_FIELDS = list(CollectivityPublic.model_fields)
# The answer's columns: the table's public ones, then tag ids and references per row.
_COLUMNS = [c for c in _C if c.name in CollectivityPublic.model_fields] + tags.link_columns(RESOURCE, _C.id, TAG_FIELDS)


def page(conn: Connection, *, params: ListParams, **criteria: Any) -> tuple[list[dict[str, Any]], int]:
    """A page of ``GET /collectivities`` as CollectivityPublic dicts, and the total (``core.pagination.page_of``)."""
    return page_of(
        conn,
        _filtered(conn, select(_C.id), **criteria),
        params,
        model=Collectivity,
        sortable=SORTABLE,
        default="name",
        columns=_COLUMNS,
        fields=PUBLIC_FIELDS,
    )


def public(session: Session, rows: list[Collectivity]) -> list[CollectivityPublic]:
    return tags.present(session, rows, resource_type=RESOURCE, public=CollectivityPublic, tag_fields=TAG_FIELDS)
