"""The directory of collectivities, and Lebanon's administrative divisions."""

import uuid
from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy import Connection

from jisr.auth.deps import Authenticated, RequiredBearer, Staff, answer_key, authenticate, ensure_own_collectivity
from jisr.collectivities import service
from jisr.collectivities.geography import Governorate, lebanon
from jisr.collectivities.models import (
    Capacity,
    CollectivityCreate,
    CollectivityList,
    CollectivityPublic,
    CollectivityUpdate,
    Country,
    Kind,
)
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.core.pagination import Ids, ListParams, SearchQ, envelope, json_answer, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created

CollectivityListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1")
TAGS: list[str | Enum] = ["collectivities"]
Slug = Annotated[str | None, Query(max_length=80, description="A tag slug; its sub-themes count too.")]


async def collectivity_criteria(
    country: Country | None = None,
    kind: Kind | None = None,
    governorate: Annotated[str | None, Query(max_length=8)] = None,
    district: Annotated[str | None, Query(max_length=100)] = None,
    region: Annotated[str | None, Query(max_length=3)] = None,
    departement: Annotated[str | None, Query(max_length=3)] = None,
    code: Annotated[str | None, Query(max_length=20)] = None,
    parent_id: uuid.UUID | None = None,
    capacity: Capacity | None = None,
    tag: Slug = None,
    expertise: Slug = None,
    interest: Slug = None,
    external_ref: Annotated[
        str | None,
        Query(max_length=250, pattern=r"^[a-z][a-z0-9_-]*:.+$", description="`source:value`, e.g. `cuf:C-1234`."),
    ] = None,
    q: SearchQ = None,
    id: Ids = None,  # noqa: A002 (the query parameter's name)
) -> dict[str, Any]:
    """The list's filters, as ``service.page`` takes them."""
    filters = {
        "country": country,
        "kind": kind,
        "governorate": governorate,
        "district": district,
        "region": region,
        "departement": departement,
        "code": code,
        "parent_id": parent_id,
        "capacity": capacity,
    }
    return {
        "filters": filters,
        "tag": tag,
        "expertise": expertise,
        "interest": interest,
        "external_ref": external_ref,
        "q": q,
        "ids": id,
    }


CollectivityCriteria = Annotated[dict[str, Any], Depends(collectivity_criteria)]


@router.get(
    "/collectivities",
    tags=TAGS,
    operation_id="collectivities-list",
    summary="List collectivities",
    response_model=CollectivityList,
    responses=responses(401, 404, 422),
)
async def collectivities_page(
    token: RequiredBearer, criteria: CollectivityCriteria, params: CollectivityListParams
) -> Response:
    """`q` matches the name, Arabic name, other spellings and code, ignoring case and accents."""

    # The list fast path (core.pagination): one threadpool hop, one statement for the page, or
    # none while the database has not changed.
    def answer(conn: Connection) -> dict[str, Any]:
        authenticate(conn, token)
        return envelope(*service.page(conn, params=params, **criteria), params)

    return await json_answer(answer, key=answer_key(token, "collectivities", criteria, params))


def list_collectivities(
    _: Authenticated, session: SessionDep, criteria: CollectivityCriteria, params: CollectivityListParams
) -> CollectivityList:
    """The same page for exports (jisr.exports.routes wraps this signature), in the request's session."""
    items, total = service.page(session.connection(), params=params, **criteria)
    return CollectivityList(items=items, total=total, limit=params.limit, offset=params.offset)  # type: ignore[arg-type]


@router.post(
    "/collectivities",
    tags=TAGS,
    operation_id="collectivities-create",
    summary="Create a collectivity",
    status_code=status.HTTP_201_CREATED,
    response_model=CollectivityPublic,
    responses=responses(401, 403, 409, 422),
)
def create_collectivity(
    _: Staff, session: SessionDep, data: CollectivityCreate, response: Response
) -> CollectivityPublic:
    obj = service.create(session, data=data)
    session.commit()
    created(response, obj, "collectivities")
    return service.public(session, [obj])[0]


@router.get(
    "/collectivities/{collectivity_id}",
    tags=TAGS,
    operation_id="collectivities-get",
    summary="Read a collectivity",
    response_model=CollectivityPublic,
    responses=responses(401, 404, 422),
)
def get_collectivity(
    _: Authenticated, session: SessionDep, collectivity_id: uuid.UUID, response: Response
) -> CollectivityPublic:
    obj = service.get(session, collectivity_id)
    set_etag(response, obj)
    return service.public(session, [obj])[0]


@router.patch(
    "/collectivities/{collectivity_id}",
    tags=TAGS,
    operation_id="collectivities-update",
    summary="Change a collectivity",
    response_model=CollectivityPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_collectivity(
    principal: Authenticated,
    session: SessionDep,
    collectivity_id: uuid.UUID,
    data: CollectivityUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> CollectivityPublic:
    """Coordinators change any collectivity; a member changes the profile of its own."""
    obj = service.get(session, collectivity_id)
    ensure_own_collectivity(principal, obj.id)
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
    "/collectivities/{collectivity_id}",
    tags=TAGS,
    operation_id="collectivities-delete",
    summary="Delete a collectivity",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
)
def delete_collectivity(_: Staff, session: SessionDep, collectivity_id: uuid.UUID) -> None:
    """409 while needs, contacts, partnerships or users still refer to it."""
    service.delete(session, service.get(session, collectivity_id))
    session.commit()


@router.get(
    "/reference/lebanon",
    tags=["reference"],
    operation_id="reference-lebanon",
    summary="Lebanon's governorates and districts",
    response_model=list[Governorate],
    responses=responses(401),
)
def lebanon_reference(_: Authenticated) -> list[Governorate]:
    return list(lebanon().values())
