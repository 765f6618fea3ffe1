"""Webhook subscriptions, event emission into the outbox, and the signed HTTP delivery.

Emitting writes one outbox message per matching subscription in the caller's transaction; the worker
delivers it. Each delivery is a POST of JSON with these headers:

- ``Jisr-Event``: the event type (``need.created``…)
- ``Jisr-Delivery``: the delivery id (the same on every retry)
- ``Idempotency-Key``: unique per event and subscription (the same on every retry)
- ``Jisr-Timestamp``: Unix seconds at sending
- ``Jisr-Signature``: ``v1=`` + hex HMAC-SHA256(secret, timestamp + "." + raw body)

The receiver recomputes the signature over the raw body, compares in constant time, and refuses
timestamps older than a few minutes (replays).
"""

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
from pydantic import BaseModel
from sqlmodel import Session, col, select

from jisr.core.config import get_settings
from jisr.core.crud import get_or_404, save_changes
from jisr.core.db import utcnow
from jisr.core.errors import Invalid
from jisr.core.netguard import Allowed, Destination, RefusedDestination
from jisr.core.netguard import check as check_destination
from jisr.core.pagination import ListParams, paginate
from jisr.core.security import new_secret
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem, OutboxItemPublic
from jisr.webhooks.models import WebhookCreate, WebhookEvent, WebhookSubscription

