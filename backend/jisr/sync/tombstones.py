"""One mechanism for every resource: deleting an Entity row through the session leaves a tombstone
in the same transaction (a ``before_flush`` listener), so no domain has to remember it.

Set-based deletes that bypass the session (``session.execute(delete(...))``) call
``record_deletions`` themselves.
"""

import uuid
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from jisr.audit import service as audit
from jisr.core.db import insert_for, utcnow
from jisr.core.models import Entity

# Internal tables whose rows are no resource of the API.
UNTRACKED = {"external_refs", "outbox", "import_jobs", "webhook_subscriptions"}


def tracked(obj: Any) -> bool:
    return isinstance(obj, Entity) and getattr(obj, "__tablename__", None) not in UNTRACKED


@event.listens_for(OrmSession, "before_flush")
def _tombstone_deleted(session: OrmSession, _context: Any, _instances: Any) -> None:
    from jisr.sync.models import Tombstone

    now = utcnow()
    for obj in session.deleted:
        if tracked(obj):
            session.add(Tombstone(resource_type=obj.__tablename__, resource_id=obj.id, deleted_at=now))


def record_deletions(session: Any, table: str, ids: list[uuid.UUID]) -> None:
    """Tombstones for rows deleted with a set-based DELETE (one INSERT)."""
    from jisr.sync.models import Tombstone

    if not ids:
        return
    now = utcnow()
    rows = [{"id": uuid.uuid4(), "resource_type": table, "resource_id": i, "deleted_at": now} for i in ids]
    session.execute(insert_for(session, Tombstone), rows)
    audit.record_bulk(session, table, "delete", {"deleted": len(ids)})  # past the audit listener too
