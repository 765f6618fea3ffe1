"""Events (webinars, workshops, field missions, meetings), who registers, and the questions they send."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from jisr.collectivities.models import Country
from jisr.core.db import UTCDateTime
from jisr.core.hygiene import MultiLine, Name, SingleLine
from jisr.core.models import Entity, PublicMeta, not_a_number, partial_model
from jisr.core.pagination import Page


class EventKind(StrEnum):
    webinar = "webinar"
    workshop = "workshop"
    field_mission = "field_mission"
    meeting = "meeting"


class Audience(StrEnum):
    FR = "FR"
    LB = "LB"
    both = "both"


class EventStatus(StrEnum):
    planned = "planned"
    open = "open"
    closed = "closed"
    cancelled = "cancelled"
    done = "done"


# Registrations are accepted while the event is planned or open.
REGISTRABLE = {EventStatus.planned, EventStatus.open}


class RegistrationStatus(StrEnum):
    registered = "registered"
    attended = "attended"
    absent = "absent"
    cancelled = "cancelled"


def check_timezone(name: str) -> str:
    """An IANA time zone name that this machine's tz database knows (Asia/Beirut, Europe/Paris)."""
    if name != name.strip() or name.lower() in {"localtime", "local"}:
        raise ValueError("not an IANA time zone name")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{name}': use an IANA name such as Asia/Beirut or Europe/Paris") from exc
    return name


class Speaker(SQLModel):
    """Someone who speaks at the event (a workshop's testimonies)."""

    name: Name = Field(min_length=1, max_length=200)
    organisation: SingleLine = Field(default="", max_length=200)
    topic: SingleLine = Field(default="", max_length=500)


TIMES_DOC = (
    "An instant. With an offset (`Z`, `+02:00`) it is taken as is; without one it is the wall time in the "
    "event's `timezone`. Stored and returned in UTC; `*_local` gives the wall time in `timezone`."
)


class EventBase(SQLModel):
    kind: EventKind = Field(sa_type=String(20), index=True)
    title: Name = Field(min_length=1, max_length=300)
    description: MultiLine = Field(default="", max_length=10000)
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True, description=TIMES_DOC)
    ends_at: datetime = Field(sa_type=UTCDateTime, description=TIMES_DOC)
    timezone: str = Field(
        default="Asia/Beirut", min_length=1, max_length=64, description="IANA name: Asia/Beirut, Europe/Paris."
    )
    location: SingleLine = Field(default="", max_length=300)
    country: Country | None = Field(default=None, sa_type=String(2))
    online_url: str | None = Field(default=None, max_length=500, schema_extra={"pattern": r"^https?://\S+$"})
    audience: Audience = Field(default=Audience.both, sa_type=String(4))
    capacity: int | None = Field(
        default=None, ge=1, le=100_000, description="Seats (one per collectivity); null: no limit."
    )
    status: EventStatus = Field(default=EventStatus.planned, sa_type=String(10), index=True)
    speakers: list[Speaker] = Field(default_factory=list, max_length=50, sa_type=JSON)

    _iso_times = field_validator("starts_at", "ends_at", mode="before")(not_a_number)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return check_timezone(value)


class Event(Entity, EventBase, table=True):
    __tablename__ = "events"
    speakers: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)  # type: ignore[assignment]
    search_text: str = Field(default="", max_length=12000)


class EventCreate(EventBase):
    pass


EventUpdate = partial_model("EventUpdate", EventBase)


class EventPublic(PublicMeta, EventBase):
    starts_at_local: str = Field(description="Wall time in `timezone`, ISO 8601 with its UTC offset.")
    ends_at_local: str
    registered_count: int = Field(description="Registrations holding a seat (all but cancelled).")
    seats_left: int | None = Field(description="null when the event has no capacity limit.")


class EventList(Page[EventPublic]):
    pass


# --- registrations -----------------------------------------------------------------------


class EventRegistration(Entity, table=True):
    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "collectivity_id"),)

    event_id: uuid.UUID = Field(foreign_key="events.id", index=True)
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    contact_id: uuid.UUID | None = Field(default=None, foreign_key="contacts.id", ondelete="SET NULL")
    status: str = Field(default=RegistrationStatus.registered, sa_type=String(10), index=True)


class RegistrationCreate(SQLModel):
    collectivity_id: uuid.UUID = Field(description="Members register their own collectivity.")
    contact_id: uuid.UUID | None = Field(default=None, description="One of the collectivity's contacts.")
    questions: list[MultiLine] = Field(
        default_factory=list,
        max_length=10,
        description="Questions the collectivity wants answered at the event (each 1–2000 characters).",
    )

    @field_validator("questions")
    @classmethod
    def _questions(cls, value: list[str]) -> list[str]:
        out = [q.strip() for q in value]
        if any(not q or len(q) > 2000 for q in out):
            raise ValueError("each question has 1 to 2000 characters")
        return out


class RegistrationUpdate(SQLModel):
    status: RegistrationStatus | None = None
    contact_id: uuid.UUID | None = None


class RegistrationPublic(PublicMeta):
    event_id: uuid.UUID
    collectivity_id: uuid.UUID
    contact_id: uuid.UUID | None
    status: RegistrationStatus


class RegistrationList(Page[RegistrationPublic]):
    pass


class AttendanceItem(SQLModel):
    registration_id: uuid.UUID
    status: Literal["attended", "absent", "registered"]


class AttendanceBulk(SQLModel):
    items: list[AttendanceItem] = Field(min_length=1, max_length=2000)


class AttendanceResult(SQLModel):
    updated: int
    items: list[RegistrationPublic]


# --- questions and FAQ -------------------------------------------------------------------


class EventQuestion(Entity, table=True):
    __tablename__ = "event_questions"

    event_id: uuid.UUID = Field(foreign_key="events.id", index=True)
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    question: str = Field(max_length=2000)
    answer: str | None = Field(default=None, max_length=5000)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published: bool = True


class QuestionCreate(SQLModel):
    question: MultiLine = Field(min_length=1, max_length=2000)
    collectivity_id: uuid.UUID | None = Field(
        default=None, description="The registered collectivity asking; members may leave it out (their own)."
    )


class QuestionUpdate(SQLModel):
    question: MultiLine | None = Field(default=None, min_length=1, max_length=2000, description="Reworded by staff.")
    answer: MultiLine | None = Field(default=None, min_length=1, max_length=5000)
    published: bool | None = Field(default=None, description="Answered and published questions form the FAQ.")


class QuestionPublic(PublicMeta):
    event_id: uuid.UUID
    collectivity_id: uuid.UUID
    question: str
    answer: str | None
    answered_at: datetime | None
    published: bool


class QuestionList(Page[QuestionPublic]):
    pass


class FaqItem(SQLModel):
    question: str
    answer: str
    answered_at: datetime


class EventFaq(SQLModel):
    event_id: uuid.UUID
    items: list[FaqItem]
