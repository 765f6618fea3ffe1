"""The changes feed: what was created, updated or deleted since a cursor, across resources.

Rows are ordered by (updated_at, table, id), deletions by their tombstone's time, in one keyset.
The cursor names the last position handed out; on the last page it trails the present by
``changes_settle_seconds`` so that a transaction still open when you call (its rows stamped
earlier, visible later) is not skipped: recent items may come twice, compare ``version``.
"""

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, false, literal, or_, true, union_all
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from jisr.auth.service import Principal
from jisr.collectivities import service as collectivities
from jisr.collectivities.models import Collectivity
from jisr.contacts.models import Contact, ContactPublic
from jisr.core.config import get_settings
from jisr.core.db import utcnow
from jisr.core.errors import Invalid
from jisr.core.models import Entity
from jisr.events import service as events
from jisr.events.models import Event
from jisr.matching import service as matching
from jisr.matching.models import MatchProposal
from jisr.needs import service as needs
from jisr.needs.models import Need
from jisr.partnerships import service as partnerships
from jisr.partnerships.models import Partnership
from jisr.sync.models import Change, ChangePage, Tombstone
from jisr.tags.models import ThematicTag, ThematicTagPublic

Present = Callable[..., Sequence[BaseModel]]
Scope = Callable[[Principal], Any]  # the rows a principal may read, as SQL; None: all of them


@dataclass(frozen=True)
class Feed:
    name: str  # as in the API path: "needs"
    model: type[Entity]
    present: Present
    staff_only: bool = False
    listed: Any = None  # a condition on the model: rows outside it are not in the feed (contacts without consent)
    scope: Scope | None = None  # the read endpoint's visibility, per principal

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)


FEEDS: dict[str, Feed] = {}


def register(
    name: str,
    model: type[Entity],
    present: Present,
    *,
    staff_only: bool = False,
    listed: Any = None,
    scope: Scope | None = None,
) -> None:
    """Add a resource to the feed (its deletions are tombstoned already, as for every Entity).

    A feed shows a principal exactly what the resource's read endpoint shows: ``staff_only`` when
    that endpoint is for staff, ``scope`` when it shows each principal part of the rows (the same
    function the endpoint uses)."""
    FEEDS[name] = Feed(name, model, present, staff_only, listed, scope)


def _plain(public: type[BaseModel]) -> Present:
    return lambda _session, rows: [public.model_validate(r, from_attributes=True) for r in rows]


register("collectivities", Collectivity, collectivities.public)
register("needs", Need, needs.public)
register("partnerships", Partnership, partnerships.public)
register("contacts", Contact, _plain(ContactPublic), staff_only=True, listed=col(Contact.consent_at).is_not(None))
register("tags", ThematicTag, _plain(ThematicTagPublic))
register("events", Event, events.public)
register("matches", MatchProposal, matching.public, scope=matching.visible_to)

# --- cursor ------------------------------------------------------------------------------

NIL = uuid.UUID(int=0)
Key = tuple[datetime, str, uuid.UUID]


