"""Accounts: users (people), API clients (other systems), failed logins (throttling)."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime, utcnow
from jisr.core.hygiene import Name
from jisr.core.models import Entity, PublicMeta, partial_model
from jisr.core.pagination import Page


class Role(StrEnum):
    admin = "admin"
    coordinator = "coordinator"
    member = "member"
    viewer = "viewer"


class Language(StrEnum):
    fr = "fr"
    en = "en"
    ar = "ar"


class UserBase(SQLModel):
    email: EmailStr = Field(max_length=254)
    full_name: Name = Field(default="", max_length=200)
    role: Role = Field(default=Role.viewer, sa_type=String(20))
    collectivity_id: uuid.UUID | None = Field(default=None, foreign_key="collectivities.id", index=True)
    language: Language = Field(default=Language.fr, sa_type=String(2))
    is_active: bool = True


class User(Entity, UserBase, table=True):
    __tablename__ = "users"
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)


class UserCreate(UserBase):
    password: str = Field(min_length=10, max_length=200)


class _UserPassword(SQLModel):
    password: str = Field(min_length=10, max_length=200)


UserUpdate = partial_model("UserUpdate", UserBase, _UserPassword)


class UserPublic(PublicMeta, UserBase):
    pass


class UserList(Page[UserPublic]):
    pass


class ApiClientBase(SQLModel):
    name: Name = Field(min_length=1, max_length=200)
    role: Role = Field(default=Role.viewer, sa_type=String(20))
    collectivity_id: uuid.UUID | None = Field(default=None, foreign_key="collectivities.id", index=True)
    is_active: bool = True


class ApiClient(Entity, ApiClientBase, table=True):
    __tablename__ = "api_clients"
    client_id: str = Field(max_length=64, unique=True)
    secret_hash: str = Field(max_length=128)


class ApiClientCreate(ApiClientBase):
    pass


ApiClientUpdate = partial_model("ApiClientUpdate", ApiClientBase)


class ApiClientPublic(PublicMeta, ApiClientBase):
    client_id: str


class ApiClientWithSecret(ApiClientPublic):
    client_secret: str = Field(description="Shown once, at creation or rotation. Store it now.")


class ApiClientList(Page[ApiClientPublic]):
    pass


class LoginFailure(SQLModel, table=True):
    """One failed sign-in, keyed by account and by address; old rows are pruned."""

    __tablename__ = "login_failures"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    key: str = Field(max_length=300, index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(SQLModel):
    kind: str = Field(description="`user` or `api_client`")
    id: uuid.UUID
    role: Role
    email: str | None = None
    client_id: str | None = None
    full_name: str | None = None
    collectivity_id: uuid.UUID | None = None
    language: Language = Language.fr
