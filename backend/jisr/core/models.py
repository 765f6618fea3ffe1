"""Shared pieces of every resource: identity, timestamps, optimistic version, partial models."""

import uuid
from copy import copy
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Optional

from pydantic import AfterValidator, AwareDatetime, create_model, model_validator
from sqlmodel import Field, SQLModel

from jisr.core.db import UTCDateTime, utcnow


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+01:00 is before the first representable instant
        raise ValueError("date out of range") from exc


AwareUTC = Annotated[AwareDatetime, AfterValidator(_to_utc)]
"""An instant given by a client: the offset is required (a naive time is ambiguous: 422, not a 500 at
flush time), and the value is kept and answered in UTC."""


class Entity(SQLModel):
    """Columns every table row has. ``version`` backs ETag / If-Match."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    version: int = Field(default=1, nullable=False)


def as_dict(row: SQLModel) -> dict[str, Any]:
    """A table row's fields as a plain dict (table rows hold raw column values, not enums)."""
    return {name: getattr(row, name) for name in type(row).model_fields}


class PublicMeta(SQLModel):
    id: uuid.UUID
    created_at: datetime
    updated_at: datetime


class _Partial(SQLModel):
    _required: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in cls._required:
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


def partial_model(name: str, *sources: type[SQLModel], doc: str = "") -> type[SQLModel]:
    """An update model: every field of ``sources`` optional, with the same constraints.

    Fields that are required on create may be omitted but not set to null.
    """
    fields: dict[str, Any] = {}
    required: set[str] = set()
    for source in sources:
        for field_name, info in source.model_fields.items():
            new = copy(info)
            new.default = None
            new.default_factory = None
            fields[field_name] = (Optional[info.annotation], new)  # noqa: UP045
            if info.is_required() or (
                info.annotation is not None and type(None) not in getattr(info.annotation, "__args__", ())
            ):
                required.add(field_name)
    model = create_model(name, __base__=_Partial, __doc__=doc or None, **fields)
    model._required = frozenset(required)
    return model
