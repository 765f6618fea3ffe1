"""clean stored text: what the API now refuses at the door is removed from data stored before

Control characters (C0, DEL, C1; tab and line breaks kept in free text only, turned into a space in
one-line text), and, in names, titles and codes, bidirectional overrides/isolates and zero-width
characters are removed; names and one-line texts are NFC-normalised and trimmed. The rules are
written out here (not imported) so that this migration does the same thing forever.

A name left empty becomes null where the column allows it, else ``?``. A cleaned code, Atlas id
or external reference that would collide with another row's gets a suffix (``~`` and four
characters of the row's id) instead of failing the upgrade. The downgrade undoes nothing (the
removed characters are gone).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:20:00
"""

import json
import re
import unicodedata
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_C0 = "\u0000-\u0008\u000b\u000c\u000e-\u001f"
_BREAKS = "\u0009\u000a\u000d"
_C1 = "\u007f-\u009f"
_SURROGATES = "\ud800-\udfff"
_BIDI = "\u202a-\u202e\u2066-\u2069"
_ZERO_WIDTH = "\u200b-\u200f\u2060\ufeff"
_MULTI_BAD = re.compile(f"[{_C0}{_C1}{_SURROGATES}]")
_SINGLE_BAD = re.compile(f"[{_C0}{_C1}{_SURROGATES}]")
_NAME_BAD = re.compile(f"[{_C0}{_C1}{_SURROGATES}{_BIDI}{_ZERO_WIDTH}]")
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


def upgrade() -> None:
    # Tables of the other branches (0002-0004, 0006) may come after this on a new database: there is
    # nothing to clean then; on an existing one they are all there already.
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


def downgrade() -> None:
    pass  # the removed characters are not kept: nothing to put back
