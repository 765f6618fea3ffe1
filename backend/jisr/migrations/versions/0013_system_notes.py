"""sentences the server wrote become keys with parameters (issue 21, item 13)

``partnerships`` and ``match_transitions`` get ``note_key`` and ``note_params`` (``jisr.core.notes``): the web
app says them in the reader's language. Sentences stored before are converted when they are exactly what the
server wrote (a person's words added after one are kept in ``description``):

- partnerships: ``Declared in the census campaign “<title>”.`` (census validation) and
  ``Issu d'une mise en relation Jisr : « <need> ».`` (a proposal that formed it);
- transitions: ``Relaunch of the <status> partnership (<start>–<end>) from the partnerships list.``,
  ``Not answered within <n> days, reminded once: expired automatically.`` (+ `` Its place is proposed to <name>
  (proposal <id>).``), ``<event>: <YYYY-MM-DD HH:MM> (<zone>), <table>`` (a meeting placed by the scheduler)
  and ``<event>: no longer scheduled``.

The patterns are written out here so that this migration does the same forever. Downgrade writes the
sentences back (in their old wording) and drops the columns.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 04:40:00
"""

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0001", "0003")  # partnerships, match_transitions

CENSUS = re.compile(r"Declared in the census campaign “(?P<campaign>.*?)”\.(?P<rest>(?:\s.*)?)", re.DOTALL)
MATCHED = re.compile(r"Issu d'une mise en relation Jisr : « (?P<need>.*?) »\.(?P<rest>(?:\s.*)?)", re.DOTALL)
RELAUNCH = re.compile(
    r"Relaunch of the (?P<status>dormant|ended) partnership \((?P<start>\d{4}|\?)–(?P<end>\d{4}|\?)\) "
    r"from the partnerships list\."
)
EXPIRED = re.compile(
    r"Not answered within (?P<days>\d+) days, reminded once: expired automatically\."
    r"(?: Its place is proposed to (?P<french>.+) \(proposal (?P<proposal>[0-9a-f-]{36})\)\.)?"
)
MEETING = re.compile(r"(?P<event>.+): (?P<when>\d{4}-\d\d-\d\d \d\d:\d\d) \((?P<zone>[^()]+)\), (?P<table>.+)")
UNSCHEDULED = re.compile(r"(?P<event>.+): no longer scheduled")

partnerships = sa.table(
    "partnerships",
    sa.column("id", sa.Uuid()),
    sa.column("description", sa.Text()),
    sa.column("note_key", sa.String()),
    sa.column("note_params", sa.JSON()),
)
transitions = sa.table(
    "match_transitions",
    sa.column("id", sa.Uuid()),
    sa.column("to_status", sa.String()),
    sa.column("note", sa.Text()),
    sa.column("note_key", sa.String()),
    sa.column("note_params", sa.JSON()),
)
campaigns = sa.table(
    "census_campaigns",
    sa.column("id", sa.Uuid()),
    sa.column("title", sa.String()),
    sa.column("title_en", sa.String()),
    sa.column("title_ar", sa.String()),
)
proposals = sa.table(
    "match_proposals",
    sa.column("id", sa.Uuid()),
    sa.column("need_id", sa.Uuid()),
    sa.column("status", sa.String()),
    sa.column("french_collectivity_id", sa.Uuid()),
    sa.column("partnership_ids", sa.JSON()),
)
collectivities = sa.table(
    "collectivities", sa.column("id", sa.Uuid()), sa.column("name", sa.String()), sa.column("name_ar", sa.String())
)
events = sa.table("events", sa.column("id", sa.Uuid()), sa.column("title", sa.String()))


