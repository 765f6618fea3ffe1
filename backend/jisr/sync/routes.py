"""Delta sync: what changed since your last call, deletions included."""

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query

from jisr.auth.deps import Authenticated
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.sync import service
from jisr.sync.models import ChangePage

router = APIRouter(prefix="/api/v1/changes", tags=["changes"])

# The feed's types as an enum, so that the schema lists them and validation refuses others (an empty `types=` too).
ChangeType = StrEnum("ChangeType", [(name, name) for name in service.FEEDS])  # type: ignore[misc]


@router.get(
    "",
    operation_id="changes-list",
    summary="Changes since a cursor",
    description="""\
Everything created, updated or deleted since `since`, oldest first, across collectivities, needs,
partnerships, tags, events, match proposals and (staff only) contacts. Each item has `type`, `id`,
`op` (`created`, `updated`, `deleted`), `at` and, unless deleted, `data` (the resource as its `GET`
returns it).

Each type shows you what its own read endpoint shows you: a member gets the proposals about their
own collectivity only, and no deletions of proposals (whom a deleted proposal concerned is not kept).

Start without `since` (a full load) or with an ISO 8601 instant; then call again with the
`next_cursor` you got, as long as `has_more` is true, and later to stay in step. The cursor
trails the present by a few seconds so that nothing written meanwhile is skipped: an item may come
twice; keep the one with the higher `version`/`updated_at`. Deletions stay in the feed for good.
""",
    response_model=ChangePage,
    responses=responses(401, 422),
)
def list_changes(
    principal: Authenticated,
    session: SessionDep,
    since: Annotated[str | None, Query(max_length=200, description="`next_cursor` of your last call.")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    types: Annotated[
        list[ChangeType] | None, Query(max_length=10, description="Only these types (repeat the parameter).")
    ] = None,
) -> ChangePage:
    feeds = service.visible_feeds(principal, [t.value for t in types] if types else None)
    return service.changes(session, principal=principal, feeds=feeds, since=since, limit=limit)
