"""Tombstones: what was deleted, when, so that other systems hear about deletions too."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime, utcnow


class Tombstone(SQLModel, table=True):
    __tablename__ = "tombstones"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    resource_type: str = Field(max_length=40, description="The deleted row's table.")
    resource_id: uuid.UUID = Field(index=True)
    deleted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)


class Change(BaseModel):
    type: str
    id: uuid.UUID
    op: Literal["created", "updated", "deleted"]
    at: datetime
    data: dict[str, Any] | None = None


class ChangePage(BaseModel):
    items: list[Change]
    next_cursor: str
    has_more: bool


from jisr.sync import tombstones as _tombstones  # noqa: E402,F401  (registers the session listener)
