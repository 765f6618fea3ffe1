"""The audit trail: one row per write, kept in the same transaction as the write itself."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime, utcnow
from jisr.core.pagination import Page


class AuditEntry(SQLModel, table=True):
    """Not an ``Entity``: an audit row has no version and is never changed through the API (only an
    erasure replaces its ``before``/``after`` with a marker)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_resource", "resource_type", "resource_id"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    actor_kind: str = Field(max_length=20, description="`user`, `api_client`, `system` or `anonymous`.")
    actor_id: uuid.UUID | None = Field(default=None, index=True)
    actor_label: str = Field(default="", max_length=254)
    action: str = Field(
        max_length=20, index=True, description="`create`, `update`, `delete`, `bulk`, `erasure`, `alert`."
    )
    resource_type: str = Field(max_length=40, description="The table written: `contacts`, `needs`…")
    resource_id: uuid.UUID | None = Field(default=None)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    request_id: str | None = Field(default=None, max_length=64)


class AuditPublic(SQLModel):
    id: uuid.UUID
    at: datetime
    actor_kind: str
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    resource_type: str
    resource_id: uuid.UUID | None
    before: dict[str, Any] | None = Field(description="Changed fields before the write (all fields on delete).")
    after: dict[str, Any] | None = Field(
        description="Changed fields after the write (all fields on create; counts for `bulk` and `erasure`)."
    )
    request_id: str | None


class AuditList(Page[AuditPublic]):
    pass


from jisr.audit import service as _service  # noqa: E402,F401  (registers the session listener)
