"""Theme tree: reference seed, lookups by slug, and tag links of other resources."""

import csv
import uuid
from collections import defaultdict
from importlib.resources import files
from typing import Any

from sqlalchemy import Connection, delete, exists, func
from sqlmodel import Session, col, select

from jisr.core.crud import get_or_404, save_changes
from jisr.core.db import insert_for, json_object, uuid_list
from jisr.core.errors import Conflict, Invalid, NotFound
from jisr.core.extrefs import ExternalRef, delete_refs, refs_for, set_refs
from jisr.core.models import as_dict
from jisr.core.pagination import ListParams, paginate
from jisr.core.text import fold
from jisr.tags.models import Relation, TagLink, ThematicTag, ThematicTagCreate

SORTABLE = {
    "position": ThematicTag.position,
    "slug": ThematicTag.slug,
    "label_fr": ThematicTag.label_fr,
    "updated_at": ThematicTag.updated_at,
}


def seed_reference_tags(session: Session) -> int:
    """Insert the tags of the reference CSV that are missing (by slug). Returns how many."""
    with files("jisr.data").joinpath("thematic-tags.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    existing = {t.slug: t.id for t in session.exec(select(ThematicTag))}
    before = len(existing)
    for position, row in enumerate(rows):
        if row["slug"] in existing:
            continue
        parent = existing.get(row["parent_slug"]) if row["parent_slug"] else None
        values = {
            "id": uuid.uuid4(),
            "slug": row["slug"],
            "parent_id": parent,
            "label_fr": row["label_fr"],
            "label_en": row["label_en"],
            "label_ar": row["label_ar"],
            "call_2024_theme": row["call_2024_theme"] or None,
            "position": position,
        }
        # Several workers may start at once: let the first insert win.
        session.execute(insert_for(session, ThematicTag).values(**values).on_conflict_do_nothing())
        existing[row["slug"]] = session.exec(select(ThematicTag.id).where(ThematicTag.slug == row["slug"])).one()
    session.flush()
    return len(existing) - before


def list_tags(session: Session, *, params: ListParams, parent: str | None, q: str | None) -> tuple[list[Any], int]:
    stmt = select(ThematicTag)
    if parent is not None:
        stmt = stmt.where(ThematicTag.parent_id == by_slug(session, parent).id)
    if q:
        needle = fold(q)
        rows = [
            t
            for t in session.exec(select(ThematicTag))
            if any(needle in fold(v) for v in (t.slug, t.label_fr, t.label_en, t.label_ar))
        ]
        stmt = stmt.where(col(ThematicTag.id).in_([t.id for t in rows]))
    return paginate(
        session,
        stmt,
        params,
        model=ThematicTag,
        default="position",
        sortable=SORTABLE,
    )


def get(session: Session, id: uuid.UUID) -> ThematicTag:
    return get_or_404(session, ThematicTag, id, "tag")


def by_slug(session: Session, slug: str) -> ThematicTag:
    tag = session.exec(select(ThematicTag).where(ThematicTag.slug == slug)).first()
    if tag is None:
        raise NotFound(f"No tag with slug '{slug}'. See /api/v1/tags for the list.")
    return tag


def slug_with_descendants(session: Session | Connection, slug: str) -> list[uuid.UUID]:
    """The tag named by ``slug`` and every tag below it: a filter on a theme includes its sub-themes.

    One recursive query (list endpoints call this on every request); UNION, not UNION ALL, so even a
    cycle written behind the API's back ends.
    """
    tree = select(ThematicTag.id).where(ThematicTag.slug == slug).cte("subtree", recursive=True)
    tree = tree.union(select(ThematicTag.id).where(ThematicTag.parent_id == tree.c.id))
    ids = list(session.execute(select(tree.c.id)).scalars())  # a Session or a Connection
    if not ids:
        raise NotFound(f"No tag with slug '{slug}'. See /api/v1/tags for the list.")
    return ids


def _check_parent(session: Session, tag_id: uuid.UUID | None, parent_id: uuid.UUID | None) -> None:
    seen = {tag_id}
    while parent_id is not None:
        if parent_id in seen:
            raise Invalid(
                "A tag cannot be its own ancestor.",
                errors=[{"loc": ["body", "parent_id"], "msg": "would create a cycle"}],
            )
        seen.add(parent_id)
        parent = session.get(ThematicTag, parent_id)
        if parent is None:
            raise Invalid(
                "The parent tag does not exist.", errors=[{"loc": ["body", "parent_id"], "msg": "unknown tag"}]
            )
        parent_id = parent.parent_id


def create(session: Session, *, data: ThematicTagCreate) -> ThematicTag:
    if session.exec(select(ThematicTag).where(ThematicTag.slug == data.slug)).first():
        raise Conflict(f"A tag with slug '{data.slug}' already exists.")
    _check_parent(session, None, data.parent_id)
    tag = ThematicTag.model_validate(data)
    session.add(tag)
    session.flush()
    return tag


def update(session: Session, tag: ThematicTag, *, changes: dict[str, Any], if_match: str | None) -> ThematicTag:
    slug = changes.get("slug", tag.slug)
    if slug != tag.slug and session.exec(select(ThematicTag).where(ThematicTag.slug == slug)).first():
        raise Conflict(f"A tag with slug '{changes['slug']}' already exists.")
    if "parent_id" in changes:
        _check_parent(session, tag.id, changes["parent_id"])
    return save_changes(session, tag, changes, if_match=if_match)


def delete_tag(session: Session, tag: ThematicTag) -> None:
    children = session.exec(select(func.count()).select_from(ThematicTag).where(ThematicTag.parent_id == tag.id)).one()
    if children:
        raise Conflict("This tag has sub-themes: move or delete them first.")
    session.delete(tag)
    session.flush()


# --- links -------------------------------------------------------------------------------


def check_tag_ids(session: Session, ids: list[uuid.UUID], field: str) -> None:
    if not ids:
        return
    known = set(session.exec(select(ThematicTag.id).where(col(ThematicTag.id).in_(ids))))
    unknown = [str(i) for i in ids if i not in known]
    if unknown:
        raise Invalid(
            f"Unknown tag ids in {field}: {', '.join(unknown)}.",
            errors=[{"loc": ["body", field], "msg": f"unknown tag {u}"} for u in unknown],
        )


def set_links(
    session: Session,
    resource_type: str,
    resource_id: uuid.UUID,
    relation: Relation,
    tag_ids: list[uuid.UUID],
    field: str,
) -> None:
    unique = list(dict.fromkeys(tag_ids))
    check_tag_ids(session, unique, field)
    session.execute(delete(TagLink).where(col(TagLink.resource_id) == resource_id, col(TagLink.relation) == relation))
    for tag_id in unique:
        session.add(TagLink(resource_type=resource_type, resource_id=resource_id, relation=relation, tag_id=tag_id))
    session.flush()


def links_for(
    session: Session, resource_type: str, ids: list[uuid.UUID]
) -> dict[tuple[uuid.UUID, str], list[uuid.UUID]]:
    """Tag ids per (resource id, relation), for a page of resources in one query."""
    out: dict[tuple[uuid.UUID, str], list[uuid.UUID]] = defaultdict(list)
    if ids:
        rows = session.exec(
            select(TagLink.resource_id, TagLink.relation, TagLink.tag_id)
            .where(TagLink.resource_type == resource_type, col(TagLink.resource_id).in_(ids))
            .order_by(col(TagLink.tag_id))  # the order of lists (link_columns): one answer whatever the plan
        )
        for resource_id, relation, tag_id in rows:
            out[(resource_id, relation)].append(tag_id)
    return out


def delete_links(session: Session, resource_id: uuid.UUID) -> None:
    session.execute(delete(TagLink).where(col(TagLink.resource_id) == resource_id))


def tagged_with(resource_type: str, id_column: Any, tag_ids: list[uuid.UUID], relations: list[Relation]) -> Any:
    """A WHERE clause: the row carries one of ``tag_ids`` in one of ``relations``."""
    links = TagLink.__table__.c  # type: ignore[attr-defined]  # Core columns: cheaper to build and compile
    return exists().where(
        links.tag_id.in_(tag_ids),
        links.resource_type == resource_type,
        links.relation.in_([r.value for r in relations]),
        links.resource_id == id_column,
    )


def present(
    session: Session, rows: list[Any], *, resource_type: str, public: type[Any], tag_fields: dict[str, Relation]
) -> list[Any]:
    """Rows as their public model, with tag ids and external references (two queries per page)."""
    ids = [r.id for r in rows]
    links = links_for(session, resource_type, ids)
    refs = refs_for(session, resource_type, ids)
    return [
        public.model_validate(
            {
                **as_dict(row),
                **{name: links.get((row.id, rel.value), []) for name, rel in tag_fields.items()},
                "external_refs": refs.get(row.id, {}),
            }
        )
        for row in rows
    ]


def link_columns(resource_type: str, id_column: Any, tag_fields: dict[str, Relation]) -> list[Any]:
    """What ``present`` adds, as per-row columns of a list's one statement (``core.pagination.page_of``)."""
    links, refs = TagLink.__table__.c, ExternalRef.__table__.c  # type: ignore[attr-defined]
    columns = [
        select(uuid_list(links.tag_id))
        .where(links.resource_id == id_column, links.relation == rel.value, links.resource_type == resource_type)
        .scalar_subquery()
        .label(name)
        for name, rel in tag_fields.items()
    ]
    by_source = select(json_object(refs.source, refs.value)).where(
        refs.resource_id == id_column, refs.resource_type == resource_type
    )
    return [*columns, by_source.scalar_subquery().label("external_refs")]


def store_links(
    session: Session,
    resource_type: str,
    resource_id: uuid.UUID,
    values: dict[str, Any],
    tag_fields: dict[str, Relation],
) -> None:
    """Write the tag and external-reference fields present in ``values``, removing them from it."""
    for name, rel in tag_fields.items():
        if name in values:
            set_links(session, resource_type, resource_id, rel, values.pop(name) or [], name)
    if "external_refs" in values:
        set_refs(session, resource_type, resource_id, values.pop("external_refs") or {})


def forget(session: Session, resource_type: str, resource_id: uuid.UUID) -> None:
    """Remove a deleted resource's tag links and external references."""
    delete_links(session, resource_id)
    delete_refs(session, resource_type, resource_id)
