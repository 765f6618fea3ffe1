"""Tokens, the current caller, users and API clients."""

import uuid
from enum import Enum
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request, Response, status

from jisr.auth import service
from jisr.auth.deps import AdminOnly, Authenticated
from jisr.auth.models import (
    ApiClientCreate,
    ApiClientList,
    ApiClientPublic,
    ApiClientUpdate,
    ApiClientWithSecret,
    Me,
    Role,
    Token,
    UserCreate,
    UserList,
    UserPublic,
    UserUpdate,
)
from jisr.core.crud import set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import AppError, Invalid, Unauthorized, responses
from jisr.core.pagination import ListParams, SearchQ, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created
from jisr.notifications import service as notify

UserListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.USER_SORTABLE))]
ClientListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.CLIENT_SORTABLE))]

router = APIRouter(prefix="/api/v1")
AUTH: list[str | Enum] = ["auth"]
USERS: list[str | Enum] = ["users"]
CLIENTS: list[str | Enum] = ["api-clients"]


@router.post(
    "/auth/token",
    tags=AUTH,
    operation_id="auth-token",
    summary="Get an access token",
    response_model=Token,
    responses=responses(401, 422, 429),
    description="OAuth2 form: `grant_type=password` with `username` (e-mail) and `password`, "
    "or `grant_type=client_credentials` with `client_id` and `client_secret`.",
)
def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[Literal["password", "client_credentials"], Form()],
    username: Annotated[str | None, Form(max_length=254)] = None,
    password: Annotated[str | None, Form(max_length=200)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=200)] = None,
    scope: Annotated[str, Form(max_length=200)] = "",
) -> Token:
    address = request.client.host if request.client else "unknown"
    try:
        if grant_type == "password":
            if not username or not password:
                raise Invalid("username and password are required for grant_type=password.")
            principal = service.login_password(session, email=username, password=password, address=address)
        else:
            if not client_id or not client_secret:
                raise Invalid("client_id and client_secret are required for grant_type=client_credentials.")
            principal = service.login_client(session, client_id=client_id, client_secret=client_secret, address=address)
    except AppError as exc:
        if grant_type == "password" and username and isinstance(exc, Unauthorized):
            attack = service.attack_on(session, email=username)
            if attack is not None:
                notify.login_alert(session, attack=attack)
        session.commit()  # keep the record of the failure for throttling
        raise
    session.commit()
    access_token, expires_in = service.issue_token(principal)
    return Token(access_token=access_token, expires_in=expires_in)


@router.get(
    "/auth/me", tags=AUTH, operation_id="auth-me", summary="Who am I", response_model=Me, responses=responses(401)
)
def me(principal: Authenticated) -> Me:
    is_user = principal.kind == "user"
    return Me(
        kind=principal.kind,
        id=principal.id,
        role=principal.role,
        email=principal.label if is_user else None,
        client_id=None if is_user else principal.label,
        full_name=principal.full_name,
        collectivity_id=principal.collectivity_id,
        language=principal.language,
    )


# --- users -------------------------------------------------------------------------------


@router.get(
    "/users",
    tags=USERS,
    operation_id="users-list",
    summary="List users",
    response_model=UserList,
    responses=responses(401, 403, 422),
)
def list_users(
    _: AdminOnly, session: SessionDep, params: UserListParams, role: Role | None = None, q: SearchQ = None
) -> UserList:
    items, total = service.list_users(session, params=params, role=role, q=q)
    return UserList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "/users",
    tags=USERS,
    operation_id="users-create",
    summary="Create a user",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPublic,
    responses=responses(401, 403, 409, 422),
)
def create_user(_: AdminOnly, session: SessionDep, data: UserCreate, response: Response) -> UserPublic:
    user = service.create_user(session, data=data)
    session.commit()
    created(response, user, "users")
    return UserPublic.model_validate(user)


