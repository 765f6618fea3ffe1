"""Enqueue messages in the transaction of the change; send the due ones with retries and backoff."""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from jisr.core.db import insert_for, new_session, utcnow
from jisr.outbox.models import OutboxItem, OutboxStatus

log = logging.getLogger("jisr.outbox")

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 6 * 3600
LEASE_SECONDS = 300

Sender = Callable[[Session, OutboxItem], None]
_SENDERS: dict[str, Sender] = {}


class PermanentFailure(Exception):
    """The message can never be delivered (its target is gone): no retry."""


class Deferred(Exception):
    """The sender cannot send now (e.g. no SMTP configured): the message stays pending, the try uncounted."""


def register_sender(kind: str, sender: Sender) -> None:
    """``sender(session, item)`` delivers one message or raises; the worker retries it later."""
    _SENDERS[kind] = sender


def backoff(attempts: int) -> timedelta:
    """Delay before the next try after ``attempts`` failed tries: 30 s, 2 min, 8 min, 32 min, 2 h, 6 h…"""
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 4 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def enqueue(
    session: Session,
    *,
    kind: str,
    key: str,
    payload: dict[str, Any],
    target: str = "",
    at: datetime | None = None,
) -> None:
    """Store a message once per idempotency key (a second enqueue with the same key does nothing)."""
    enqueue_many(session, [{"kind": kind, "key": key, "payload": payload, "target": target, "at": at}])


def enqueue_many(session: Session, messages: list[dict[str, Any]]) -> None:
    """One INSERT … ON CONFLICT DO NOTHING for many messages (keys: kind, key, payload, target, at)."""
    if not messages:
        return
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "kind": m["kind"],
            "idempotency_key": m["key"],
            "target": m.get("target") or "",
            "payload": m["payload"],
            "status": OutboxStatus.pending.value,
            "attempts": 0,
            "next_attempt_at": m.get("at") or now,
        }
        for m in messages
    ]
    stmt = insert_for(session, OutboxItem).on_conflict_do_nothing(index_elements=["idempotency_key"])
    session.execute(stmt, rows)


@dataclass
class RunStats:
    sent: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.dead


def _claim(session: Session, now: datetime, limit: int, kinds: list[str] | None) -> list[uuid.UUID]:
    """Take due messages for this worker: locked rows are skipped, claimed ones leased for a while."""
    stmt = (
        select(OutboxItem)
        .where(OutboxItem.status == OutboxStatus.pending.value, OutboxItem.next_attempt_at <= now)
        .order_by(col(OutboxItem.next_attempt_at))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if kinds:
        stmt = stmt.where(col(OutboxItem.kind).in_(kinds))
    items = list(session.exec(stmt))
    for item in items:
        item.attempts += 1
        item.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
        session.add(item)
    session.commit()
    return [item.id for item in items]


def run_due(
    *,
    now: datetime | None = None,
    limit: int = 100,
    kinds: list[str] | None = None,
    session_factory: Callable[[], Session] = new_session,
) -> RunStats:
    """Send the messages that are due; failed ones come back after a backoff, then die after MAX_ATTEMPTS.

    Safe to run in several workers at once: each claims rows with SKIP LOCKED and a lease.
    """
    now = now or utcnow()
    stats = RunStats()
    with session_factory() as session:
        ids = _claim(session, now, limit, kinds)
        for item_id in ids:
            item = session.get(OutboxItem, item_id)
            if item is None:
                continue
            sender = _SENDERS.get(item.kind)
            error: str | None = None
            permanent = False
            try:
                if sender is None:
                    raise PermanentFailure(f"no sender for messages of kind '{item.kind}'")
                sender(session, item)
            except Deferred:
                # Not a failure: undo the claim, try again after a lease.
                item.attempts -= 1
                item.next_attempt_at = now + timedelta(seconds=LEASE_SECONDS)
                session.add(item)
                session.commit()
                continue
            except PermanentFailure as exc:
                error, permanent = str(exc) or type(exc).__name__, True
            except Exception as exc:  # any failure of the far end is retried later
                error = str(exc) or type(exc).__name__
            item.updated_at = utcnow()
            if error is None:
                item.status = OutboxStatus.sent.value
                item.sent_at = utcnow()
                item.last_error = None
                stats.sent += 1
            elif permanent or item.attempts >= MAX_ATTEMPTS:
                item.status = OutboxStatus.dead.value
                item.last_error = error[:2000]
                stats.dead += 1
                log.warning("outbox %s %s is dead after %d attempts: %s", item.kind, item.id, item.attempts, error)
            else:
                item.next_attempt_at = now + backoff(item.attempts)
                item.last_error = error[:2000]
                stats.failed += 1
                log.info("outbox %s %s failed (attempt %d): %s", item.kind, item.id, item.attempts, error)
            session.add(item)
            session.commit()
    return stats


def retry(session: Session, item: OutboxItem) -> OutboxItem:
    """Put a dead (or pending) message back in line, due now."""
    item.status = OutboxStatus.pending.value
    item.next_attempt_at = utcnow()
    item.attempts = 0
    session.add(item)
    session.flush()
    return item
