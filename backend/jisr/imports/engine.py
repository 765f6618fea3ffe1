"""The import engine: rows in, set-based upserts out.

Rows are handled in batches. For each batch: a few queries resolve tags, collectivity references,
external references and natural keys; each row is merged with the record it matches, validated
by the domain's model and rules, and compared; then one INSERT … ON CONFLICT (id) DO UPDATE writes
the rows that are new or really changed (version and updated_at bump for those only), one DELETE +
one INSERT replace their tag links, and the same for external references. Unchanged rows are not
written at all.

Only the columns a file has are written: a missing column leaves the field alone on update (and
takes its default on create); an empty cell clears it. Tags given in a column replace the record's
tags of that kind; external references given are set, others kept.
"""

import json
import re
import typing
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ValidationError
from sqlalchemy import JSON, Boolean, ColumnElement, any_, bindparam, delete, func, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlmodel import Session

from jisr.collectivities import service as collectivities_service
from jisr.collectivities.models import Collectivity, CollectivityBase, Country
from jisr.contacts.models import Contact, ContactBase
from jisr.core.db import insert_for, utcnow
from jisr.core.errors import AppError
from jisr.core.extrefs import ExternalRef
from jisr.core.models import Entity
from jisr.core.text import fold, search_blob
from jisr.events import service as events_service
from jisr.events.models import Event, EventBase, EventRegistration
from jisr.imports import columns as C
from jisr.imports import messages as M
from jisr.imports.models import MAX_ERRORS, ImportIssue
from jisr.imports.parsing import RawRow, blank
from jisr.needs.models import Need, NeedBase
from jisr.partnerships.models import Partnership, PartnershipBase
from jisr.tags.models import Relation, TagLink, ThematicTag

BATCH = 1000
ANALYZE_AFTER = 2000
_KEY_FIELDS = ("code", "atlas_id", "email", "title", "full_name", "name")
_REF_VALUE = re.compile(r"^([a-z][a-z0-9_-]{0,39}):(.+)$")
_SOURCE = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


def table_of(model: Any) -> Any:
    """The Core table of a table model (typed loosely: SQLModel hides it from type checkers)."""
    return model.__table__


class _OneOf(ColumnElement[bool]):
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``: one parameter, however many values
    (psycopg spends real time turning thousands of placeholders into a query)."""

    inherit_cache = False
    type = Boolean()

    def __init__(self, column: Any, values: Iterable[Any]):
        self.column = column
        self.values = list(values)


@compiles(_OneOf)
def _one_of_default(element: _OneOf, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column.in_(element.values), **kw))


@compiles(_OneOf, "postgresql")
def _one_of_pg(element: _OneOf, compiler: Any, **kw: Any) -> str:
    array = bindparam(None, element.values, type_=postgresql.ARRAY(element.column.type))
    return str(compiler.process(element.column == any_(array), **kw))


def one_of(column: Any, values: Iterable[Any]) -> Any:
    return _OneOf(column, values)


# --- rows --------------------------------------------------------------------------------


@dataclass
class Item:
    row: int
    values: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, Any] = field(default_factory=dict)  # field -> raw cell, or a list of ids when trusted
    refs: dict[str, str] = field(default_factory=dict)
    crefs: dict[str, dict[str, Any]] = field(default_factory=dict)  # model field -> {part: value}
    key_id: uuid.UUID | None = None
    errors: list[ImportIssue] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # field -> the file's column header
    lang: str = "fr"  # the language of the file's headers: the language of its errors

    def error(self, field_name: str, message: str | M.Problem) -> None:
        """An error of this row: a sentence, or (better) a keyed ``Problem`` said in the file's language."""
        if isinstance(message, M.Problem):
            text = M.render(self.lang, message.code, message.params)
            issue = ImportIssue(row=self.row, field=field_name, message=text, code=message.code, params=message.params)
        else:
            issue = ImportIssue(row=self.row, field=field_name, message=message)
        self.errors.append(issue)


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    processed: int = 0
    error_count: int = 0
    errors: list[ImportIssue] = field(default_factory=list)
    changed_ids: list[tuple[str, uuid.UUID]] = field(default_factory=list)  # ("created"|"updated", id)

    def add_errors(self, issues: list[ImportIssue]) -> None:
        self.error_count += len(issues)
        room = MAX_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(issues[:room])


# --- kinds -------------------------------------------------------------------------------


@dataclass
class Ctx:
    """Facts loaded once per batch for checks and search texts."""

    collectivities: dict[uuid.UUID, Any] = field(default_factory=dict)  # id -> row (id, country, search_text…)


