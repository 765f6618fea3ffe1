"""Shared pieces of every resource: identity, timestamps, optimistic version, partial models."""

import inspect
import re
import uuid
from collections.abc import Callable
from copy import copy
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Optional

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, create_model, field_validator, model_validator
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from jisr.core.db import UTCDateTime, utcnow


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00+01:00 is before the first representable instant
        raise ValueError("date out of range") from exc


_NUMBER = re.compile(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*")


def not_a_number(value: Any) -> Any:
    """Refuse a number where an instant is expected (a `mode="before"` validator).

    Pydantic reads `0.5` or `"1700000000"` as seconds since 1970; the published schema says an ISO 8601 string, and
    a number there is more likely a mistake than a timestamp: 422, as the schema promises."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("expected an ISO 8601 date and time, e.g. 2024-05-01T09:00:00Z, not a number")
    return value


AwareUTC = Annotated[AwareDatetime, BeforeValidator(not_a_number), AfterValidator(_to_utc)]
"""An instant given by a client: the offset is required (a naive time is ambiguous: 422, not a 500 at
flush time), and the value is kept and answered in UTC. A number is refused (see `not_a_number`)."""
Instant = Annotated[datetime, BeforeValidator(not_a_number)]
"""A date and time given by a client, as ISO 8601 only (see `not_a_number`)."""


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


def _publish_required_as_not_null(schema: dict[str, Any], model: type[Any]) -> None:
    """In an update model's JSON schema, a field that may be omitted but not set to null is not nullable.

    Its annotation is `X | None` (omitted means unchanged), but `_no_null_for_required` refuses null: publish `X`,
    so that the schema says what the validation does."""
    for name in getattr(model, "_required", ()):
        prop = schema.get("properties", {}).get(name)
        if not prop or "anyOf" not in prop:
            continue
        kept = [s for s in prop["anyOf"] if s.get("type") != "null"]
        if prop.get("default", ...) is None:
            del prop["default"]
        if len(kept) == 1:
            del prop["anyOf"]
            prop.update({k: v for k, v in kept[0].items() if k not in prop})
        else:
            prop["anyOf"] = kept


class _Partial(SQLModel):
    _required: ClassVar[frozenset[str]] = frozenset()
    model_config = SQLModelConfig(json_schema_extra=_publish_required_as_not_null)

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in cls._required:
                if name in data and data[name] is None:
                    raise ValueError(f"{name} cannot be null")
        return data


def _unless_none(func: Callable[..., Any]) -> Any:
    """A source's field validator for an update model, where ``None`` means "not changed"."""
    if len(inspect.signature(func).parameters) == 1:

        def check(cls: Any, value: Any) -> Any:
            return value if value is None else func(value)

        return classmethod(check)

    def check_with_info(cls: Any, value: Any, info: Any) -> Any:
        return value if value is None else func(value, info)

    return classmethod(check_with_info)


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
    # The sources' field validators apply to updates too (a PATCH took any time zone name, then answered 500).
    validators = {
        f"{source.__name__}_{key}": field_validator(*dec.info.fields, mode=dec.info.mode)(_unless_none(dec.func))  # type: ignore[call-overload]
        for source in sources
        for key, dec in source.__pydantic_decorators__.field_validators.items()
    }
    model = create_model(name, __base__=_Partial, __doc__=doc or None, __validators__=validators, **fields)
    model._required = frozenset(required)
    return model
