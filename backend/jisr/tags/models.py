"""The theme tree, and the links between tags and the resources they describe."""

import uuid
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from jisr.core.hygiene import Name, SingleLine
from jisr.core.models import Entity, PublicMeta, partial_model
from jisr.core.pagination import Page


class ThematicTagBase(SQLModel):
    slug: str = Field(min_length=1, max_length=80, schema_extra={"pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"})
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="thematic_tags.id", index=True)
    label_fr: Name = Field(min_length=1, max_length=200)
    label_en: Name = Field(min_length=1, max_length=200)
    label_ar: Name = Field(min_length=1, max_length=200)
    call_2024_theme: SingleLine | None = Field(
        default=None,
        max_length=80,
        description="The theme of the ministry's 2024 France–Lebanon call this tag falls under.",
    )
    position: int = Field(default=0, ge=0, le=100000, description="Order among its siblings.")


class ThematicTag(Entity, ThematicTagBase, table=True):
    __tablename__ = "thematic_tags"
    slug: str = Field(max_length=80, unique=True)


class ThematicTagCreate(ThematicTagBase):
    pass


ThematicTagUpdate = partial_model("ThematicTagUpdate", ThematicTagBase)


class ThematicTagPublic(PublicMeta, ThematicTagBase):
    pass


class ThematicTagList(Page[ThematicTagPublic]):
    pass


class Relation(StrEnum):
    tag = "tag"  # a need's or partnership's themes
    expertise = "expertise"  # what a collectivity can bring
    interest = "interest"  # what a collectivity seeks


class TagLink(SQLModel, table=True):
    """A tag on a resource (need, partnership, collectivity), in one relation."""

    __tablename__ = "tag_links"
    __table_args__ = (
        UniqueConstraint("resource_id", "relation", "tag_id"),
        # resource_id last: the tag filters of list endpoints read this index alone (migration 0005).
        Index("ix_tag_links_tag", "tag_id", "resource_type", "relation", "resource_id"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    resource_type: str = Field(max_length=40)
    resource_id: uuid.UUID
    relation: str = Field(max_length=20)
    tag_id: uuid.UUID = Field(foreign_key="thematic_tags.id", ondelete="CASCADE")
