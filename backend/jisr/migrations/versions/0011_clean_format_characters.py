"""clean stored text with the wider rules (issue 14 review); old webhook errors cut to the status

Names, titles and codes lose every invisible format character (Unicode category Cf: the Arabic letter
mark, the invisible operators U+2061–U+2064, the soft hyphen, the Mongolian vowel separator, tag
characters…) and the combining grapheme joiner; one-line texts and names turn the line and paragraph
separators (U+2028, U+2029) into a space. Same columns, null-or-``?`` and unique-suffix rules as 0009,
which is left as it was. The rules are written out here so that this migration does the same forever.

Webhook deliveries once kept ``HTTP nnn: <up to 300 characters of the receiver's answer>`` (or the
connection error's own words) as their last error; they keep the status or the short reason only, as
deliveries do now.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 03:20:00
"""

import json
import re
import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0002", "0003", "0004")  # the tables it cleans

_C0 = "\u0000-\u0008\u000b\u000c\u000e-\u001f"
_BREAKS = "\u0009\u000a\u000d\u2028\u2029"
_C1 = "\u007f-\u009f"
_SURROGATES = "\ud800-\udfff"
_FORMAT = (
    "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_MULTI_BAD = re.compile(f"[{_C0}{_C1}{_SURROGATES}]")
_SINGLE_BAD = re.compile(f"[{_C0}{_C1}{_SURROGATES}]")
_NAME_BAD = re.compile(f"[{_C0}{_C1}{_SURROGATES}{_FORMAT}]")
_BREAK_RUN = re.compile(f"[{_BREAKS}]+")


def clean(value: str, kind: str) -> str:
    if kind == "multi":
        value = _MULTI_BAD.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
        return unicodedata.normalize("NFC", value).rstrip()
    value = _BREAK_RUN.sub(" ", value)
    value = (_NAME_BAD if kind == "name" else _SINGLE_BAD).sub("", value)
    return unicodedata.normalize("NFC", value).strip()


# table -> {column: kind}; kind "name" (names, titles, codes), "single" (one line), "multi" (free text)
COLUMNS: dict[str, dict[str, str]] = {
    "collectivities": {
        "name": "name",
        "name_ar": "name",
        "code": "name",
        "district": "name",
        "region": "name",
        "departement": "name",
        "description": "multi",
    },
    "contacts": {"full_name": "name", "role": "single"},
    "needs": {"title": "name", "description": "multi"},
    "partnerships": {"description": "multi", "atlas_id": "name"},
    "thematic_tags": {"label_fr": "name", "label_en": "name", "label_ar": "name", "call_2024_theme": "single"},
    "events": {"title": "name", "description": "multi", "location": "single"},
    "event_questions": {"question": "multi", "answer": "multi"},
    "census_campaigns": {
        "title": "name",
        "title_en": "name",
        "title_ar": "name",
        "description": "multi",
        "description_en": "multi",
        "description_ar": "multi",
    },
    "census_responses": {"rejection_reason": "multi"},
    "users": {"full_name": "name"},
    "api_clients": {"name": "name"},
    "match_transitions": {"note": "multi"},
    "external_refs": {"value": "name"},
}
# JSON columns: table -> {column: shape}
JSON_COLUMNS: dict[str, dict[str, Any]] = {
    "collectivities": {"name_alt": ["name"]},
    "events": {"speakers": [{"name": "name", "organisation": "single", "topic": "single"}]},
    "census_responses": {"contact": {"full_name": "name", "role": "single"}, "former_partners": [{"name": "name"}]},
}
# Columns under a unique constraint: a cleaned value must not take another row's.
UNIQUE = {("collectivities", "code"), ("partnerships", "atlas_id"), ("external_refs", "value")}


def _clean_json(value: Any, shape: Any) -> Any:
    if isinstance(shape, str):
        return clean(value, shape) if isinstance(value, str) else value
    if isinstance(shape, list) and isinstance(value, list):
        return [_clean_json(v, shape[0]) for v in value]
    if isinstance(shape, dict) and isinstance(value, dict):
        return {k: _clean_json(v, shape[k]) if k in shape else v for k, v in value.items()}
    return value


def _unique(conn: sa.Connection, table: sa.Table, column: str, row_id: Any, value: str) -> str:
    taken = conn.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c[column] == value, table.c.id != row_id)
    ).scalar()
    if not taken:
        return value
    suffix = "~" + uuid.UUID(str(row_id)).hex[:4]
    width = table.c[column].type.length or 200
    return value[: width - len(suffix)] + suffix


def _clean_text() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    present = set(sa.inspect(conn).get_table_names())
    for name in sorted(set(COLUMNS) | set(JSON_COLUMNS)):
        if name not in present:
            continue
        table = sa.Table(name, meta, autoload_with=conn)
        names = {c.name for c in table.c}
        plain = {c: k for c, k in COLUMNS.get(name, {}).items() if c in names}
        shaped = {c: k for c, k in JSON_COLUMNS.get(name, {}).items() if c in names}
        cols = [table.c.id] + [table.c[c] for c in (*plain, *shaped)]
        for row in conn.execute(sa.select(*cols)).mappings().all():
            changes: dict[str, Any] = {}
            for column, kind in plain.items():
                value = row[column]
                if isinstance(value, str):
                    cleaned: str | None = clean(value, kind)
                    if not cleaned and value and kind == "name":
                        # Nothing but refused characters: null where allowed, else a visible mark.
                        cleaned = None if table.c[column].nullable else "?"
                    if cleaned != value:
                        if cleaned is not None and (name, column) in UNIQUE:
                            cleaned = _unique(conn, table, column, row["id"], cleaned)
                        changes[column] = cleaned
            for column, shape in shaped.items():
                value = row[column]
                if isinstance(value, str):  # some drivers hand JSON back as text
                    value = json.loads(value)
                cleaned_json = _clean_json(value, shape)
                if cleaned_json != value:
                    changes[column] = cleaned_json
            if changes:
                conn.execute(table.update().where(table.c.id == row["id"]).values(**changes))


_HTTP = re.compile(r"^HTTP (\d{3})\b")
_TIMEOUT = re.compile(r"^\w*Timeout\w*\b")
_EXCEPTION = re.compile(r"^[A-Za-z_]\w*(Error|Exception)\b")


def short_error(error: str) -> str:
    """What a delivery says now: the status, or one short reason (never the receiver's words)."""
    if found := _HTTP.match(error):
        return f"HTTP {found.group(1)}"
    if _TIMEOUT.match(error):
        return "no answer in time"
    if _EXCEPTION.match(error):
        return "could not deliver (connection failed)"
    return error


def _cut_webhook_errors() -> None:
    conn = op.get_bind()
    outbox = sa.Table("outbox", sa.MetaData(), autoload_with=conn)
    rows = conn.execute(
        sa.select(outbox.c.id, outbox.c.last_error).where(outbox.c.kind == "webhook", outbox.c.last_error.is_not(None))
    ).all()
    for row_id, error in rows:
        if (short := short_error(error)) != error:
            conn.execute(outbox.update().where(outbox.c.id == row_id).values(last_error=short))


def upgrade() -> None:
    _clean_text()
    _cut_webhook_errors()


def downgrade() -> None:
    pass  # the removed characters and the receivers' answers are not kept: nothing to put back
