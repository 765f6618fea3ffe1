"""Collectivities: French and Lebanese local authorities."""

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import StringConstraints
from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from jisr.auth.models import Language
from jisr.core.extrefs import ExternalRefs
from jisr.core.hygiene import Code, MultiLine, Name
from jisr.core.models import Entity, PublicMeta, partial_model
from jisr.core.pagination import Page

ShortText = Annotated[Name, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class Country(StrEnum):
    FR = "FR"
    LB = "LB"


class Kind(StrEnum):
    commune = "commune"
    epci = "epci"
    departement = "departement"
    region = "region"
    municipality = "municipality"
    union_of_municipalities = "union_of_municipalities"
    other = "other"


KINDS_BY_COUNTRY = {
    Country.FR: {Kind.commune, Kind.epci, Kind.departement, Kind.region, Kind.other},
    Country.LB: {Kind.municipality, Kind.union_of_municipalities, Kind.other},
}


class Capacity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"


class CollectivityBase(SQLModel):
    country: Country = Field(sa_type=String(2), index=True)
    kind: Kind = Field(sa_type=String(30))
    name: Name = Field(min_length=1, max_length=200)
    name_ar: Name | None = Field(default=None, max_length=200)
    name_alt: list[ShortText] = Field(
        default_factory=list, max_length=20, sa_type=JSON, description="Other spellings, used by search."
    )
    code: Code | None = Field(
        default=None, min_length=1, max_length=20, description="INSEE code, SIREN, département or région code…"
    )
    governorate: str | None = Field(
        default=None, max_length=8, index=True, description="Lebanon: ISO 3166-2 code of the governorate (LB-JA)."
    )
    district: Name | None = Field(default=None, max_length=100, description="Lebanon: the caza's French name.")
    region: Code | None = Field(default=None, max_length=3, description="France: INSEE région code.")
    departement: Code | None = Field(default=None, max_length=3, description="France: département code.")
    parent_id: uuid.UUID | None = Field(default=None, foreign_key="collectivities.id", index=True)
    population: int | None = Field(default=None, ge=0, le=100_000_000)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    website: str | None = Field(default=None, max_length=300, schema_extra={"pattern": r"^https?://\S+$"})
    languages: list[Language] = Field(default_factory=list, max_length=3, sa_type=JSON)
    description: MultiLine = Field(default="", max_length=5000)
    capacity: Capacity | None = Field(
        default=None, sa_type=String(10), description="France: staff and budget it can give to international action."
    )
    preferred_governorates: list[Annotated[Code, StringConstraints(max_length=8)]] = Field(
        default_factory=list,
        max_length=10,
        sa_type=JSON,
        description="France: governorate codes where it would rather work.",
    )


class Collectivity(Entity, CollectivityBase, table=True):
    __tablename__ = "collectivities"
    __table_args__ = (
        UniqueConstraint("country", "kind", "code"),
        # `q` is a LIKE '%word%' on search_text: a trigram index on PostgreSQL (migration 0005).
        Index(
            "ix_collectivities_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ),
    )
    search_text: str = Field(default="", max_length=4000)


class CollectivityLinks(SQLModel):
    expertise_tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="Themes it can bring.")
    interest_tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50, description="Themes it seeks.")
    external_refs: ExternalRefs = Field(default_factory=dict, description='{"cuf": "C-1234"}')


class CollectivityCreate(CollectivityBase, CollectivityLinks):
    pass


CollectivityUpdate = partial_model("CollectivityUpdate", CollectivityBase, CollectivityLinks)


class CollectivityPublic(PublicMeta, CollectivityBase, CollectivityLinks):
    pass


class CollectivityList(Page[CollectivityPublic]):
    pass
