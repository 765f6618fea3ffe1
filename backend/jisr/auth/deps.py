"""Who is calling, and may they: dependencies used by every router."""

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import Connection
from sqlmodel import Session

from jisr.audit import service as audit
from jisr.auth import service
from jisr.auth.models import Role
from jisr.auth.service import Principal
from jisr.core import security
from jisr.core.db import SessionDep
from jisr.core.errors import Forbidden, Unauthorized
from jisr.core.security import BEARER

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


BearerToken = Annotated[str | None, Depends(oauth2)]


async def bearer_required(token: BearerToken) -> str:
    """The bearer token, or 401 before the query is even validated (as for every other route): the list
    fast path checks the token itself later, in its one threadpool hop."""
    if not token:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.", headers=BEARER)
    return token


RequiredBearer = Annotated[str, Depends(bearer_required)]


def authenticate(db: Session | Connection, token: str | None) -> Principal:
    """The caller behind ``token`` (401 when there is none or it is not valid); for read routes that
    take ``RequiredBearer`` and check it in their one threadpool hop (``core.pagination.json_answer``)."""
    if not token:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <token>'.", headers=BEARER)
    return service.principal_from_token(db, token)


def answer_key(token: str, *request: Any) -> bytes:
    """The key of a list answer that may be given again (``core.pagination.json_answer``): the token
    and the request. A cached answer skips ``authenticate``: the token's signature and expiry are checked
    here, now; its account is read in the answer's snapshot, so a change to it is a new snapshot. A 128-bit
    digest: the cache's size counts it, and a collision is out of reach."""
    security.decode_token(token)
    return hashlib.blake2b(repr((token, *request)).encode(), digest_size=16).digest()


def current_principal(session: SessionDep, token: BearerToken) -> Principal:
    principal = authenticate(session, token)
    audit.use_principal(session, principal)  # the audit trail names who wrote (jisr.audit.service)
    return principal


def require(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"Your role ({principal.role.value}) may not do this.")
        return principal

    return check


Authenticated = Annotated[Principal, Depends(current_principal)]
Staff = Annotated[Principal, Depends(require(Role.admin, Role.coordinator))]
AdminOnly = Annotated[Principal, Depends(require(Role.admin))]
Editor = Annotated[Principal, Depends(require(Role.admin, Role.coordinator, Role.member))]
"""Admins, coordinators, and members (who are further limited to their own collectivity)."""


def ensure_own_collectivity(principal: Principal, collectivity_id: object) -> None:
    """Members act only on their own collectivity; staff act on any."""
    if principal.is_staff:
        return
    if principal.role != Role.member or principal.collectivity_id != collectivity_id:
        raise Forbidden("You may only change your own collectivity and its needs.")
