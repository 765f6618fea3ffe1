"""The theme tree."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from jisr.auth.deps import Authenticated, Staff
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.core.pagination import ListParams, SearchQ, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created
from jisr.tags import service
from jisr.tags.models import (
    ThematicTag,
    ThematicTagCreate,
    ThematicTagList,
    ThematicTagPublic,
    ThematicTagUpdate,
)

TagListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1/tags", tags=["tags"])


@router.get(
    "",
    operation_id="tags-list",
    summary="List thematic tags",
    response_model=ThematicTagList,
    responses=responses(401, 404, 422),
)
def list_tags(
    _: Authenticated, session: SessionDep, params: TagListParams, parent: str | None = None, q: SearchQ = None
) -> ThematicTagList:
    """The whole tree is small: `limit=500` returns it at once. `parent=<slug>` lists one branch."""
    items, total = service.list_tags(session, params=params, parent=parent, q=q)
    return ThematicTagList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "",
    operation_id="tags-create",
    summary="Create a tag",
    status_code=status.HTTP_201_CREATED,
    response_model=ThematicTagPublic,
    responses=responses(401, 403, 409, 422),
)
def create_tag(_: Staff, session: SessionDep, data: ThematicTagCreate, response: Response) -> ThematicTag:
    tag = service.create(session, data=data)
    session.commit()
    created(response, tag, "tags")
    return tag


@router.get(
    "/{tag_id}",
    operation_id="tags-get",
    summary="Read a tag",
    response_model=ThematicTagPublic,
    responses=responses(401, 404, 422),
)
def get_tag(_: Authenticated, session: SessionDep, tag_id: uuid.UUID, response: Response) -> ThematicTag:
    tag = service.get(session, tag_id)
    set_etag(response, tag)
    return tag


@router.patch(
    "/{tag_id}",
    operation_id="tags-update",
    summary="Change a tag",
    response_model=ThematicTagPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_tag(
    _: Staff,
    session: SessionDep,
    tag_id: uuid.UUID,
    data: ThematicTagUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ThematicTag:
    tag = service.get(session, tag_id)
    service.update(session, tag, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, tag)
    return tag


@router.delete(
    "/{tag_id}",
    operation_id="tags-delete",
    summary="Delete a tag",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
)
def delete_tag(_: Staff, session: SessionDep, tag_id: uuid.UUID) -> None:
    service.delete_tag(session, service.get(session, tag_id))
    session.commit()
