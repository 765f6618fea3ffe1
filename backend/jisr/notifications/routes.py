"""The outbox seen by admins: every message waiting, sent or dead (e-mails and webhooks), and retry."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlmodel import select

from jisr.auth.deps import AdminOnly
from jisr.core.crud import get_or_404
from jisr.core.db import SessionDep
from jisr.core.errors import responses
from jisr.core.pagination import ListParams, Page, list_params_sorted_by, paginate
from jisr.notifications import service as _emails  # noqa: F401  (registers the e-mail sender)
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem, OutboxItemPublic, OutboxStatus

SORTABLE = {"created_at": OutboxItem.created_at, "next_attempt_at": OutboxItem.next_attempt_at}
OutboxListParams = Annotated[ListParams, Depends(list_params_sorted_by(SORTABLE))]

router = APIRouter(prefix="/api/v1/outbox", tags=["outbox"])


class OutboxList(Page[OutboxItemPublic]):
    pass


@router.get(
    "",
    operation_id="outbox-list",
    summary="List outgoing messages (e-mails, webhook deliveries)",
    description="Filter `status=dead` for the dead letters, `status=pending` for what waits (e.g. no SMTP).",
    response_model=OutboxList,
    responses=responses(401, 403, 422),
)
def list_outbox(
    _: AdminOnly,
    session: SessionDep,
    params: OutboxListParams,
    status: Annotated[OutboxStatus | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=20, description="`email`, `webhook`…")] = None,
    target: Annotated[str | None, Query(max_length=500, description="An e-mail address, a webhook id…")] = None,
) -> OutboxList:
    stmt = select(OutboxItem)
    if status:
        stmt = stmt.where(OutboxItem.status == status.value)
    if kind:
        stmt = stmt.where(OutboxItem.kind == kind)
    if target:
        stmt = stmt.where(OutboxItem.target == target)
    rows, total = paginate(session, stmt, params, model=OutboxItem, sortable=SORTABLE, default="-created_at")
    items = [OutboxItemPublic.model_validate(r, from_attributes=True) for r in rows]
    return OutboxList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "/{item_id}/retry",
    operation_id="outbox-retry",
    summary="Send a message again",
    description="Puts a message (typically a dead one) back in line, due now, with its attempts reset.",
    response_model=OutboxItemPublic,
    responses=responses(401, 403, 404, 422),
)
def retry_item(_: AdminOnly, session: SessionDep, item_id: uuid.UUID) -> OutboxItemPublic:
    item = get_or_404(session, OutboxItem, item_id, "message")
    outbox.retry(session, item)
    session.commit()
    return OutboxItemPublic.model_validate(item, from_attributes=True)
