"""The worker's periodic pass over everything that is sent by the clock, not by a change.

Each part runs in its own transaction (one failing does not hold back the others; the next pass tries
again) and is idempotent: what it queues carries an idempotency key, so a second pass at the same time
queues nothing. ``now`` is the clock (tests pass it).
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from jisr.core.config import get_settings
from jisr.core.db import new_session, utcnow
from jisr.notifications import digest
from jisr.notifications import proposals as expiry
from jisr.notifications import service as emails

log = logging.getLogger("jisr.notifications")


@dataclass
class PassStats:
    proposals: expiry.ExpiryStats = field(default_factory=expiry.ExpiryStats)
    census_reminders: int = 0
    event_reminders: int = 0
    digests: int = 0


def run_due(*, now: datetime | None = None) -> PassStats:
    """Proposal reminders and expiry (with the next candidate), census and event reminders, digests."""
    now = now or utcnow()
    stats = PassStats(proposals=expiry.run_due(now=now))
    parts = {
        "census_reminders": lambda s: emails.census_reminders(s, now=now),
        "event_reminders": lambda s: emails.event_reminders(s, now=now),
        "digests": lambda s: digest.weekly_digests(s, now=now),
    }
    for name, part in parts.items():
        try:
            with new_session() as session:
                setattr(stats, name, part(session))
                session.commit()
        except Exception:
            log.exception("notifications: %s failed", name)
    return stats


_last_pass: list[float] = []


def tick() -> PassStats | None:
    """``run_due`` at most every ``reminders_interval_seconds`` (the worker loops every few seconds)."""
    interval = get_settings().reminders_interval_seconds
    clock = time.monotonic()
    if _last_pass and clock - _last_pass[0] < interval:
        return None
    _last_pass[:] = [clock]
    return run_due()