class Spec:
    name: str
    model: type[Entity]
    base: type[BaseModel]
    resource: str
    tag_fields: dict[str, Relation] = {}
    crefs: list[C.CollectivityRef] = []
    required: tuple[str, ...] = ()
    has_refs = True

    def natural_key(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        raise NotImplementedError

    def find_natural(self, session: Session, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
        raise NotImplementedError

    def collectivity_ids(self, merged: dict[str, Any]) -> list[uuid.UUID]:
        return [merged[r.field] for r in self.crefs if merged.get(r.field)]

    def check(self, session: Session, merged: dict[str, Any], self_id: uuid.UUID, ctx: Ctx) -> list[tuple[str, str]]:
        return []

    def search_text(self, merged: dict[str, Any], ctx: Ctx) -> str:
        raise NotImplementedError


def _group_ids(pairs: Iterable[tuple[tuple[Any, ...], uuid.UUID]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
    out: dict[tuple[Any, ...], list[uuid.UUID]] = defaultdict(list)
    for key, id_ in pairs:
        if id_ not in out[key]:
            out[key].append(id_)
    return out


class CollectivitySpec(Spec):
    name, model, base, resource = "collectivities", Collectivity, CollectivityBase, "collectivity"
    tag_fields = collectivities_service.TAG_FIELDS
    crefs = [C.COLLECTIVITY_PARENT]
    required = ("country", "kind", "name")

    def natural_key(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        if not values.get("country") or not values.get("kind"):
            return None
        if values.get("code"):
            return ("code", str(values["country"]), str(values["kind"]), values["code"])
        if values.get("name"):
            geo = values.get("governorate") or values.get("departement") or ""
            return ("name", str(values["country"]), str(values["kind"]), fold(values["name"]), geo)
        return None

    def find_natural(self, session: Session, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
        t = table_of(Collectivity)
        pairs: list[tuple[tuple[Any, ...], uuid.UUID]] = []
        codes: dict[tuple[str, str], set[str]] = defaultdict(set)
        for k in keys:
            if k[0] == "code":
                codes[(k[1], k[2])].add(k[3])
        for (country, kind), group in codes.items():  # the unique index (country, kind, code) serves this
            stmt = select(t.c.id, t.c.country, t.c.kind, t.c.code).where(
                t.c.country == country, t.c.kind == kind, one_of(t.c.code, group)
            )
            for r in session.execute(stmt).all():
                pairs.append((("code", r.country, r.kind, r.code), r.id))
        named = [k for k in keys if k[0] == "name"]
        if named:
            countries = {k[1] for k in named}
            stmt = select(t.c.id, t.c.country, t.c.kind, t.c.name, t.c.governorate, t.c.departement).where(
                t.c.code.is_(None), one_of(t.c.country, countries)
            )
            for r in session.execute(stmt).all():
                geo = r.governorate or r.departement or ""
                pairs.append((("name", r.country, r.kind, fold(r.name), geo), r.id))
        return _group_ids(pairs)

    def check(self, session: Session, merged: dict[str, Any], self_id: uuid.UUID, ctx: Ctx) -> list[tuple[str, str]]:
        try:
            collectivities_service._check(session, {**merged, "parent_id": None}, self_id)
        except AppError as exc:
            loc = (exc.errors or [{"loc": ["kind"]}])[0]["loc"]
            return [(str(loc[-1]), exc.detail or exc.title)]
        parent = merged.get("parent_id")
        if parent is not None:
            info = ctx.collectivities.get(parent)
            if info is None or parent == self_id or info.country != str(merged["country"]):
                return [("parent", "The parent must be another existing collectivity of the same country.")]
        return []

    def search_text(self, merged: dict[str, Any], ctx: Ctx) -> str:
        return search_blob(merged["name"], merged.get("name_ar"), merged.get("name_alt") or [], merged.get("code"))


class NeedSpec(Spec):
    name, model, base, resource = "needs", Need, NeedBase, "need"
    tag_fields = {"tag_ids": Relation.tag}
    crefs = [C.NEED_COLLECTIVITY]
    required = ("collectivity_id", "title")

    def natural_key(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        if not values.get("collectivity_id") or not values.get("title"):
            return None
        return (values["collectivity_id"], str(values.get("direction") or "request"), fold(values["title"]))

    def find_natural(self, session: Session, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
        t = table_of(Need)
        owners = {k[0] for k in keys}
        rows = session.execute(
            select(t.c.id, t.c.collectivity_id, t.c.direction, t.c.title).where(one_of(t.c.collectivity_id, owners))
        )
        return _group_ids(((r.collectivity_id, r.direction, fold(r.title)), r.id) for r in rows)

    def search_text(self, merged: dict[str, Any], ctx: Ctx) -> str:
        return search_blob(merged["title"], merged.get("description"))


class PartnershipSpec(Spec):
    name, model, base, resource = "partnerships", Partnership, PartnershipBase, "partnership"
    tag_fields = {"tag_ids": Relation.tag}
    crefs = [C.FRENCH_SIDE, C.LEBANESE_SIDE]
    required = ("french_collectivity_id", "lebanese_collectivity_id")

    def natural_key(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        if values.get("atlas_id"):
            return ("atlas", values["atlas_id"])
        if values.get("french_collectivity_id") and values.get("lebanese_collectivity_id"):
            return ("pair", values["french_collectivity_id"], values["lebanese_collectivity_id"])
        return None

    def find_natural(self, session: Session, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
        t = table_of(Partnership)
        atlas = {k[1] for k in keys if k[0] == "atlas"}
        french = {k[1] for k in keys if k[0] == "pair"}
        conds = []
        if atlas:
            conds.append(one_of(t.c.atlas_id, atlas))
        if french:
            conds.append(one_of(t.c.french_collectivity_id, french))
        pairs: list[tuple[tuple[Any, ...], uuid.UUID]] = []
        if conds:
            stmt = select(t.c.id, t.c.atlas_id, t.c.french_collectivity_id, t.c.lebanese_collectivity_id)
            for r in session.execute(stmt.where(or_(*conds))).all():
                if r.atlas_id:
                    pairs.append((("atlas", r.atlas_id), r.id))
                pairs.append((("pair", r.french_collectivity_id, r.lebanese_collectivity_id), r.id))
        return _group_ids(pairs)

    def check(self, session: Session, merged: dict[str, Any], self_id: uuid.UUID, ctx: Ctx) -> list[tuple[str, str]]:
        issues = []
        for ref, country in ((C.FRENCH_SIDE, Country.FR), (C.LEBANESE_SIDE, Country.LB)):
            info = ctx.collectivities.get(merged[ref.field])
            if info is not None and info.country != country.value:
                side = "French" if country == Country.FR else "Lebanese"
                issues.append((ref.prefix, f"{info.name} is not a {side} collectivity."))
        start, end = merged.get("started_year"), merged.get("ended_year")
        if start and end and end < start:
            issues.append(("ended_year", "The partnership cannot end before it starts."))
        return issues

    def search_text(self, merged: dict[str, Any], ctx: Ctx) -> str:
        fr = ctx.collectivities.get(merged["french_collectivity_id"])
        lb = ctx.collectivities.get(merged["lebanese_collectivity_id"])
        return search_blob(
            merged.get("description"),
            merged.get("atlas_id"),
            fr.search_text if fr else None,
            lb.search_text if lb else None,
        )


class ContactSpec(Spec):
    name, model, base, resource = "contacts", Contact, ContactBase, "contact"
    crefs = [C.CONTACT_COLLECTIVITY]
    required = ("collectivity_id", "full_name")
    has_refs = False

    def natural_key(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        if not values.get("collectivity_id"):
            return None
        if values.get("email"):
            return ("email", values["collectivity_id"], str(values["email"]).lower())
        if values.get("full_name"):
            return ("name", values["collectivity_id"], fold(values["full_name"]))
        return None

    def find_natural(self, session: Session, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
        t = table_of(Contact)
        owners = {k[1] for k in keys}
        pairs: list[tuple[tuple[Any, ...], uuid.UUID]] = []
        stmt = select(t.c.id, t.c.collectivity_id, t.c.email, t.c.full_name).where(one_of(t.c.collectivity_id, owners))
        for r in session.execute(stmt).all():
            if r.email:
                pairs.append((("email", r.collectivity_id, r.email.lower()), r.id))
            pairs.append((("name", r.collectivity_id, fold(r.full_name)), r.id))
        return _group_ids(pairs)

    def check(self, session: Session, merged: dict[str, Any], self_id: uuid.UUID, ctx: Ctx) -> list[tuple[str, str]]:
        if merged.get("consent_at") is None:  # GDPR: nobody is listed without consent (docs/decisions.md)
            return [("consent_at", "A consent date is required: when the person agreed to be listed.")]
        return []

    def search_text(self, merged: dict[str, Any], ctx: Ctx) -> str:
        return search_blob(merged["full_name"], merged.get("email"), merged.get("role"))


def _instant(value: datetime, zone: str) -> datetime | None:
    """An aware time in UTC; a naive one is the wall time in ``zone`` (None when the clocks skip it).
    The rule of the events service (``events.service.to_utc``), without its HTTP error."""
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    instant = value.replace(tzinfo=tz).astimezone(UTC)
    return instant if instant.astimezone(tz).replace(tzinfo=None) == value else None


class EventSpec(Spec):
    """Events have no external references: a row is the event of the same kind, folded title and start.

    The start of a row without an offset is a wall time in the row's ``timezone``, or, when the row
    gives none, in the time zone of each candidate event (a file of Paris times updates Paris events).
    """

    name, model, base, resource = "events", Event, EventBase, "event"
    required = ("kind", "title", "starts_at", "ends_at")
    has_refs = False

    def natural_key(self, values: dict[str, Any]) -> tuple[Any, ...] | None:
        start = values.get("starts_at")
        if not values.get("kind") or not values.get("title") or not isinstance(start, datetime):
            return None
        return (str(values["kind"]), fold(values["title"]), start, values.get("timezone") or None)

    def find_natural(self, session: Session, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
        t = table_of(Event)
        # Naive starts may be in any zone (UTC-12 … UTC+14): look a day around them, then compare exactly.
        bounds = [k[2].astimezone(UTC).replace(tzinfo=None) if k[2].tzinfo else k[2] for k in keys]
        margin = timedelta(hours=15)
        lo, hi = (min(bounds) - margin).replace(tzinfo=UTC), (max(bounds) + margin).replace(tzinfo=UTC)
        by_title: dict[tuple[str, str], list[tuple[Any, ...]]] = defaultdict(list)
        for k in keys:
            by_title[(k[0], k[1])].append(k)
        stmt = select(t.c.id, t.c.kind, t.c.title, t.c.starts_at, t.c.timezone).where(
            one_of(t.c.kind, {k[0] for k in keys}), t.c.starts_at >= lo, t.c.starts_at <= hi
        )
        pairs: list[tuple[tuple[Any, ...], uuid.UUID]] = []
        for r in session.execute(stmt).all():
            for k in by_title.get((r.kind, fold(r.title)), []):
                if _instant(k[2], k[3] or r.timezone) == r.starts_at:
                    pairs.append((k, r.id))
        return _group_ids(pairs)

    def check(self, session: Session, merged: dict[str, Any], self_id: uuid.UUID, ctx: Ctx) -> list[tuple[str, str]]:
        """Times to UTC by the event's time zone (in place: the row is compared and written in UTC)."""
        problems: list[tuple[str, str]] = []
        zone = merged["timezone"]
        for name in ("starts_at", "ends_at"):
            value = merged[name]
            instant = _instant(value, zone)
            if instant is None:
                skipped = f"{value:%Y-%m-%d %H:%M} does not exist in {zone}"
                problems.append((name, f"{skipped}: the clocks skip it when summer time starts."))
            merged[name] = instant
        if problems:
            return problems
        if merged["ends_at"] <= merged["starts_at"]:
            return [("ends_at", "The event must end after it starts.")]
        if merged.get("capacity") is not None:
            r = table_of(EventRegistration)
            stmt = select(func.count()).where(r.c.event_id == self_id, one_of(r.c.status, events_service.HOLDS_SEAT))
            taken = int(session.execute(stmt).scalar_one())
            if taken > merged["capacity"]:
                return [("capacity", f"{taken} collectivities hold a seat: the capacity cannot go below that.")]
        return []

    def search_text(self, merged: dict[str, Any], ctx: Ctx) -> str:
        names = [str(s.get("name", "")) for s in merged.get("speakers") or []]
        return search_blob(merged["title"], merged.get("description"), merged.get("location"), names)[:12000]


SPECS: dict[str, Spec] = {
    s.name: s for s in (CollectivitySpec(), NeedSpec(), PartnershipSpec(), ContactSpec(), EventSpec())
}


# --- reading rows into items -------------------------------------------------------------


class RowReader:
    """Turns raw rows (header -> cell) into items with parsed values, per the column table."""

    def __init__(self, kind: str):
        self.kind = kind
        self.spec = SPECS[kind]
        self._maps: dict[tuple[str, ...], C.HeaderMap] = {}
        self.header_issues: list[ImportIssue] = []
        self._reported: set[str] = set()
        self._langs: dict[tuple[str, ...], str] = {}

    def _map(self, headers: tuple[str, ...], row: int) -> C.HeaderMap:
        hm = self._maps.get(headers)
        if hm is None:
            hm = self._maps[headers] = C.map_headers(self.kind, list(headers))
            for header in hm.unknown:
                if header in self._reported:
                    continue
                self._reported.add(header)
                known = ", ".join(C.known_headers(self.kind))
                if header.startswith("#"):
                    problem = M.Problem("beyond_columns", known=known)
                else:
                    problem = M.Problem("unknown_column", column=header, known=known)
                where = Item(row=1 if row > 1 else row, lang=self._lang(headers))
                where.error(header, problem)
                self.header_issues.extend(where.errors)
        return hm

    def item(self, number: int, raw: dict[str, Any]) -> Item:
        hm = self._map(tuple(raw), number)
        item = Item(row=number, headers=self._headers(hm), lang=self._lang(tuple(raw)))
        for header, value in raw.items():
            if header in hm.ref_sources:
                self._ref(item, header, hm.ref_sources[header], value)
                continue
            column = hm.columns.get(header)
            if column is None:
                continue
            if column.role == "tags":
                item.tags[column.name] = value
                continue
            if blank(value):
                parsed = None
            else:
                try:
                    parsed = column.parse(value) if column.parse else value
                except M.Problem as exc:
                    item.error(header, exc)
                    continue
                except ValueError as exc:
                    item.error(header, str(exc))
                    continue
            if column.role == "key":
                item.key_id = parsed
            elif column.role == "cref":
                self._cref(item, column.name, parsed)
            else:
                item.values[column.name] = parsed
        return item

    def _lang(self, headers: tuple[str, ...]) -> str:
        lang = self._langs.get(headers)
        if lang is None:
            canonical = {fold(c.name) for c in C.COLUMNS[self.kind]} | {"external refs"}
            lang = self._langs[headers] = M.file_language(
                [h for h in headers if not h.lower().startswith("ref")], canonical
            )
        return lang

    def _headers(self, hm: C.HeaderMap) -> dict[str, str]:
        """Errors name the column as the file does ("Priorité"), whatever field it fills."""
        out: dict[str, str] = {}
        for header, column in hm.columns.items():
            out.setdefault(column.name, header)
            for ref in self.spec.crefs:
                if column.role == "cref" and (column.name == ref.prefix or column.name.startswith(ref.prefix + "_")):
                    out.setdefault(ref.prefix, header)
                    out.setdefault(ref.field, header)
        for header, source in hm.ref_sources.items():
            out[f"ref:{source}"] = header
        return out

    def _ref(self, item: Item, header: str, source: str, value: Any) -> None:
        if source == "*":
            if isinstance(value, dict):
                for s, v in value.items():
                    if not blank(v):
                        self._ref(item, header, str(s), v)
            elif not blank(value):
                item.error(header, M.Problem("refs_object"))
            return
        if blank(value):
            return
        if not self.spec.has_refs:
            item.error(header, M.Problem("no_refs", resources=self.spec.name.capitalize()))
            return
        if not _SOURCE.match(source):
            item.error(header, M.Problem("bad_source", source=source))
            return
        text = C.code(value)
        if len(text) > 200:
            item.error(header, M.Problem("ref_too_long"))
            return
        item.refs[source] = text

    def _cref(self, item: Item, name: str, value: Any) -> None:
        for ref in self.spec.crefs:
            if name == ref.prefix or name.startswith(ref.prefix + "_"):
                part = "any" if name == ref.prefix else name[len(ref.prefix) + 1 :]
                if value is not None:
                    item.crefs.setdefault(ref.field, {})[part] = value
                else:
                    item.crefs.setdefault(ref.field, {})
                return


# --- batch processing --------------------------------------------------------------------


SUGGESTION_CAP = 50  # errors per file given a "did you mean" (finding one costs a scan of the names)


def _ref_label(parts: dict[str, Any]) -> str:
    for k in ("id", "code", "ref", "any", "name"):
        if parts.get(k):
            return str(parts[k])
    return "?"


class Engine:
    def __init__(self, session: Session, kind: str, *, trusted: bool = False):
        self.session = session
        self.spec = SPECS[kind]
        self.kind = kind
        self.trusted = trusted
        self.report = Report()
        if session.get_bind().dialect.name == "postgresql":
            # Plan every look-up with its real array: a generic plan (psycopg prepares a statement run 5
            # times) knows neither its size nor its values, and may compare each row with each value.
            session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        self.table = table_of(self.spec.model)
        self.columns = [c.name for c in self.table.columns]
        self._tags: dict[str, uuid.UUID] | None = None
        self._tag_rows: list[Any] | None = None
        self._names: list[Any] | None = None
        self._near: dict[tuple[str, Any, Any], M.NearIndex] = {}  # candidates folded once per place or language
        self._suggested = 0  # errors given a suggestion; past SUGGESTION_CAP, errors are said without one
        self._seen: dict[tuple[Any, ...], int] = {}
        self._written = 0
        self._analyzed = 0
        self.defaults = {
            name: info.get_default(call_default_factory=True)
            for name, info in self.spec.base.model_fields.items()
            if not info.is_required()
        }
        # An empty cell of a field that cannot be null means its default ([] for lists, "" for texts).
        self.empty = {
            name: info.get_default(call_default_factory=True)
            for name, info in self.spec.base.model_fields.items()
            if not info.is_required()
            and type(None) not in typing.get_args(info.annotation)
            and info.annotation is not type(None)
        }
        # Values for columns a partial row does not hold (never written: the UPDATE sets given columns only).
        self.placeholders = {c.name: _placeholder(c) for c in self.table.columns}

    # tags ---------------------------------------------------------------------------------

    def tag_index(self) -> dict[str, uuid.UUID]:
        if self._tags is None:
            index: dict[str, uuid.UUID] = {}
            for t in self.session.execute(select(table_of(ThematicTag))).all():  # type: ignore[attr-defined]
                for name in (t.slug, t.label_fr, t.label_en, t.label_ar):
                    index.setdefault(fold(name), t.id)
            for t in self.session.execute(select(table_of(ThematicTag))).all():  # type: ignore[attr-defined]
                index.setdefault(str(t.id), t.id)
            self._tags = index
        return self._tags

    def tag_rows(self) -> list[Any]:
        if self._tag_rows is None:
            self._tag_rows = list(self.session.execute(select(table_of(ThematicTag))).all())  # type: ignore[attr-defined]
        return self._tag_rows

    def collectivity_names(self) -> list[Any]:
        """Every collectivity's name, country and place: read once, when a name is not found (for suggestions)."""
        if self._names is None:
            t = table_of(Collectivity)
            stmt = select(t.c.name, t.c.country, t.c.governorate, t.c.departement)
            self._names = list(self.session.execute(stmt).all())
        return self._names

    def _may_suggest(self) -> bool:
        """A file of thousands of unknown names would spend its time looking for suggestions nobody reads:
        the first SUGGESTION_CAP errors get one, the others are reported without."""
        self._suggested += 1
        return self._suggested <= SUGGESTION_CAP

    def suggest_collectivity(self, parts: dict[str, Any]) -> list[str]:
        if not self._may_suggest():
            return []
        name = str(parts.get("name") or parts.get("any") or "")
        gov, dep = parts.get("governorate") or None, parts.get("departement") or None
        key = ("collectivity", gov, dep)
        if key not in self._near:
            self._near[key] = M.NearIndex(
                r.name
                for r in self.collectivity_names()
                if (not gov or r.governorate == gov) and (not dep or r.departement == dep)
            )
        return self._near[key].near(name)

    def suggest_tag(self, lang: str, piece: str) -> list[str]:
        if not self._may_suggest():
            return []
        key = ("tag", lang, None)
        if key not in self._near:
            self._near[key] = M.NearIndex(t.label_fr if lang == "fr" else t.label_en for t in self.tag_rows())
        return self._near[key].near(piece)

    def resolve_tags(self, item: Item, field_name: str, raw: Any) -> list[uuid.UUID] | None:
        index = self.tag_index()
        pieces = raw if isinstance(raw, list) else re.split(r"\s*[|;\n]\s*", "" if blank(raw) else str(raw))
        ids: list[uuid.UUID] = []
        ok = True
        for piece in pieces:
            piece = str(piece).strip()
            if not piece:
                continue
            piece = re.split(r"\s*[›>]\s*", piece)[-1]  # "Theme › Sub-theme": the sub-theme
            found = index.get(fold(piece)) or index.get(piece)
            if found:
                ids.append(found)
                continue
            # Labels hold commas ("Environnement, climat et énergie"): match the longest runs.
            words = [w.strip() for w in piece.split(",")]
            i, matched = 0, []
            while i < len(words):
                for j in range(len(words), i, -1):
                    hit = index.get(fold(", ".join(words[i:j])))
                    if hit:
                        matched.append(hit)
                        i = j
                        break
                else:
                    break
            if i == len(words) and matched:
                ids.extend(matched)
            else:
                item.error(
                    field_name, M.Problem("unknown_tag", value=piece, suggestions=self.suggest_tag(item.lang, piece))
                )
                ok = False
        return list(dict.fromkeys(ids)) if ok else None

    # collectivity references -------------------------------------------------------------

    def resolve_crefs(self, items: list[Item], ctx: Ctx) -> None:
        t = table_of(Collectivity)
        cols = (t.c.id, t.c.country, t.c.kind, t.c.name, t.c.code, t.c.governorate, t.c.departement, t.c.search_text)
        ids: set[uuid.UUID] = set()
        codes: set[str] = set()
        refs: set[str] = set()
        names: set[str] = set()
        geos: set[str] = set()
        for item in items:
            for parts in item.crefs.values():
                any_ = parts.get("any")
                if parts.get("id"):
                    ids.add(parts["id"])
                if parts.get("code"):
                    codes.add(str(parts["code"]))
                for r in (parts.get("ref"), any_):
                    m = _REF_VALUE.match(str(r)) if r else None
                    if m:
                        refs.add(m.group(2))
                if any_:
                    try:
                        ids.add(uuid.UUID(str(any_)))
                    except ValueError:
                        codes.add(str(any_))
                        names.add(str(any_))
                if parts.get("name"):
                    names.add(str(parts["name"]))
                for g in ("governorate", "departement"):
                    if parts.get(g):
                        geos.add(parts[g])
        rows: dict[uuid.UUID, Any] = {}
        conds = []
        if ids:
            conds.append(one_of(t.c.id, ids))
        if codes:
            conds.append(one_of(t.c.code, codes))
        if names:
            conds.append(one_of(t.c.name, names))
        if geos:
            conds.append(one_of(t.c.governorate, geos))
            conds.append(one_of(t.c.departement, geos))
        if conds:
            for r in self.session.execute(select(*cols).where(or_(*conds))).all():
                rows[r.id] = r
        by_ref: dict[tuple[str, str], uuid.UUID] = {}
        if refs:
            e = table_of(ExternalRef)
            stmt = select(e.c.source, e.c.value, e.c.resource_id).where(
                e.c.resource_type == "collectivity", one_of(e.c.value, refs)
            )
            for r in self.session.execute(stmt).all():
                by_ref[(r.source, r.value)] = r.resource_id
            missing = set(by_ref.values()) - rows.keys()
            if missing:
                for r in self.session.execute(select(*cols).where(one_of(t.c.id, missing))).all():
                    rows[r.id] = r
        ctx.collectivities.update(rows)
        by_code: dict[str, list[Any]] = defaultdict(list)
        by_name: dict[str, list[Any]] = defaultdict(list)
        for r in rows.values():
            if r.code:
                by_code[r.code].append(r)
            by_name[fold(r.name)].append(r)

        for item in items:
            for ref in self.spec.crefs:
                got = item.crefs.get(ref.field)
                if got is None:
                    continue
                parts = got
                if not any(parts.get(k) for k in ("id", "any", "code", "ref", "name")):
                    item.values[ref.field] = None  # the column is there, and empty: clear it
                    continue
                found, problem = self._find(parts, rows, by_code, by_name, by_ref)
                if found is None and problem is not None and problem.code == "no_collectivity":
                    problem.params["suggestions"] = self.suggest_collectivity(parts)
                    item.error(ref.prefix, problem)
                elif found is None:
                    item.error(ref.prefix, problem or M.Problem("no_collectivity", name=_ref_label(parts)))
                else:
                    item.values[ref.field] = found

    @staticmethod
    def _find(
        parts: dict[str, Any],
        rows: dict[uuid.UUID, Any],
        by_code: dict[str, list[Any]],
        by_name: dict[str, list[Any]],
        by_ref: dict[tuple[str, str], uuid.UUID],
    ) -> tuple[uuid.UUID | None, M.Problem | None]:
        gov, dep = parts.get("governorate"), parts.get("departement")

        def narrow(cands: list[Any]) -> list[Any]:
            if gov:
                cands = [c for c in cands if c.governorate == gov]
            if dep:
                cands = [c for c in cands if c.departement == dep]
            return cands

        def one(cands: list[Any], value: str, named: bool = False) -> tuple[uuid.UUID | None, M.Problem | None]:
            cands = narrow(cands)
            if len(cands) == 1:
                return cands[0].id, None
            if not cands:
                return None, M.Problem("no_collectivity" if named else "collectivity_no_code", name=value)
            names = ", ".join(sorted(c.name for c in cands)[:5])
            code = "several_collectivities" if (gov or dep) else "several_collectivities_where"
            return None, M.Problem(code, value=value, names=names)

        if parts.get("id"):
            no_id = M.Problem("collectivity_no_id", id=str(parts["id"]))
            return (parts["id"], None) if parts["id"] in rows else (None, no_id)
        ref = parts.get("ref")
        any_ = parts.get("any")
        for value in (ref, any_):
            m = _REF_VALUE.match(str(value)) if value else None
            if m:
                owner = by_ref.get((m.group(1), m.group(2)))
                if owner is not None:
                    return owner, None
                if value is ref:
                    return None, M.Problem("collectivity_no_ref", ref=str(value))
        if ref:
            return None, M.Problem("not_a_ref", ref=str(ref))
        if parts.get("code"):
            return one(by_code.get(str(parts["code"]), []), str(parts["code"]))
        if any_:
            try:
                uid = uuid.UUID(str(any_))
                return (uid, None) if uid in rows else (None, M.Problem("collectivity_no_id", id=str(uid)))
            except ValueError:
                pass
            if by_code.get(str(any_)):
                return one(by_code[str(any_)], str(any_))
            return one(by_name.get(fold(str(any_)), []), str(any_), named=True)
        return one(by_name.get(fold(str(parts["name"])), []), str(parts["name"]), named=True)

    # the batch ---------------------------------------------------------------------------

    def process(self, items: list[Item], *, on_row_done: Callable[[int], None] | None = None) -> None:
        spec, session = self.spec, self.session
        report = self.report
        ctx = Ctx()
        if not self.trusted:
            for item in items:
                for name, raw in item.tags.items():
                    resolved = self.resolve_tags(item, name, raw)
                    if resolved is not None:
                        item.tags[name] = resolved
            if spec.crefs:
                self.resolve_crefs(items, ctx)

        # Who owns the external references given (one query).
        owners: dict[tuple[str, str], uuid.UUID] = {}
        given: dict[str, set[str]] = defaultdict(set)
        for item in items:
            for source, value in item.refs.items():
                given[source].add(value)
        if given and spec.has_refs:
            e = table_of(ExternalRef)
            for source, values in given.items():  # the unique index (resource_type, source, value) serves this
                stmt = select(e.c.source, e.c.value, e.c.resource_id).where(
                    e.c.resource_type == spec.resource, e.c.source == source, one_of(e.c.value, values)
                )
                owners.update({(r.source, r.value): r.resource_id for r in session.execute(stmt).all()})

        # Natural keys (one or two queries).
        keys = {id(item): spec.natural_key(item.values) for item in items if not item.errors}
        wanted = [k for k in keys.values() if k is not None]
        natural = spec.find_natural(session, list(set(wanted))) if wanted else {}

        # Which record does each row mean?
        targets: dict[int, uuid.UUID | None] = {}
        for item in items:
            if item.errors:
                continue
            target = item.key_id
            for source, value in item.refs.items():
                owner = owners.get((source, value))
                if owner is None:
                    continue
                if target is None:
                    target = owner
                elif owner != target:
                    item.error(
                        f"ref:{source}", M.Problem("ref_taken", source=source, value=value, resource=spec.resource)
                    )
            key = keys.get(id(item))
            matches = natural.get(key, []) if key else []
            if target is None:
                if len(matches) > 1:
                    item.error("id", M.Problem("ambiguous_match", count=len(matches), resources=spec.name))
                elif matches:
                    target = matches[0]
            elif matches and target not in matches and key and key[0] in ("code", "atlas"):
                what = "code" if key[0] == "code" else "atlas_id"
                item.error(what, M.Problem("taken", column=what, resource=spec.resource))
            targets[id(item)] = target

        # The records matched, their tags and references (three queries).
        existing_ids = {t for t in targets.values() if t is not None}
        existing: dict[uuid.UUID, dict[str, Any]] = {}
        if existing_ids:
            # Whole rows, also when trusted: an update writes every NOT NULL column of the INSERT half of
            # its upsert, and the search text of a renamed row keeps the names coordinators added.
            for r in session.execute(select(self.table).where(one_of(self.table.c.id, existing_ids))).all():
                existing[r.id] = dict(r._mapping)
        links: dict[tuple[uuid.UUID, str], set[uuid.UUID]] = defaultdict(set)
        if existing and spec.tag_fields and any(item.tags for item in items):
            tl = table_of(TagLink)
            stmt = select(tl.c.resource_id, tl.c.relation, tl.c.tag_id).where(one_of(tl.c.resource_id, existing))
            for r in session.execute(stmt).all():
                links[(r.resource_id, r.relation)].add(r.tag_id)
        old_refs: dict[uuid.UUID, dict[str, tuple[uuid.UUID, str]]] = defaultdict(dict)
        if existing and spec.has_refs and given:
            e = table_of(ExternalRef)
            stmt = select(e.c.id, e.c.resource_id, e.c.source, e.c.value).where(
                e.c.resource_type == spec.resource, one_of(e.c.resource_id, existing)
            )
            for r in session.execute(stmt).all():
                old_refs[r.resource_id][r.source] = (r.id, r.value)

        # Merge and validate.
        merged_rows: list[tuple[Item, uuid.UUID, dict[str, Any], dict[str, Any] | None]] = []
        for item in items:
            if item.errors:
                continue
            target = targets.get(id(item))
            old = existing.get(target) if target is not None else None
            if target is not None and old is None and target != item.key_id:
                item.error("id", M.Problem("no_such_id", resource=spec.resource, id=str(target)))
                continue
            # Duplicates within the file.
            identities: list[tuple[Any, ...]] = [("id", target)] if target is not None else []
            key = keys.get(id(item))
            if key is not None:
                identities.append(("key", *key))
            identities.extend(("ref", s, v) for s, v in item.refs.items())
            dup = next((self._seen[i] for i in identities if i in self._seen), None)
            if dup is not None:
                fld = next((f for f in _KEY_FIELDS if item.values.get(f)), "id")
                item.error(fld, M.Problem("duplicate_row", row=dup))
                continue
            for i in identities:
                self._seen[i] = item.row
            for name, value in self.empty.items():
                if name in item.values and item.values[name] is None:
                    item.values[name] = value
            if old is None:
                missing = [f for f in spec.required if blank(item.values.get(f))]
                for f in missing:
                    label = next((r.prefix for r in spec.crefs if r.field == f), f)
                    item.error(label, M.Problem("required", column=label, resource=spec.resource))
                if missing:
                    continue
                merged = {**self.defaults, **item.values}
            else:
                merged = {**old, **item.values}
            if not self.trusted:
                try:
                    clean = spec.base.model_validate(merged).model_dump()
                except ValidationError as exc:
                    for err in exc.errors():
                        loc = str(err["loc"][0]) if err["loc"] else "row"
                        item.error(loc, M.pydantic_problem(err))
                    continue
                merged = {**(old or {}), **clean}
            merged_rows.append((item, target or item.key_id or uuid.uuid4(), merged, old))

        # Cross-field rules, with the collectivities they name (one query).
        if not self.trusted:
            needed = {cid for _, _, m, _ in merged_rows for cid in spec.collectivity_ids(m)} - ctx.collectivities.keys()
            if needed:
                t = table_of(Collectivity)
                stmt = select(t.c.id, t.c.country, t.c.name, t.c.search_text).where(one_of(t.c.id, needed))
                for r in session.execute(stmt).all():
                    ctx.collectivities[r.id] = r
        now = utcnow()
        set_cols: set[str] = set()
        upserts: list[dict[str, Any]] = []
        new_links: list[dict[str, Any]] = []
        drop_links: dict[str, list[uuid.UUID]] = defaultdict(list)
        new_refs: list[dict[str, Any]] = []
        drop_refs: list[uuid.UUID] = []
        for item, rid, merged, old in merged_rows:
            if not self.trusted:
                for fld, message in spec.check(session, merged, rid, ctx):
                    item.error(fld, message)
                if item.errors:
                    continue
            changed = old is None or any(merged.get(k) != old.get(k) for k in item.values)
            set_cols.update(item.values)
            # The search text follows the fields: computed again only when a field changed.
            merged["search_text"] = spec.search_text(merged, ctx) if changed else old["search_text"]  # type: ignore[index]
            # Tags
            for name, tag_ids in item.tags.items():
                rel = spec.tag_fields[name].value
                if old is None or set(tag_ids) != links.get((rid, rel), set()):
                    changed = True
                    if old is not None:
                        drop_links[rel].append(rid)
                    new_links.extend(
                        {
                            "id": uuid.uuid4(),
                            "resource_type": spec.resource,
                            "resource_id": rid,
                            "relation": rel,
                            "tag_id": t,
                        }
                        for t in tag_ids
                    )
            # External references
            for source, value in item.refs.items():
                prior = old_refs.get(rid, {}).get(source)
                if prior is not None and prior[1] == value:
                    continue
                changed = True
                if prior is not None:
                    drop_refs.append(prior[0])
                new_refs.append(
                    {
                        "id": uuid.uuid4(),
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                        "resource_type": spec.resource,
                        "resource_id": rid,
                        "source": source,
                        "value": value,
                    }
                )
            if not changed:
                report.unchanged += 1
                continue
            row = {k: merged.get(k, self.placeholders.get(k)) for k in self.columns}
            row["id"] = rid
            row["updated_at"] = now
            if old is None:
                row["created_at"] = now
                row["version"] = 1
                report.created += 1
                report.changed_ids.append(("created", rid))
            else:
                row["created_at"] = old["created_at"]
                row["version"] = int(old["version"]) + 1
                report.updated += 1
                report.changed_ids.append(("updated", rid))
            upserts.append(row)

        self.write(upserts, set_cols, drop_links, new_links, drop_refs, new_refs)
        for item in items:
            if item.errors:
                report.rejected += 1
                for issue in item.errors:
                    issue.field = item.headers.get(issue.field, issue.field)
                report.add_errors(item.errors)
        report.processed += len(items)
        self._written += len(upserts)
        if self._written >= max(ANALYZE_AFTER, 2 * self._analyzed):
            refresh_statistics(self)  # the next batches look rows up in what this load just wrote
        if on_row_done is not None:
            on_row_done(report.processed)

    def write(
        self,
        upserts: list[dict[str, Any]],
        set_cols: set[str],
        drop_links: dict[str, list[uuid.UUID]],
        new_links: list[dict[str, Any]],
        drop_refs: list[uuid.UUID],
        new_refs: list[dict[str, Any]],
    ) -> None:
        """One upsert for the rows, one DELETE + one INSERT for tag links and for references."""
        session = self.session
        pg = session.get_bind().dialect.name == "postgresql"
        if upserts:
            update_cols = [c for c in self.columns if c in set_cols | {"search_text", "version", "updated_at"}]
            if pg:
                _pg_insert(session, self.table, upserts, update=update_cols)
            else:
                stmt = insert_for(session, self.table)
                set_ = {c: stmt.excluded[c] for c in update_cols}
                session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=set_), upserts)
        tl = table_of(TagLink)
        for rel, ids in drop_links.items():
            session.execute(delete(tl).where(tl.c.relation == rel, one_of(tl.c.resource_id, ids)))
        e = table_of(ExternalRef)
        if drop_refs:
            session.execute(delete(e).where(one_of(e.c.id, drop_refs)))
        for table, rows in ((tl, new_links), (e, new_refs)):
            if rows and pg:
                _pg_insert(session, table, rows)
            elif rows:
                session.execute(table.insert(), rows)


def refresh_statistics(engine: "Engine") -> None:
    """After a big load, fresh planner statistics for the tables written (PostgreSQL), so that the next
    import and the lists do not plan on an empty table."""
    session = engine.session
    if engine._written - engine._analyzed >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        for table in (engine.table.name, "tag_links", "external_refs"):
            session.execute(text(f'ANALYZE "{table}"'))
        engine._analyzed = engine._written


def _placeholder(column: Any) -> Any:
    if column.nullable:
        return None
    if isinstance(column.type, JSON):
        return []
    try:
        python = column.type.python_type
    except NotImplementedError:
        return None
    return {str: "", int: 0, float: 0.0, bool: False}.get(python)


_PG = postgresql.dialect()


def _pg_insert(session: Session, table: Any, rows: list[dict[str, Any]], *, update: list[str] | None = None) -> None:
    """INSERT … SELECT FROM unnest(one array per column) [ON CONFLICT (id) DO UPDATE]: one statement and
    one parameter per column whatever the number of rows, no per-row work in the driver."""
    names = [c.name for c in table.columns]
    arrays, casts = [], []
    for c in table.columns:
        values = [r.get(c.name) for r in rows]
        if isinstance(c.type, JSON):
            arrays.append([None if v is None else json.dumps(v, ensure_ascii=False) for v in values])
            casts.append(("text[]", f'"{c.name}"::json'))
        else:
            arrays.append(values)
            casts.append((f"{c.type.compile(dialect=_PG)}[]", f'"{c.name}"'))
    cols = ", ".join(f'"{n}"' for n in names)
    sql = (
        f'INSERT INTO "{table.name}" ({cols}) SELECT {", ".join(expr for _, expr in casts)} '
        f"FROM unnest({', '.join(f'%s::{t}' for t, _ in casts)}) AS u({cols})"
    )
    if update is not None:
        sql += ' ON CONFLICT ("id") DO UPDATE SET ' + ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in update)
    session.connection().exec_driver_sql(sql, tuple(arrays))


# --- driving a whole file ----------------------------------------------------------------


def _parent_words(item: Item) -> set[str]:
    parts = item.crefs.get("parent_id") or {}
    return {fold(str(v)) for k, v in parts.items() if k in ("any", "code", "name", "ref") and v}


def _own_words(item: Item) -> set[str]:
    words = {fold(str(item.values[k])) for k in ("code", "name") if item.values.get(k)}
    words.update(fold(f"{s}:{v}") for s, v in item.refs.items())
    return words


def run(
    session: Session,
    kind: str,
    rows: Iterable[RawRow],
    *,
    batch_size: int = BATCH,
    on_progress: Callable[[int], None] | None = None,
) -> Report:
    """Import ``rows`` into the session's transaction (the caller commits or rolls back)."""
    reader = RowReader(kind)
    engine = Engine(session, kind)
    batch: list[Item] = []
    pending_words: set[str] = set()
    for number, raw in rows:
        item = reader.item(number, raw)
        # A row whose parent is in the pending batch: write the batch first, so the parent exists.
        if kind == "collectivities" and batch and _parent_words(item) & pending_words:
            engine.process(batch, on_row_done=on_progress)
            batch, pending_words = [], set()
        batch.append(item)
        if kind == "collectivities":
            pending_words |= _own_words(item)
        if len(batch) >= batch_size:
            engine.process(batch, on_row_done=on_progress)
            batch, pending_words = [], set()
    if batch:
        engine.process(batch, on_row_done=on_progress)
    if reader.header_issues:
        engine.report.add_errors(reader.header_issues)
    refresh_statistics(engine)
    return engine.report
