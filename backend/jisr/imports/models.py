"""Import jobs and their reports: every import is recorded; big ones run in the background."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, LargeBinary, String
from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime
from jisr.core.models import Entity
from jisr.core.pagination import Page


class ImportKind(StrEnum):
    collectivities = "collectivities"
    needs = "needs"
    partnerships = "partnerships"
    contacts = "contacts"
    events = "events"


class OnError(StrEnum):
    abort = "abort"
    skip = "skip"


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"  # written (or, for a dry run, fully checked)
    rejected = "rejected"  # the file had errors: nothing written
    failed = "failed"  # could not run to the end (unreadable file, unexpected error)


class ImportIssue(BaseModel):
    row: int
    field: str
    message: str = Field(description="In the language of the file's headers (French unless they are the API's names).")
    code: str | None = Field(
        default=None, description="The error's key, for saying it in another language (`imports.messages`)."
    )
    params: dict[str, str | int | list[str] | None] | None = Field(
        default=None, description="The values the sentence names (`suggestions`: near names, best first)."
    )


MAX_ERRORS = 1000


class ImportJob(Entity, table=True):
    __tablename__ = "import_jobs"
    kind: str = Field(max_length=30)
    status: str = Field(default=JobStatus.queued, sa_type=String(10), index=True)
    dry_run: bool = False
    on_error: str = Field(default=OnError.abort, sa_type=String(10))
    format: str = Field(default="", max_length=10)
    filename: str = Field(default="", max_length=300)
    size_bytes: int = 0
    actor: str = Field(default="", max_length=254)
    total: int | None = None
    processed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    detail: str | None = Field(default=None, max_length=2000)
    committed: bool = False
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportPayload(SQLModel, table=True):
    """The uploaded file of a queued job, until a worker has run it."""

    __tablename__ = "import_payloads"
    job_id: uuid.UUID = Field(primary_key=True, foreign_key="import_jobs.id", ondelete="CASCADE")
    data: bytes = Field(sa_type=LargeBinary)


class ImportReport(BaseModel):
    """What an import did (or, dry run or rejected, would do)."""

    id: uuid.UUID | None = None
    kind: str
    status: JobStatus
    dry_run: bool = False
    committed: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    processed: int = 0
    total: int | None = None
    error_count: int = 0
    errors: list[ImportIssue] = []
    detail: str | None = None
    filename: str = ""
    format: str = ""
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class ImportJobList(Page[ImportReport]):
    pass
