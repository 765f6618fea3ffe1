"""Needs: requests and offers."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import Connection

from jisr.auth.deps import Authenticated, Editor, RequiredBearer, answer_key, authenticate
from jisr.collectivities.models import Country
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.core.pagination import Ids, ListParams, SearchQ, envelope, json_answer, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created
from jisr.needs import service
from jisr.needs.models import (
    Direction,
    NeedCreate,
    NeedList,
    NeedPublic,
    NeedSource,
    NeedStatus,
    NeedUpdate,
    Priority,
)

NeedListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1/needs", tags=["needs"])


async def need_criteria(
    collectivity_id: uuid.UUID | None = None,
    direction: Direction | None = None,
    status: NeedStatus | None = None,
    priority: Priority | None = None,
    source: NeedSource | None = None,
    source_event_id: uuid.UUID | None = None,
    tag: Annotated[str | None, Query(max_length=80, description="Tag slug; sub-themes count too.")] = None,
    country: Country | None = None,
    governorate: Annotated[str | None, Query(max_length=8)] = None,
    q: SearchQ = None,
    id: Ids = None,  # noqa: A002 (the query parameter's name)
) -> dict[str, Any]:
    """The list's filters, as ``service.page`` takes them."""
    filters = {
        "collectivity_id": collectivity_id,
        "direction": direction,
        "status": status,
        "priority": priority,
        "source": source,
        "source_event_id": source_event_id,
    }
    return {"filters": filters, "tag": tag, "country": country, "governorate": governorate, "q": q, "ids": id}


NeedCriteria = Annotated[dict[str, Any], Depends(need_criteria)]


@router.get(
    "", operation_id="needs-list", summary="List needs", response_model=NeedList, responses=responses(401, 404, 422)
)
async def needs_page(token: RequiredBearer, criteria: NeedCriteria, params: NeedListParams) -> Response:
    # The list fast path (core.pagination): one threadpool hop, one statement for the page, or
    # none while the database has not changed.
    def answer(conn: Connection) -> dict[str, Any]:
        authenticate(conn, token)
        return envelope(*service.page(conn, params=params, **criteria), params)

    return await json_answer(answer, key=answer_key(token, "needs", criteria, params))


def list_needs(_: Authenticated, session: SessionDep, criteria: NeedCriteria, params: NeedListParams) -> NeedList:
    """The same page for exports (jisr.exports.routes wraps this signature), in the request's session."""
    items, total = service.page(session.connection(), params=params, **criteria)
    return NeedList(items=items, total=total, limit=params.limit, offset=params.offset)  # type: ignore[arg-type]


@router.post(
    "",
    operation_id="needs-create",
    summary="Create a need",
    status_code=status.HTTP_201_CREATED,
    response_model=NeedPublic,
    responses=responses(401, 403, 404, 409, 422),
)
def create_need(principal: Editor, session: SessionDep, data: NeedCreate, response: Response) -> NeedPublic:
    """Members create needs for their own collectivity only, as `draft`, `open` or `closed`
    (`in_discussion` and `matched` are set by coordinators: 403, code `need_status_staff`)."""
    obj = service.create(session, data=data, actor=principal)
    session.commit()
    created(response, obj, "needs")
    return service.public(session, [obj])[0]


@router.get(
    "/{need_id}",
    operation_id="needs-get",
    summary="Read a need",
    response_model=NeedPublic,
    responses=responses(401, 404, 422),
)
def get_need(_: Authenticated, session: SessionDep, need_id: uuid.UUID, response: Response) -> NeedPublic:
    obj = service.get(session, need_id)
    set_etag(response, obj)
    return service.public(session, [obj])[0]


@router.patch(
    "/{need_id}",
    operation_id="needs-update",
    summary="Change a need",
    response_model=NeedPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_need(
    principal: Editor,
    session: SessionDep,
    need_id: uuid.UUID,
    data: NeedUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> NeedPublic:
    """Members change their own collectivity's needs. Statuses: members move a need between `draft`,
    `open` and `closed` (withdrawn); `in_discussion` and `matched` belong to coordinators, and a need in
    one of them changes status only through a coordinator (403, code `need_status_staff`)."""
    obj = service.get(session, need_id)
    service.update(
        session,
        obj,
        changes=changes_of(data),
        actor=principal,
        if_match=if_match,
    )
    session.commit()
    set_etag(response, obj)
    return service.public(session, [obj])[0]


@router.delete(
    "/{need_id}",
    operation_id="needs-delete",
    summary="Delete a need",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
)
def delete_need(principal: Editor, session: SessionDep, need_id: uuid.UUID) -> None:
    service.delete(session, service.get(session, need_id), actor=principal)
    session.commit()
