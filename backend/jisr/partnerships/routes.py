"""Partnerships: active, dormant (candidates for relaunch), ended, planned."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from jisr.auth.deps import Authenticated, Staff
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.core.pagination import ListParams, SearchQ, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created
from jisr.partnerships import service
from jisr.partnerships.models import (
    PartnershipCreate,
    PartnershipList,
    PartnershipPublic,
    PartnershipStatus,
    PartnershipUpdate,
)

PartnershipListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1/partnerships", tags=["partnerships"])


@router.get(
    "",
    operation_id="partnerships-list",
    summary="List partnerships",
    response_model=PartnershipList,
    responses=responses(401, 404, 422),
)
def list_partnerships(
    _: Authenticated,
    session: SessionDep,
    params: PartnershipListParams,
    status: PartnershipStatus | None = None,
    french_collectivity_id: uuid.UUID | None = None,
    lebanese_collectivity_id: uuid.UUID | None = None,
    collectivity_id: Annotated[uuid.UUID | None, Query(description="Either side.")] = None,
    tag: Annotated[str | None, Query(max_length=80)] = None,
    q: SearchQ = None,
) -> PartnershipList:
    filters = {
        "status": status,
        "french_collectivity_id": french_collectivity_id,
        "lebanese_collectivity_id": lebanese_collectivity_id,
    }
    rows, total = service.list_(session, params=params, filters=filters, collectivity_id=collectivity_id, tag=tag, q=q)
    return PartnershipList(items=service.public(session, rows), total=total, limit=params.limit, offset=params.offset)


@router.post(
    "",
    operation_id="partnerships-create",
    summary="Record a partnership",
    status_code=status.HTTP_201_CREATED,
    response_model=PartnershipPublic,
    responses=responses(401, 403, 404, 409, 422),
)
def create_partnership(_: Staff, session: SessionDep, data: PartnershipCreate, response: Response) -> PartnershipPublic:
    obj = service.create(session, data=data)
    session.commit()
    created(response, obj, "partnerships")
    return service.public(session, [obj])[0]


@router.get(
    "/{partnership_id}",
    operation_id="partnerships-get",
    summary="Read a partnership",
    response_model=PartnershipPublic,
    responses=responses(401, 404, 422),
)
def get_partnership(
    _: Authenticated, session: SessionDep, partnership_id: uuid.UUID, response: Response
) -> PartnershipPublic:
    obj = service.get(session, partnership_id)
    set_etag(response, obj)
    return service.public(session, [obj])[0]


@router.patch(
    "/{partnership_id}",
    operation_id="partnerships-update",
    summary="Change a partnership",
    response_model=PartnershipPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_partnership(
    _: Staff,
    session: SessionDep,
    partnership_id: uuid.UUID,
    data: PartnershipUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> PartnershipPublic:
    obj = service.get(session, partnership_id)
    service.update(session, obj, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, obj)
    return service.public(session, [obj])[0]


@router.delete(
    "/{partnership_id}",
    operation_id="partnerships-delete",
    summary="Delete a partnership",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
)
def delete_partnership(_: Staff, session: SessionDep, partnership_id: uuid.UUID) -> None:
    service.delete(session, service.get(session, partnership_id))
    session.commit()
