"""External references ({source: id}) of any resource, unique per (resource type, source)."""

import uuid
from collections import defaultdict
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import UniqueConstraint, delete
from sqlmodel import Field, Session, col, select

from jisr.core.errors import Conflict
from jisr.core.hygiene import Code
from jisr.core.models import Entity

Source = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
RefValue = Annotated[Code, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
ExternalRefs = dict[Source, RefValue]


class ExternalRef(Entity, table=True):
    __tablename__ = "external_refs"
    __table_args__ = (UniqueConstraint("resource_type", "source", "value"),)

    resource_type: str = Field(max_length=40)
    resource_id: uuid.UUID = Field(index=True)
    source: str = Field(max_length=40)
    value: str = Field(max_length=200)


def refs_for(session: Session, resource_type: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, str]]:
    out: dict[uuid.UUID, dict[str, str]] = defaultdict(dict)
    if not ids:
        return out
    rows = session.exec(
        select(ExternalRef).where(
            ExternalRef.resource_type == resource_type,
            col(ExternalRef.resource_id).in_(ids),
        )
    )
    for ref in rows:
        out[ref.resource_id][ref.source] = ref.value
    return out


def find_by_ref(session: Session, resource_type: str, source: str, value: str) -> uuid.UUID | None:
    return session.exec(
        select(ExternalRef.resource_id).where(
            ExternalRef.resource_type == resource_type,
            ExternalRef.source == source,
            ExternalRef.value == value,
        )
    ).first()


def set_refs(session: Session, resource_type: str, resource_id: uuid.UUID, refs: dict[str, str]) -> None:
    """Replace the resource's references; 409 when another resource already holds one."""
    for source, value in refs.items():
        owner = find_by_ref(session, resource_type, source, value)
        if owner is not None and owner != resource_id:
            raise Conflict(f"The external reference {source}={value} already belongs to another {resource_type}.")
    delete_refs(session, resource_type, resource_id)
    for source, value in refs.items():
        session.add(ExternalRef(resource_type=resource_type, resource_id=resource_id, source=source, value=value))
    session.flush()


def delete_refs(session: Session, resource_type: str, resource_id: uuid.UUID) -> None:
    session.execute(
        delete(ExternalRef).where(
            col(ExternalRef.resource_type) == resource_type,
            col(ExternalRef.resource_id) == resource_id,
        )
    )