KIND = "webhook"
USER_AGENT = "Jisr-Webhooks/1"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Jisr-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """What a receiver does (kept here for the tests and the README)."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


# --- subscriptions -----------------------------------------------------------------------


def _allowed() -> Allowed:
    return Allowed.parse(get_settings().webhook_allowed_hosts)


def check_url(url: str) -> None:
    """Refuse a URL whose host is, or resolves to, a non-public address (unless the operator allowed it)."""
    try:
        check_destination(url, allowed=_allowed(), unresolved_ok=True)
    except RefusedDestination as exc:
        raise Invalid(
            f"Webhook URL refused: {exc}. Webhooks go to public addresses only; an operator may allow "
            "a private host with JISR_WEBHOOK_ALLOWED_HOSTS.",
            errors=[{"loc": ["body", "url"], "msg": str(exc)}],
        ) from exc


def create(session: Session, *, data: WebhookCreate) -> WebhookSubscription:
    check_url(data.url)
    values = data.model_dump()
    values["secret"] = values.get("secret") or new_secret(32)
    values["events"] = list(dict.fromkeys(values["events"]))
    obj = WebhookSubscription(**values)
    session.add(obj)
    session.flush()
    return obj


def get(session: Session, id: uuid.UUID) -> WebhookSubscription:
    return get_or_404(session, WebhookSubscription, id, "webhook")


def update(
    session: Session, obj: WebhookSubscription, *, changes: dict[str, Any], if_match: str | None
) -> WebhookSubscription:
    if changes.get("secret") is None:
        changes.pop("secret", None)
    if changes.get("url") is not None:
        check_url(changes["url"])
    if "events" in changes:
        changes["events"] = list(dict.fromkeys(changes["events"]))
    return save_changes(session, obj, changes, if_match=if_match)


def delete(session: Session, obj: WebhookSubscription) -> None:
    session.delete(obj)
    session.flush()


SORTABLE = {"url": WebhookSubscription.url, "created_at": WebhookSubscription.created_at}
DELIVERY_SORTABLE = {"created_at": OutboxItem.created_at, "next_attempt_at": OutboxItem.next_attempt_at}


def list_(session: Session, *, params: ListParams) -> tuple[list[WebhookSubscription], int]:
    return paginate(
        session, select(WebhookSubscription), params, model=WebhookSubscription, sortable=SORTABLE, default="created_at"
    )


def deliveries(
    session: Session, obj: WebhookSubscription, *, params: ListParams, status: str | None
) -> tuple[list[OutboxItemPublic], int]:
    stmt = select(OutboxItem).where(OutboxItem.kind == KIND, OutboxItem.target == str(obj.id))
    if status:
        stmt = stmt.where(OutboxItem.status == status)
    rows, total = paginate(session, stmt, params, model=OutboxItem, sortable=DELIVERY_SORTABLE, default="-created_at")
    return [OutboxItemPublic.model_validate(r, from_attributes=True) for r in rows], total


# --- events ------------------------------------------------------------------------------


def _subscribers(session: Session, event: str) -> list[WebhookSubscription]:
    subs = session.exec(select(WebhookSubscription).where(col(WebhookSubscription.active).is_(True)))
    return [s for s in subs if event in s.events]


def has_subscribers(session: Session, event: WebhookEvent | str) -> bool:
    return bool(_subscribers(session, str(event)))


def _jsonable(data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    if isinstance(data, BaseModel):
        return dict(data.model_dump(mode="json"))
    return json.loads(json.dumps(data, default=str))  # type: ignore[no-any-return]


def emit(
    session: Session,
    event: WebhookEvent | str,
    data: BaseModel | dict[str, Any],
    *,
    key: str | None = None,
    only: uuid.UUID | None = None,
) -> int:
    """Queue ``event`` for every active subscription that wants it, in the caller's transaction.

    ``key`` makes the event idempotent (the same key twice is delivered once per subscription).
    Returns how many deliveries were queued.
    """
    return emit_many(session, event, [data], keys=[key] if key else None, only=only)


def emit_many(
    session: Session,
    event: WebhookEvent | str,
    items: list[BaseModel | dict[str, Any]],
    *,
    keys: list[str] | None = None,
    only: uuid.UUID | None = None,
) -> int:
    """The same event for many objects, in one INSERT (used by imports)."""
    event = str(event)
    subs = [get(session, only)] if only is not None else _subscribers(session, event)
    if not subs or not items:
        return 0
    now = utcnow().isoformat()
    messages = []
    for i, data in enumerate(items):
        event_id = keys[i] if keys else uuid.uuid4().hex
        body = {"id": event_id, "type": event, "created_at": now, "data": _jsonable(data)}
        for sub in subs:
            messages.append(
                {
                    "kind": KIND,
                    "key": f"{event}:{event_id}:{sub.id}",
                    "target": str(sub.id),
                    "payload": {"event": event, "body": body},
                }
            )
    outbox.enqueue_many(session, messages)
    return len(messages)


# --- delivery ----------------------------------------------------------------------------


def deliver(session: Session, item: OutboxItem) -> None:
    """POST one delivery, signed with the subscription's current secret. Raises when not 2xx."""
    try:
        sub = session.get(WebhookSubscription, uuid.UUID(item.target))
    except ValueError as exc:
        raise outbox.PermanentFailure("bad webhook target") from exc
    if sub is None:
        raise outbox.PermanentFailure("the webhook was deleted")
    if not sub.active:
        raise outbox.PermanentFailure("the webhook is inactive")
    body = json.dumps(item.payload["body"], ensure_ascii=False, separators=(",", ":")).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Jisr-Event": str(item.payload["event"]),
        "Jisr-Delivery": str(item.id),
        "Idempotency-Key": item.idempotency_key,
        "Jisr-Timestamp": str(timestamp),
        "Jisr-Signature": sign(sub.secret, timestamp, body),
    }
    try:
        destination = check_destination(sub.url, allowed=_allowed())
    except RefusedDestination as exc:
        raise outbox.PermanentFailure(f"refused: {exc}") from exc
    url, extensions = _pinned(destination, headers)
    timeout = get_settings().webhook_timeout_seconds
    try:
        # No proxy from the environment (it would connect by name, past the check), no redirect.
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request("POST", url, content=body, headers=headers, extensions=extensions)
            response = client.send(request)
    except httpx.TimeoutException as exc:
        raise RuntimeError("no answer in time") from exc
    except httpx.HTTPError as exc:
        # One short reason for every way of not reaching the receiver (not a port scanner's oracle).
        raise RuntimeError("could not deliver (connection failed)") from exc
    if not 200 <= response.status_code < 300:
        # The status only: the answer's body is the receiver's business, not something to show back.
        raise RuntimeError(f"HTTP {response.status_code}")


def _pinned(destination: Destination, headers: dict[str, str]) -> tuple[str | httpx.URL, dict[str, Any]]:
    """Connect to the address that was checked (not to a second, possibly different, DNS answer)."""
    if not destination.addresses:  # a host the operator allowed by name
        return destination.url, {}
    address = destination.addresses[0]
    original = httpx.URL(destination.url)
    if address == destination.host.strip("[]"):
        return original, {}
    headers["Host"] = original.netloc.decode("ascii").rsplit("@", 1)[-1]
    extensions = {"sni_hostname": destination.host} if destination.scheme == "https" else {}
    return original.copy_with(host=address), extensions


outbox.register_sender(KIND, deliver)