def _year(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _one(conn: sa.Connection, stmt: Any) -> Any:
    rows = conn.execute(stmt.limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def partnership_note(conn: sa.Connection, id_: uuid.UUID, text: str) -> tuple[str, dict[str, Any], str] | None:
    """(key, params, what people wrote after the sentence) of a stored description, or None."""
    if m := CENSUS.fullmatch(text):
        params: dict[str, Any] = {"campaign": m["campaign"]}
        c = _one(conn, sa.select(campaigns).where(campaigns.c.title == m["campaign"]))
        if c is not None:
            params.update(campaign_en=c.title_en or None, campaign_ar=c.title_ar or None, campaign_id=str(c.id))
        return "partnership_census", params, m["rest"].strip()
    if m := MATCHED.fullmatch(text):
        params = {"need": m["need"]}
        for p in conn.execute(sa.select(proposals).where(proposals.c.status == "partnership_formed")):
            if str(id_) in (p.partnership_ids or []):
                params.update(need_id=str(p.need_id), proposal_id=str(p.id))
                break
        return "partnership_matched", params, m["rest"].strip()
    return None


def transition_note(conn: sa.Connection, to_status: str, text: str) -> tuple[str, dict[str, Any]] | None:
    if m := RELAUNCH.fullmatch(text):
        return "relaunch", {"status": m["status"], "start": _year(m["start"]), "end": _year(m["end"])}
    if m := EXPIRED.fullmatch(text):
        if not m["proposal"]:
            return "expired", {"days": int(m["days"])}
        params: dict[str, Any] = {"days": int(m["days"]), "french": m["french"], "proposal_id": m["proposal"]}
        p = _one(conn, sa.select(proposals).where(proposals.c.id == uuid.UUID(m["proposal"])))
        if p is not None:
            c = _one(conn, sa.select(collectivities).where(collectivities.c.id == p.french_collectivity_id))
            params.update(french_id=str(p.french_collectivity_id), french_ar=(c.name_ar or None) if c else None)
        return "expired_replaced", params
    found: tuple[str, dict[str, Any]] | None = None
    if to_status == "meeting_scheduled" and (m := MEETING.fullmatch(text)):
        try:
            zone = ZoneInfo(m["zone"])
        except (ZoneInfoNotFoundError, ValueError):
            return None
        start = datetime.strptime(m["when"], "%Y-%m-%d %H:%M").replace(tzinfo=zone).astimezone(UTC)
        found = "meeting_scheduled", {
            "event": m["event"],
            "starts_at": start.isoformat(),
            "timezone": m["zone"],
            "table": m["table"],
        }
    elif to_status == "accepted" and (m := UNSCHEDULED.fullmatch(text)):
        found = "meeting_unscheduled", {"event": m["event"]}
    if found is not None:
        e = _one(conn, sa.select(events.c.id).where(events.c.title == found[1]["event"]))
        found[1]["event_id"] = str(e.id) if e is not None else None
    return found


def convert(conn: sa.Connection) -> None:
    """Turn the known sentences into keys and parameters (rows already converted are left alone)."""
    stmt = sa.select(partnerships.c.id, partnerships.c.description).where(
        partnerships.c.note_key.is_(None),
        sa.or_(
            partnerships.c.description.like("Declared in the census campaign %"),
            partnerships.c.description.like("Issu d'une mise en relation Jisr : %"),
        ),
    )
    for id_, text in conn.execute(stmt).all():
        got = partnership_note(conn, id_, text)
        if got is not None:
            key, params, rest = got
            conn.execute(
                partnerships.update()
                .where(partnerships.c.id == id_)
                .values(note_key=key, note_params=params, description=rest)
            )
    stmt = sa.select(transitions.c.id, transitions.c.to_status, transitions.c.note).where(
        transitions.c.note_key.is_(None), transitions.c.note != ""
    )
    for id_, to_status, text in conn.execute(stmt).all():
        found = transition_note(conn, to_status, text)
        if found is not None:
            conn.execute(
                transitions.update()
                .where(transitions.c.id == id_)
                .values(note_key=found[0], note_params=found[1], note="")
            )


def upgrade() -> None:
    for table in ("partnerships", "match_transitions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("note_key", sa.String(length=40), nullable=True))
            batch.add_column(sa.Column("note_params", sa.JSON(), nullable=True))
    convert(op.get_bind())


def _sentence(key: str, p: dict[str, Any]) -> str:
    if key == "partnership_census":
        return f"Declared in the census campaign “{p.get('campaign', '')}”."
    if key == "partnership_matched":
        return f"Issu d'une mise en relation Jisr : « {p.get('need', '')} »."
    if key == "relaunch":
        years = f"{p.get('start') or '?'}–{p.get('end') or '?'}"
        return f"Relaunch of the {p.get('status')} partnership ({years}) from the partnerships list."
    if key in ("expired", "expired_replaced"):
        text = f"Not answered within {p.get('days')} days, reminded once: expired automatically."
        if key == "expired_replaced":
            text += f" Its place is proposed to {p.get('french')} (proposal {p.get('proposal_id')})."
        return text
    if key == "meeting_scheduled":
        start = datetime.fromisoformat(str(p.get("starts_at"))).astimezone(ZoneInfo(str(p.get("timezone"))))
        return f"{p.get('event')}: {start:%Y-%m-%d %H:%M} ({p.get('timezone')}), {p.get('table')}"
    if key == "meeting_unscheduled":
        return f"{p.get('event')}: no longer scheduled"
    return key


def downgrade() -> None:
    conn = op.get_bind()
    stmt = sa.select(partnerships.c.id, partnerships.c.description, partnerships.c.note_key, partnerships.c.note_params)
    for id_, text, key, params in conn.execute(stmt.where(partnerships.c.note_key.is_not(None))).all():
        full = "\n\n".join(filter(None, [_sentence(key, params or {}), text]))
        conn.execute(partnerships.update().where(partnerships.c.id == id_).values(description=full[:10000]))
    stmt = sa.select(transitions.c.id, transitions.c.note, transitions.c.note_key, transitions.c.note_params)
    for id_, text, key, params in conn.execute(stmt.where(transitions.c.note_key.is_not(None))).all():
        full = " ".join(filter(None, [_sentence(key, params or {}), text]))
        conn.execute(transitions.update().where(transitions.c.id == id_).values(note=full[:2000]))
    for table in ("partnerships", "match_transitions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("note_params")
            batch.drop_column("note_key")
