"""Small pieces every router uses."""

from typing import Annotated, Any

from fastapi import Header, Response

from jisr.core.crud import set_etag
from jisr.core.models import Entity

IfMatch = Annotated[str | None, Header(description="The ETag of your last read; a stale one gets 412.")]


def created(response: Response, obj: Entity, path: str) -> None:
    """Headers of a 201: where the new resource lives, and its ETag."""
    response.headers["Location"] = f"/api/v1/{path}/{obj.id}"
    set_etag(response, obj)


def changes_of(data: Any) -> dict[str, Any]:
    """The fields a PATCH body sets (absent fields are left alone)."""
    return dict(data.model_dump(exclude_unset=True))
