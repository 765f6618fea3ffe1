"""Webhooks: admins register URLs for events; deliveries are signed, retried and logged."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from jisr.auth.deps import AdminOnly
from jisr.core.crud import get_or_404, set_etag
from jisr.core.db import SessionDep
from jisr.core.errors import NotFound, responses
from jisr.core.pagination import ListParams, list_params_sorted_by
from jisr.core.routing import IfMatch, changes_of, created
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem, OutboxItemPublic, OutboxStatus
from jisr.webhooks import service
from jisr.webhooks.models import (
    DeliveryList,
    WebhookCreate,
    WebhookList,
    WebhookPublic,
    WebhookUpdate,
    WebhookWithSecret,
)

WebhookListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.SORTABLE))]
DeliveryListParams = Annotated[ListParams, Depends(list_params_sorted_by(service.DELIVERY_SORTABLE))]

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

SIGNING = """

Every delivery is a `POST` of JSON `{"id", "type", "created_at", "data"}` with the headers
`Jisr-Event`, `Jisr-Delivery`, `Idempotency-Key` (the same on every retry: drop what you already
handled), `Jisr-Timestamp` (Unix seconds) and `Jisr-Signature: v1=<hex>`, the HMAC-SHA256 of
`<timestamp>.<raw body>` with the webhook's secret. Answer 2xx within 10 s; anything else is
retried with backoff (30 s, 2 min, 8 min, 32 min, 2 h, then every 6 h; 8 attempts in all).
"""


@router.get(
    "",
    operation_id="webhooks-list",
    summary="List webhooks",
    response_model=WebhookList,
    responses=responses(401, 403, 422),
)
def list_webhooks(_: AdminOnly, session: SessionDep, params: WebhookListParams) -> WebhookList:
    rows, total = service.list_(session, params=params)
    items = [WebhookPublic.model_validate(r, from_attributes=True) for r in rows]
    return WebhookList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "",
    operation_id="webhooks-create",
    summary="Register a webhook",
    description="Events: `need.created`, `need.updated`, `match.status_changed`, `partnership.formed`, "
    "`import.finished`." + SIGNING,
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookWithSecret,
    responses=responses(401, 403, 422),
)
def create_webhook(_: AdminOnly, session: SessionDep, data: WebhookCreate, response: Response) -> WebhookWithSecret:
    obj = service.create(session, data=data)
    session.commit()
    created(response, obj, "webhooks")
    return WebhookWithSecret.model_validate(obj, from_attributes=True)


@router.get(
    "/{webhook_id}",
    operation_id="webhooks-get",
    summary="Read a webhook",
    response_model=WebhookPublic,
    responses=responses(401, 403, 404, 422),
)
def get_webhook(_: AdminOnly, session: SessionDep, webhook_id: uuid.UUID, response: Response) -> WebhookPublic:
    obj = service.get(session, webhook_id)
    set_etag(response, obj)
    return WebhookPublic.model_validate(obj, from_attributes=True)


@router.patch(
    "/{webhook_id}",
    operation_id="webhooks-update",
    summary="Change a webhook",
    description="Setting `secret` rotates the signing key for every delivery sent from then on.",
    response_model=WebhookPublic,
    responses=responses(401, 403, 404, 412, 422),
)
def update_webhook(
    _: AdminOnly,
    session: SessionDep,
    webhook_id: uuid.UUID,
    data: WebhookUpdate,
    response: Response,
    if_match: IfMatch = None,
) -> WebhookPublic:
    obj = service.get(session, webhook_id)
    service.update(session, obj, changes=changes_of(data), if_match=if_match)
    session.commit()
    set_etag(response, obj)
    return WebhookPublic.model_validate(obj, from_attributes=True)


@router.delete(
    "/{webhook_id}",
    operation_id="webhooks-delete",
    summary="Delete a webhook",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404, 422),
)
def delete_webhook(_: AdminOnly, session: SessionDep, webhook_id: uuid.UUID) -> None:
    service.delete(session, service.get(session, webhook_id))
    session.commit()


@router.get(
    "/{webhook_id}/deliveries",
    operation_id="webhooks-deliveries",
    summary="Delivery log of a webhook",
    description="Newest first: status (`pending`, `sent`, `dead`), attempts, next attempt, last error.",
    response_model=DeliveryList,
    responses=responses(401, 403, 404, 422),
)
def list_deliveries(
    _: AdminOnly,
    session: SessionDep,
    webhook_id: uuid.UUID,
    params: DeliveryListParams,
    status: Annotated[OutboxStatus | None, Query()] = None,
) -> DeliveryList:
    obj = service.get(session, webhook_id)
    items, total = service.deliveries(session, obj, params=params, status=status)
    return DeliveryList(items=items, total=total, limit=params.limit, offset=params.offset)


@router.post(
    "/{webhook_id}/ping",
    operation_id="webhooks-ping",
    summary="Send a test event",
    description="Queues a `ping` event for this webhook alone (whatever events it subscribes to).",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(401, 403, 404, 422),
)
def ping_webhook(_: AdminOnly, session: SessionDep, webhook_id: uuid.UUID) -> dict[str, int]:
    obj = service.get(session, webhook_id)
    queued = service.emit(session, "ping", {"webhook_id": str(obj.id)}, only=obj.id)
    session.commit()
    return {"queued": queued}


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    operation_id="webhooks-retry",
    summary="Send a delivery again",
    description="Puts a delivery (typically a dead one) back in line, due now, with its attempts reset.",
    response_model=OutboxItemPublic,
    responses=responses(401, 403, 404, 422),
)
def retry_delivery(
    _: AdminOnly, session: SessionDep, webhook_id: uuid.UUID, delivery_id: uuid.UUID
) -> OutboxItemPublic:
    item = get_or_404(session, OutboxItem, delivery_id, "delivery")
    if item.kind != service.KIND or item.target != str(webhook_id):
        raise NotFound(f"No delivery {delivery_id} for webhook {webhook_id}.")
    outbox.retry(session, item)
    session.commit()
    return OutboxItemPublic.model_validate(item, from_attributes=True)