@router.get(
    "/users/{user_id}",
    tags=USERS,
    operation_id="users-get",
    summary="Read a user",
    response_model=UserPublic,
    responses=responses(401, 403, 404, 422),
)
def get_user(_: AdminOnly, session: SessionDep, user_id: uuid.UUID, response: Response) -> UserPublic:
    user = service.get_user(session, user_id)
    set_etag(response, user)
    return UserPublic.model_validate(user)


@router.patch(
    "/users/{user_id}",
    tags=USERS,
    operation_id="users-update",
    summary="Change a user",
    response_model=UserPublic,
    responses=responses(401, 403, 404, 409, 412, 422),
)
def update_user(
    _: AdminOnly,
    session: SessionDep,
    user_id: uuid.UUID,
    data: UserUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> UserPublic:
    user = service.get_user(session, user_id)
    service.update_user(session, user, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, user)
    return UserPublic.model_validate(user)


@router.delete(
    "/users/{user_id}",
    tags=USERS,
    operation_id="users-delete",
    summary="Delete a user",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 409, 422),
)
def delete_user(principal: AdminOnly, session: SessionDep, user_id: uuid.UUID) -> None:
    service.delete_user(session, service.get_user(session, user_id), by=principal)
    session.commit()


# --- API clients -------------------------------------------------------------------------


@router.get(
    "/api-clients",
    tags=CLIENTS,
    operation_id="api-clients-list",
    summary="List API clients",
    response_model=ApiClientList,
    responses=responses(401, 403, 422),
)
def list_clients(_: AdminOnly, session: SessionDep, params: ClientListParams) -> ApiClientList:
    items, total = service.list_clients(session, params=params)
    return ApiClientList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "/api-clients",
    tags=CLIENTS,
    operation_id="api-clients-create",
    summary="Create an API client (its secret is shown once)",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiClientWithSecret,
    responses=responses(401, 403, 422),
)
def create_client(_: AdminOnly, session: SessionDep, data: ApiClientCreate, response: Response) -> ApiClientWithSecret:
    client, secret = service.create_client(session, data=data)
    session.commit()
    created(response, client, "api-clients")
    return ApiClientWithSecret(**ApiClientPublic.model_validate(client).model_dump(), client_secret=secret)


@router.get(
    "/api-clients/{client_id}",
    tags=CLIENTS,
    operation_id="api-clients-get",
    summary="Read an API client",
    response_model=ApiClientPublic,
    responses=responses(401, 403, 404, 422),
)
def get_client(_: AdminOnly, session: SessionDep, client_id: uuid.UUID, response: Response) -> ApiClientPublic:
    client = service.get_client(session, client_id)
    set_etag(response, client)
    return ApiClientPublic.model_validate(client)


@router.patch(
    "/api-clients/{client_id}",
    tags=CLIENTS,
    operation_id="api-clients-update",
    summary="Change an API client",
    response_model=ApiClientPublic,
    responses=responses(401, 403, 404, 412, 422),
)
def update_client(
    _: AdminOnly,
    session: SessionDep,
    client_id: uuid.UUID,
    data: ApiClientUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> ApiClientPublic:
    client = service.get_client(session, client_id)
    service.update_client(session, client, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, client)
    return ApiClientPublic.model_validate(client)


@router.post(
    "/api-clients/{client_id}/secret",
    tags=CLIENTS,
    operation_id="api-clients-rotate-secret",
    summary="Replace an API client's secret (shown once)",
    response_model=ApiClientWithSecret,
    responses=responses(401, 403, 404, 422),
)
def rotate_secret(_: AdminOnly, session: SessionDep, client_id: uuid.UUID) -> ApiClientWithSecret:
    client = service.get_client(session, client_id)
    secret = service.rotate_client_secret(session, client)
    session.commit()
    return ApiClientWithSecret(**ApiClientPublic.model_validate(client).model_dump(), client_secret=secret)


@router.delete(
    "/api-clients/{client_id}",
    tags=CLIENTS,
    operation_id="api-clients-delete",
    summary="Delete an API client",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
)
def delete_client(_: AdminOnly, session: SessionDep, client_id: uuid.UUID) -> None:
    session.delete(service.get_client(session, client_id))
    session.commit()
