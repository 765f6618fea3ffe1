"""Partnerships: cooperations between a French and a Lebanese collectivity, past and present."""

import uuid
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from jisr.core.extrefs import ExternalRefs
from jisr.core.hygiene import Code, MultiLine
from jisr.core.models import Entity, PublicMeta, partial_model
from jisr.core.notes import SystemNote
from jisr.core.pagination import Page


class PartnershipStatus(StrEnum):
    active = "active"
    dormant = "dormant"
    ended = "ended"
    planned = "planned"


class PartnershipBase(SQLModel):
    french_collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    lebanese_collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    status: PartnershipStatus = Field(default=PartnershipStatus.active, sa_type=String(10), index=True)
    started_year: int | None = Field(default=None, ge=1950, le=2100)
    ended_year: int | None = Field(default=None, ge=1950, le=2100)
    last_activity_year: int | None = Field(default=None, ge=1950, le=2100)
    description: MultiLine = Field(default="", max_length=10000)
    atlas_id: Code | None = Field(
        default=None, min_length=1, max_length=50, description="Identifier in the Atlas of decentralized cooperation."
    )


class Partnership(Entity, PartnershipBase, table=True):
    __tablename__ = "partnerships"
    atlas_id: str | None = Field(default=None, max_length=50, unique=True)
    search_text: str = Field(default="", max_length=12000)
    # How the server made it (core.notes: partnership_census, partnership_matched), said in the reader's language.
    note_key: str | None = Field(default=None, max_length=40)
    note_params: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class PartnershipLinks(SQLModel):
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    external_refs: ExternalRefs = Field(default_factory=dict)


class PartnershipCreate(PartnershipBase, PartnershipLinks):
    pass


PartnershipUpdate = partial_model("PartnershipUpdate", PartnershipBase, PartnershipLinks)


class PartnershipPublic(PublicMeta, PartnershipBase, PartnershipLinks):
    system_note: SystemNote | None = Field(
        default=None,
        description="How Jisr made it (a census answer, a proposal), as a key and parameters; "
        "`description` is what people wrote.",
    )


class PartnershipList(Page[PartnershipPublic]):
    pass
