"""Single-resource helpers shared by every domain: lookup, ETag, guarded update."""

import uuid
from typing import Any, TypeVar

from fastapi import Response
from sqlalchemy import update
from sqlmodel import Session, col

from jisr.core.db import utcnow
from jisr.core.errors import NotFound, PreconditionFailed
from jisr.core.models import Entity

E = TypeVar("E", bound=Entity)


def get_or_404(session: Session, model: type[E], id: uuid.UUID, what: str) -> E:
    obj = session.get(model, id)
    if obj is None:
        raise NotFound(f"No {what} with id {id}.")
    return obj


def etag(obj: Entity) -> str:
    return f'"{obj.id.hex[:12]}-{obj.version}"'


def set_etag(response: Response, obj: Entity) -> None:
    response.headers["ETag"] = etag(obj)


def check_if_match(obj: Entity, if_match: str | None) -> None:
    if if_match is None:
        return
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and etag(obj) not in tags:
        raise PreconditionFailed("This record changed since you read it. Reload it, then apply your change again.")


def save_changes(session: Session, obj: E, changes: dict[str, Any], *, if_match: str | None = None) -> E:
    """Apply ``changes`` and bump the version.

    With ``If-Match``, the version is compared and bumped in one UPDATE, so of many
    concurrent writers holding the same ETag exactly one wins and the others get 412.
    """
    check_if_match(obj, if_match)
    model = type(obj)
    stmt = update(model).where(col(model.id) == obj.id).values(version=obj.version + 1, updated_at=utcnow())
    if if_match is not None:
        stmt = stmt.where(col(model.version) == obj.version)
    result = session.execute(stmt.execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise PreconditionFailed("This record changed since you read it. Reload it, then apply your change again.")
    session.refresh(obj, ["version", "updated_at"])
    for key, value in changes.items():
        setattr(obj, key, value)
    session.add(obj)
    session.flush()
    return obj
