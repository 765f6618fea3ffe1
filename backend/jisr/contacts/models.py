"""Contacts: people at a collectivity. Personal data: staff only."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import EmailStr, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig

from jisr.auth.models import Language
from jisr.core.db import UTCDateTime
from jisr.core.hygiene import Name, SingleLine
from jisr.core.models import AwareUTC, Entity, PublicMeta, partial_model
from jisr.core.pagination import Page


class ContactBase(SQLModel):
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    full_name: Name = Field(min_length=1, max_length=200)
    role: SingleLine = Field(default="", max_length=100, description="Mayor, elected official, staff…")
    email: EmailStr | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40, schema_extra={"pattern": r"^\+?[0-9 ().-]{4,40}$"})
    languages: list[Language] = Field(default_factory=list, max_length=3, sa_type=JSON)
    consent_at: AwareUTC | None = Field(
        default=None, sa_type=UTCDateTime, description="When the person agreed to be listed."
    )
    active: bool = True


class Contact(Entity, ContactBase, table=True):
    __tablename__ = "contacts"
    email: str | None = Field(default=None, max_length=254)
    search_text: str = Field(default="", max_length=1000)


CONSENT_REQUIRED = "a consent date is required: when the person agreed to be listed (personal data)"


def _consent_in_schema(schema: dict[str, Any]) -> None:
    schema.setdefault("required", []).append("consent_at")
    prop = schema["properties"]["consent_at"]
    prop.pop("default", None)
    prop["anyOf"] = [s for s in prop.get("anyOf", []) if s.get("type") != "null"]
    prop["description"] = CONSENT_DOC


CONSENT_DOC = "When the person agreed to be listed. Required: Jisr lists nobody without consent."


class ContactCreate(ContactBase):
    # Not a plain required field: a missing date gets a message that says why (not "Field required").
    model_config = SQLModelConfig(json_schema_extra=_consent_in_schema)  # type: ignore[typeddict-item]
    consent_at: Annotated[AwareUTC | None, PydanticField(validate_default=True)] = None

    @field_validator("consent_at", mode="after")
    @classmethod
    def _consent_given(cls, value: datetime | None) -> datetime:
        if value is None:
            raise ValueError(CONSENT_REQUIRED)
        return value


ContactUpdate = partial_model("ContactUpdate", ContactBase)
ContactUpdate._required = ContactUpdate._required | {"consent_at"}  # type: ignore[attr-defined]
"""A change; ``consent_at`` cannot be removed, and a contact without one must be given one (service)."""


class ContactPublic(PublicMeta, ContactBase):
    pass


class ContactList(Page[ContactPublic]):
    pass


class ConsentFilter(StrEnum):
    given = "given"
    missing = "missing"