def encode_cursor(key: Key) -> str:
    at, table, id_ = key
    micros = int(at.timestamp() * 1_000_000)
    raw = f"{micros}.{table}.{id_.hex}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    """An opaque cursor from a previous answer, or an ISO 8601 instant to start from."""
    # Every way a crafted cursor can fail is a 422: a year out of range (OverflowError, OSError on
    # some platforms), a table that is no feed's, an instant with no UTC equivalent.
    failures = (ValueError, OverflowError, OSError, binascii.Error, UnicodeDecodeError)
    try:
        at = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
        return ((at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC), "", NIL)
    except failures:
        pass
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        micros, table, hex_id = raw.split(".")
        if (table and table not in {f.table for f in FEEDS.values()}) or not micros.isdigit():
            raise ValueError(table)
        return datetime.fromtimestamp(int(micros) / 1_000_000, UTC), table, uuid.UUID(hex_id)
    except failures as exc:
        raise Invalid(
            "This cursor is not one Jisr gave out: pass next_cursor from a previous answer, or an ISO 8601 instant.",
            errors=[{"loc": ["query", "since"], "msg": "invalid cursor"}],
        ) from exc


def _after(at: Any, id_: Any, table: str, cursor: Key | None) -> Any:
    """(at, table, id) > cursor, for rows of one table."""
    if cursor is None:
        return true()
    ts, ctable, cid = cursor
    if table > ctable:
        return at >= ts
    if table < ctable:
        return at > ts
    return or_(at > ts, and_(at == ts, id_ > cid))


# --- the feed ----------------------------------------------------------------------------


def visible_feeds(principal: Principal, types: list[str] | None) -> list[Feed]:
    if types:
        unknown = [t for t in types if t not in FEEDS]
        if unknown:
            raise Invalid(
                f"Unknown types: {', '.join(unknown)}. Known: {', '.join(FEEDS)}.",
                errors=[{"loc": ["query", "types"], "msg": f"unknown type {t}"} for t in unknown],
            )
    feeds = [FEEDS[t] for t in (types or FEEDS)]
    return [f for f in feeds if principal.is_staff or not f.staff_only]


def changes(session: Session, *, principal: Principal, feeds: list[Feed], since: str | None, limit: int) -> ChangePage:
    cursor = decode_cursor(since) if since else None
    by_table = {f.table: f for f in feeds}
    if not feeds:
        return ChangePage(items=[], next_cursor=since or "", has_more=False)
    parts: list[Any] = []
    for feed in feeds:
        m = feed.model
        scoped = feed.scope(principal) if feed.scope is not None else None
        parts.append(
            sa_select(
                literal(feed.table).label("tbl"),
                col(m.id).label("rid"),
                col(m.updated_at).label("at"),
                col(m.created_at).label("created"),
                false().label("deleted"),
            ).where(
                _after(col(m.updated_at), col(m.id), feed.table, cursor),
                feed.listed if feed.listed is not None else true(),
                scoped if scoped is not None else true(),
            )
        )
        if scoped is not None:
            continue  # whom a deleted row concerned is gone with it: a scoped reader gets no tombstones
        parts.append(
            sa_select(
                col(Tombstone.resource_type).label("tbl"),
                col(Tombstone.resource_id).label("rid"),
                col(Tombstone.deleted_at).label("at"),
                col(Tombstone.deleted_at).label("created"),
                true().label("deleted"),
            ).where(
                col(Tombstone.resource_type) == feed.table,
                _after(col(Tombstone.deleted_at), col(Tombstone.resource_id), feed.table, cursor),
            )
        )
    u = union_all(*parts).subquery()
    rows = list(session.execute(sa_select(u).order_by(u.c.at, u.c.tbl, u.c.rid).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]

    # Load the live rows of the page, as their API representation.
    data: dict[tuple[str, uuid.UUID], dict[str, Any]] = {}
    wanted: dict[str, list[uuid.UUID]] = {}
    for r in rows:
        if not r.deleted:
            wanted.setdefault(r.tbl, []).append(r.rid)
    for table, ids in wanted.items():
        feed = by_table[table]
        objs = list(session.exec(select(feed.model).where(col(feed.model.id).in_(ids))))
        for obj, public in zip(objs, feed.present(session, objs), strict=True):
            data[(table, obj.id)] = public.model_dump(mode="json")

    items: list[Change] = []
    for r in rows:
        if r.deleted:
            op = "deleted"
        elif cursor is None or r.created > cursor[0]:
            op = "created"
        else:
            op = "updated"
        payload = data.get((r.tbl, r.rid))
        if op != "deleted" and payload is None:
            continue  # deleted meanwhile: its tombstone comes next time
        items.append(Change(type=by_table[r.tbl].name, id=r.rid, op=op, at=r.at, data=payload))

    settle: Key = (utcnow() - timedelta(seconds=get_settings().changes_settle_seconds), "", NIL)
    last: Key | None = (rows[-1].at, rows[-1].tbl, rows[-1].rid) if rows else None
    start: Key = cursor or (datetime(1970, 1, 1, tzinfo=UTC), "", NIL)
    if last is None:
        nxt = max(start, settle)
    else:
        nxt = max(start, min(last, settle))
        if has_more and nxt <= start:
            nxt = last  # a full page of very recent changes: move on rather than loop
    return ChangePage(items=items, next_cursor=encode_cursor(nxt), has_more=has_more)
