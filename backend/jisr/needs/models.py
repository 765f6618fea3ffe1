"""Needs: what a collectivity asks for (request) or offers (offer)."""

import uuid
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from jisr.core.extrefs import ExternalRefs
from jisr.core.hygiene import MultiLine, Name
from jisr.core.models import Entity, PublicMeta, partial_model
from jisr.core.pagination import Page


class Direction(StrEnum):
    request = "request"
    offer = "offer"


class Priority(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class NeedStatus(StrEnum):
    draft = "draft"
    open = "open"
    in_discussion = "in_discussion"
    matched = "matched"
    closed = "closed"


class NeedSource(StrEnum):
    webinar = "webinar"
    census = "census"
    field_mission = "field_mission"
    import_ = "import"
    manual = "manual"


class NeedBase(SQLModel):
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    direction: Direction = Field(default=Direction.request, sa_type=String(10))
    title: Name = Field(min_length=1, max_length=300)
    description: MultiLine = Field(default="", max_length=10000)
    priority: Priority = Field(default=Priority.medium, sa_type=String(10))
    status: NeedStatus = Field(default=NeedStatus.open, sa_type=String(20), index=True)
    source: NeedSource = Field(default=NeedSource.manual, sa_type=String(20))
    source_event_id: uuid.UUID | None = Field(
        default=None, foreign_key="events.id", index=True, description="The event where the need was raised."
    )
    estimated_budget_eur: int | None = Field(default=None, ge=0, le=1_000_000_000)


class Need(Entity, NeedBase, table=True):
    __tablename__ = "needs"
    search_text: str = Field(default="", max_length=12000)


class NeedLinks(SQLModel):
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    external_refs: ExternalRefs = Field(default_factory=dict)


class NeedCreate(NeedBase, NeedLinks):
    pass


NeedUpdate = partial_model("NeedUpdate", NeedBase, NeedLinks)


class NeedPublic(PublicMeta, NeedBase, NeedLinks):
    pass


class NeedList(Page[NeedPublic]):
    pass


# source_event_id references events.id: load that table whenever needs are used.
from jisr.events import models as _events_models  # noqa: E402, F401
