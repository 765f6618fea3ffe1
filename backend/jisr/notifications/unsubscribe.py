"""Unsubscribe from reminders: a personal link per address, checked without the database.

The token is the address (lower-cased, base64url) and an HMAC-SHA256 of it under a key derived from the
app's signing key, so a link cannot be forged for someone else's address and needs no table of issued
links. It never expires: an old reminder's link must still work (the law expects a working opt-out).
Opting out is idempotent; it stops reminders, follow-ups and digests, never transactional e-mails
(invitation, receipt, registration confirmation, a new proposal).
"""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable

from sqlmodel import Session, col, select

from jisr.core.config import get_settings
from jisr.core.db import insert_for, utcnow
from jisr.notifications.models import ReminderOptOut

_PURPOSE = b"jisr:unsubscribe-from-reminders:v1"


def _key() -> bytes:
    return hmac.new(get_settings().signing_key().encode(), _PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_token(email: str) -> str:
    address = email.strip().lower().encode()
    return f"{_b64(address)}.{_b64(hmac.new(_key(), address, hashlib.sha256).digest())}"


def read_token(token: str) -> str | None:
    """The address a token was made for, or None when it was not made with this app's key."""
    encoded, _, signature = token.partition(".")
    try:
        address = _unb64(encoded)
        given = _unb64(signature)
        email = address.decode()
    except (binascii.Error, ValueError):
        return None
    expected = hmac.new(_key(), address, hashlib.sha256).digest()
    if not hmac.compare_digest(given, expected) or "@" not in email:
        return None
    return email


def url(email: str, lang: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/api/v1/unsubscribe/{make_token(email)}?lang={lang}"


def opt_out(session: Session, email: str) -> None:
    """Record the opt-out (once: a second one keeps the first date)."""
    stmt = insert_for(session, ReminderOptOut).on_conflict_do_nothing(index_elements=["email"])
    session.execute(stmt, [{"email": email.strip().lower(), "opted_out_at": utcnow()}])


def opted_out(session: Session, emails: Iterable[str]) -> set[str]:
    """The lower-cased addresses among ``emails`` that opted out."""
    wanted = sorted({e.strip().lower() for e in emails if e})
    if not wanted:
        return set()
    rows = session.exec(select(ReminderOptOut.email).where(col(ReminderOptOut.email).in_(wanted)))
    return set(rows)
