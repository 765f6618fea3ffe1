"""Who wrote what, and when: a ``before_flush`` listener turns every write of an ``Entity`` through
the ORM session into an audit row in the same transaction (a rolled-back request leaves none), as
``sync.tombstones`` does for deletions.

Who: a middleware gives each HTTP request a fresh, mutable context (a contextvar); the auth dependency
names the principal in it and on the request's session (``use_principal``), so writes made in other
threads or sessions of the request (imports, background tasks) know the caller too. A write in a
request without a principal (the public census form, sign-in) is ``anonymous``; the worker and the
CLI, outside any request, are ``system``. Set-based writes that bypass the session (imports, matching's proposal store)
call ``record_bulk`` once per operation: one summary row with counts, not one row per record.
"""

import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import event, inspect, or_
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from jisr.audit.models import AuditEntry
from jisr.core.db import utcnow
from jisr.core.models import Entity, as_dict
from jisr.core.pagination import ListParams, paginate

# Internal tables whose rows are bookkeeping, not resources someone changes: the outbox (messages and
# their delivery attempts), import jobs (progress written every few hundred rows). Tables that are no
# ``Entity`` are never audited either: the audit log itself, tombstones, login failures and census rate
# hits (throttling), import payloads, tag links, match run entries and transitions (written with
# their parent, which is audited).
UNTRACKED = {"outbox", "import_jobs"}
# Columns that say nothing a reader needs (derived, or bumped on every write).
SKIPPED = {"search_text", "version", "updated_at"}
SECRET_WORDS = ("password", "secret", "token", "hash")
REDACTED = "[redacted]"
ERASED = "[erased]"


@dataclass(frozen=True)
class Actor:
    kind: str  # user | api_client | system | anonymous
    id: uuid.UUID | None
    label: str


SYSTEM = Actor("system", None, "system")
ANONYMOUS = Actor("anonymous", None, "anonymous")


@dataclass
class _Request:
    """One per request, mutable: a dependency run in a worker thread (its own copy of the context)
    names the caller here, and every later step of the request — another thread, another session,
    a background task — sees it."""

    actor: Actor = ANONYMOUS


_request: ContextVar[_Request | None] = ContextVar("jisr_audit_request", default=None)


class ActorContext:
    """Pure ASGI middleware: a fresh ``_Request`` for each HTTP request, dropped at its end."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _request.set(_Request())
        try:
            await self.app(scope, receive, send)
        finally:
            _request.reset(token)


def use_principal(session: Any, principal: Any) -> None:
    """Name the caller for the writes of this request (called by the auth dependency)."""
    actor = Actor(principal.kind, principal.id, principal.label)
    if isinstance(session, OrmSession):  # not a read route's Connection: its ``info`` outlives the request
        session.info["audit_actor"] = actor
    holder = _request.get()
    if holder is not None:
        holder.actor = actor


def _request_id() -> str | None:
    from jisr.core.http import request_id

    return request_id()


def actor_of(session: Any) -> Actor:
    """The request's principal; ``anonymous`` in a request without one; ``system`` outside requests."""
    actor = session.info.get("audit_actor") if isinstance(session, OrmSession) else None
    if actor is not None:
        return actor  # type: ignore[no-any-return]
    holder = _request.get()
    return holder.actor if holder is not None else SYSTEM


def tracked(obj: Any) -> bool:
    return isinstance(obj, Entity) and getattr(obj, "__tablename__", None) not in UNTRACKED


def _secret(name: str) -> bool:
    return any(word in name for word in SECRET_WORDS)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in values.items():
        if name in SKIPPED:
            continue
        out[name] = REDACTED if _secret(name) and value is not None else value
    return to_jsonable_python(out)  # type: ignore[no-any-return]


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Changed fields of a dirty object: (before, after)."""
    before, after = {}, {}
    state = inspect(obj)
    for attr in state.attrs:
        if attr.key in SKIPPED:
            continue
        hist = attr.history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[attr.key] = old
        after[attr.key] = new
    return before, after


def _entry(session: Any, action: str, resource_type: str, resource_id: Any, before: Any, after: Any) -> AuditEntry:
    actor = actor_of(session)
    return AuditEntry(
        at=utcnow(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label[:254],
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        before=before,
        after=after,
        request_id=_request_id(),
    )


@event.listens_for(OrmSession, "before_flush")
def _audit_writes(session: OrmSession, _context: Any, _instances: Any) -> None:
    if session.info.get("audit_off"):
        return
    rows = []
    for obj in session.new:
        if tracked(obj):
            rows.append(_entry(session, "create", obj.__tablename__, obj.id, None, _clean(as_dict(obj))))
    for obj in session.dirty:
        if tracked(obj) and obj not in session.deleted:
            before, after = _changes(obj)
            if after or before:
                rows.append(_entry(session, "update", obj.__tablename__, obj.id, _clean(before), _clean(after)))
    for obj in session.deleted:
        if tracked(obj):
            rows.append(_entry(session, "delete", obj.__tablename__, obj.id, _clean(as_dict(obj)), None))
    session.add_all(rows)


def record_bulk(session: Any, resource_type: str, operation: str, counts: dict[str, int], **ids: Any) -> None:
    """One summary row (action ``bulk``) for a set-based write that bypasses the session: the operation,
    its counts and ids (matching run…), never the rows themselves."""
    after = to_jsonable_python({"operation": operation, "counts": counts, **ids})
    session.add(_entry(session, "bulk", resource_type, None, None, after))


def record_event(session: Any, action: str, resource_type: str, resource_id: Any, details: dict[str, Any]) -> None:
    """One row for something that happened without a write of the resource (a security alert…)."""
    session.add(_entry(session, action, resource_type, resource_id, None, to_jsonable_python(details)))


# --- reading -------------------------------------------------------------------------------------

SORTABLE = {"at": AuditEntry.at, "resource_type": AuditEntry.resource_type, "action": AuditEntry.action}


def list_(
    session: Session,
    *,
    params: ListParams,
    resource_type: str | None,
    resource_id: uuid.UUID | None,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[AuditEntry], int]:
    stmt = select(AuditEntry)
    if resource_type:
        stmt = stmt.where(AuditEntry.resource_type == resource_type)
    if resource_id is not None:
        stmt = stmt.where(AuditEntry.resource_id == resource_id)
    if actor:
        try:
            stmt = stmt.where(AuditEntry.actor_id == uuid.UUID(actor))
        except ValueError:
            stmt = stmt.where(or_(col(AuditEntry.actor_label) == actor, col(AuditEntry.actor_kind) == actor))
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    since = since or params.updated_since
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    params = params.model_copy(update={"updated_since": None})
    return paginate(session, stmt, params, model=AuditEntry, sortable=SORTABLE, default="-at")


def about(session: Session, resource_type: str, ids: list[uuid.UUID]) -> list[AuditEntry]:
    if not ids:
        return []
    stmt = select(AuditEntry).where(AuditEntry.resource_type == resource_type, AuditEntry.resource_id.in_(ids))  # type: ignore[union-attr]
    return list(session.exec(stmt.order_by(AuditEntry.at)).all())  # type: ignore[arg-type]
