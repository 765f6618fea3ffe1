"""seal the census links kept in the outbox: e-mails carrying a census form's private link (invitations,
reminders, receipts) keep their bodies and link encrypted (``payload.sealed``, Fernet with a key derived
from JISR_SECRET_KEY) instead of in clear.

The key derivation is written out here (not imported) so that this migration does the same thing
forever; it must match ``jisr.core.security.seal``. The downgrade opens them again.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:50:00
"""

import base64
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0004"  # the outbox table

TEMPLATES = ("census_invitation", "census_reminder", "census_receipt")
SEALED = ("text", "html", "link")


def _fernet() -> Any:
    from cryptography.fernet import Fernet

    from jisr.core.config import get_settings

    key = hashlib.sha256(b"jisr:outbox-seal:v1:" + get_settings().signing_key().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _rows(conn: Any) -> list[tuple[Any, dict[str, Any]]]:
    rows = conn.execute(sa.text("SELECT id, payload FROM outbox WHERE kind = 'email'")).all()
    out = []
    for row_id, payload in rows:
        if isinstance(payload, str):
            payload = json.loads(payload)
        if isinstance(payload, dict) and payload.get("template") in TEMPLATES:
            out.append((row_id, payload))
    return out


def _save(conn: Any, row_id: Any, payload: dict[str, Any]) -> None:
    table = sa.table("outbox", sa.column("id"), sa.column("payload", sa.JSON))
    conn.execute(sa.update(table).where(table.c.id == row_id).values(payload=payload))


def upgrade() -> None:
    conn = op.get_bind()
    fernet = None
    for row_id, payload in _rows(conn):
        if "sealed" in payload:
            continue
        fernet = fernet or _fernet()
        secret = {name: payload.pop(name, None) for name in SEALED}
        payload["sealed"] = fernet.encrypt(json.dumps(secret, ensure_ascii=False).encode()).decode("ascii")
        _save(conn, row_id, payload)


def downgrade() -> None:
    conn = op.get_bind()
    fernet = None
    for row_id, payload in _rows(conn):
        if "sealed" not in payload:
            continue
        fernet = fernet or _fernet()
        payload.update(json.loads(fernet.decrypt(payload.pop("sealed").encode("ascii"))))
        _save(conn, row_id, payload)
