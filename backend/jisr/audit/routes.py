"""The audit trail, for admins: read only. There is no write operation (PATCH, DELETE, POST: 405)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from jisr.audit import service
from jisr.audit.models import AuditEntry, AuditList, AuditPublic
from jisr.auth.deps import AdminOnly
from jisr.core.db import SessionDep
from jisr.core.errors import NotFound, responses
from jisr.core.models import AwareUTC
from jisr.core.pagination import ListParams, list_params_sorted_by

AuditListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get(
    "",
    operation_id="audit-list",
    summary="List audit entries (who wrote what, when)",
    description=(
        "Newest first by default (`sort=at` for oldest first). `actor` is a user or API client id, a label "
        "(e-mail, client id) or a kind (`system`, `anonymous`). `since`/`until` bound `at` (until excluded)."
    ),
    response_model=AuditList,
    responses=responses(401, 403, 422),
)
def list_audit(
    _: AdminOnly,
    session: SessionDep,
    params: AuditListParams,
    resource_type: Annotated[str | None, Query(max_length=40, description="`contacts`, `needs`…")] = None,
    resource_id: uuid.UUID | None = None,
    actor: Annotated[str | None, Query(max_length=254)] = None,
    action: Annotated[
        str | None, Query(max_length=20, description="`create`, `update`, `delete`, `bulk`, `erasure`, `alert`")
    ] = None,
    since: Annotated[AwareUTC | None, Query(description="At or after this instant (ISO 8601 with an offset).")] = None,
    until: Annotated[AwareUTC | None, Query(description="Before this instant (ISO 8601 with an offset).")] = None,
) -> AuditList:
    rows, total = service.list_(
        session,
        params=params,
        resource_type=resource_type,
        resource_id=resource_id,
        actor=actor,
        action=action,
        since=since,
        until=until,
    )
    items = [AuditPublic.model_validate(r, from_attributes=True) for r in rows]
    return AuditList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.get(
    "/{entry_id}",
    operation_id="audit-get",
    summary="Read an audit entry",
    response_model=AuditPublic,
    responses=responses(401, 403, 404, 422),
)
def get_audit(_: AdminOnly, session: SessionDep, entry_id: uuid.UUID) -> AuditPublic:
    entry = session.get(AuditEntry, entry_id)
    if entry is None:
        raise NotFound(f"No audit entry with id {entry_id}.")
    return AuditPublic.model_validate(entry, from_attributes=True)
