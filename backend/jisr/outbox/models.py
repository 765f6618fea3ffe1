"""The outbox: everything that leaves Jisr (webhook deliveries now, e-mails later), one row per message.

A message is written in the same transaction as the change it tells about, then sent by the worker
(`jisr worker`) with retries and backoff. Its idempotency key is unique: enqueueing the same message
twice stores it once, and receivers get the key to drop a message they already handled.
"""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime, utcnow
from jisr.core.models import Entity


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    dead = "dead"


class OutboxItem(Entity, table=True):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    kind: str = Field(max_length=20, description="`webhook`, `email`…: which sender handles it.")
    idempotency_key: str = Field(max_length=200, unique=True)
    target: str = Field(default="", max_length=500, index=True, description="Webhook id, e-mail address…")
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=OutboxStatus.pending, sa_type=String(10))
    attempts: int = Field(default=0, nullable=False)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_error: str | None = Field(default=None, max_length=2000)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OutboxItemPublic(SQLModel):
    id: uuid.UUID
    kind: str
    idempotency_key: str
    target: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime
