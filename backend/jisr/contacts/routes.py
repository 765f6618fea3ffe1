"""Contacts (personal data): coordinators and admins only."""

import uuid

from fastapi import APIRouter, Response, status

from jisr.auth.deps import Staff
from jisr.contacts import service
from jisr.contacts.models import Contact, ContactCreate, ContactList, ContactPublic, ContactUpdate
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.core.pagination import ListParamsDep, SearchQ
from jisr.core.routing import IfMatch, changes_of, created

router = APIRouter(prefix="/api/v1/contacts", tags=["contacts"])


@router.get(
    "",
    operation_id="contacts-list",
    summary="List contacts",
    response_model=ContactList,
    responses=responses(401, 403, 422),
)
def list_contacts(
    _: Staff,
    session: SessionDep,
    params: ListParamsDep,
    collectivity_id: uuid.UUID | None = None,
    active: bool | None = None,
    q: SearchQ = None,
) -> ContactList:
    items, total = service.list_(session, params=params, collectivity_id=collectivity_id, active=active, q=q)
    return ContactList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "",
    operation_id="contacts-create",
    summary="Create a contact",
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
