"""Contacts: people at a collectivity. Personal data: staff only."""

import uuid

from pydantic import EmailStr
from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from jisr.auth.models import Language
from jisr.core.db import UTCDateTime
from jisr.core.models import AwareUTC, Entity, PublicMeta, partial_model
from jisr.core.pagination import Page


class ContactBase(SQLModel):
    collectivity_id: uuid.UUID = Field(foreign_key="collectivities.id", index=True)
    full_name: str = Field(min_length=1, max_length=200)
    role: str = Field(default="", max_length=100, description="Mayor, elected official, staff…")
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


class ContactCreate(ContactBase):
    pass


ContactUpdate = partial_model("ContactUpdate", ContactBase)


class ContactPublic(PublicMeta, ContactBase):
    pass


class ContactList(Page[ContactPublic]):
    pass
