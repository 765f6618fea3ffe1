"""Contacts (personal data): coordinators and admins only."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from jisr.auth.deps import Staff
from jisr.auth.models import Role
from jisr.contacts import service
from jisr.contacts.models import ConsentFilter, Contact, ContactCreate, ContactList, ContactPublic, ContactUpdate
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import Forbidden, responses
from jisr.core.pagination import ListParams, SearchQ, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created

ContactListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.get(
    "",
    operation_id="contacts-list",
    summary="List contacts",
    description=(
        "Only contacts with a consent date (`consent_at`): nobody is listed without consent. Admins may ask "
        "`consent=missing` for the others, to collect their consent or erase them (`/personal-data/erase`)."
    ),
    response_model=ContactList,
    responses=responses(401, 403, 422),
)
def list_contacts(
    principal: Staff,
    session: SessionDep,
    params: ContactListParams,
    collectivity_id: uuid.UUID | None = None,
    active: bool | None = None,
    q: SearchQ = None,
    consent: Annotated[
        ConsentFilter, Query(description="`given` (default) or `missing` (admins only).")
    ] = ConsentFilter.given,
) -> ContactList:
    if consent == ConsentFilter.missing and principal.role != Role.admin:
        raise Forbidden("Only admins may list contacts without consent.")
    items, total = service.list_(
        session, params=params, collectivity_id=collectivity_id, active=active, q=q, consent=consent
    )
    return ContactList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "",
    operation_id="contacts-create",
    summary="Create a contact",
    description="`consent_at` is required: when the person agreed to be listed.",
    status_code=status.HTTP_201_CREATED,
    response_model=ContactPublic,
    responses=responses(401, 403, 404, 422),
)
def create_contact(_: Staff, session: SessionDep, data: ContactCreate, response: Response) -> Contact:
    obj = service.create(session, data=data)
    session.commit()
    created(response, obj, "contacts")
    return obj


@router.get(
    "/{contact_id}",
    operation_id="contacts-get",
    summary="Read a contact",
    response_model=ContactPublic,
    responses=responses(401, 403, 404, 422),
)
def get_contact(_: Staff, session: SessionDep, contact_id: uuid.UUID, response: Response) -> Contact:
    obj = service.get(session, contact_id)
    set_etag(response, obj)
    return obj


@router.patch(
    "/{contact_id}",
    operation_id="contacts-update",
    summary="Change a contact",
    response_model=ContactPublic,
    responses=responses(401, 403, 404, 412, 422),
)
def update_contact(
    _: Staff,
    session: SessionDep,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> Contact:
    obj = service.get(session, contact_id)
    service.update(session, obj, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, obj)
    return obj


@router.delete(
    "/{contact_id}",
    operation_id="contacts-delete",
    summary="Delete (erase) a contact",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
)
def delete_contact(_: Staff, session: SessionDep, contact_id: uuid.UUID) -> None:
    service.delete(session, service.get(session, contact_id))
    session.commit()
