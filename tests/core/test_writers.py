"""Writers that never break: hostile text through CSV, XLSX, JSON, iCalendar and e-mail headers,
read back with the parsers the other side uses (csv, openpyxl, json, icalendar, email)."""

import csv
import io
import json
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import icalendar
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session

from jisr.core.spreadsheet import excel_csv, neutralise
from jisr.events import ical
from jisr.events.models import Event
from jisr.exports.service import to_json_rows, to_xlsx
from jisr.notifications.service import build_message
from jisr.outbox.models import OutboxItem
from tests.conftest import Api

HOSTILE = [
    "A\u000bB",  # vertical tab: openpyxl's IllegalCharacterError
    "Ville\u0001X",
    "nul\u0000here",
    "lone \ud800 surrogate",
    "Saïda\r\nBcc: x@example.org",
    "line\nbreak",
    "\u202eevil\u202c",
    "zero\u200bwidth",
    "del\u007fc1\u0085",
    "non\ufffechar",
    "plain Saïda صيدا",
]
FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", " =1+1", "\n=1+1", "  \n@x"]
FORMULAS += ["＝1+1", "＋1", "－1", "＠SUM(A1)"]  # full width


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_starts_are_neutralised_even_after_spaces_and_in_full_width(value: str) -> None:
    assert neutralise(value) == "'" + value


def test_plain_text_and_numbers_are_left_alone() -> None:
    assert neutralise("Saïda - Tyr") == "Saïda - Tyr" and neutralise(-3.5) == -3.5 and neutralise(None) == ""


def test_csv_holds_every_hostile_string() -> None:
    body = excel_csv(["h"], [[v] for v in HOSTILE + FORMULAS])
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
    values = [r[0] for r in rows[1:]]
    assert len(values) == len(HOSTILE) + len(FORMULAS)
    assert values[HOSTILE.index("Saïda\r\nBcc: x@example.org")] == "Saïda\r\nBcc: x@example.org"  # quoted, kept
    assert values[HOSTILE.index("lone \ud800 surrogate")] == "lone \ufffd surrogate"
    assert all(v.startswith("'") for v in values[len(HOSTILE) :])


def test_xlsx_holds_every_hostile_string_and_openpyxl_reads_it_back() -> None:
    body = to_xlsx(["h", "=header"], [{"h": v, "=header": v} for v in HOSTILE + FORMULAS], "t")
    ws = load_workbook(io.BytesIO(body)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == ["h", "'=header"]
    values = [r[0] for r in rows[1:]]
    assert values[0] == "A\ufffdB" and values[1] == "Ville\ufffdX" and values[2] == "nul\ufffdhere"
    assert values[HOSTILE.index("plain Saïda صيدا")] == "plain Saïda صيدا"
    assert values[HOSTILE.index("\u202eevil\u202c")] == "\u202eevil\u202c"  # XML holds it: kept
    assert all(str(v).startswith("'") for v in values[len(HOSTILE) :])


def test_json_holds_every_hostile_string() -> None:
    body = to_json_rows([{"v": v} for v in HOSTILE])
    back = [r["v"] for r in json.loads(body.decode("utf-8"))]
    assert back[0] == "A\u000bB" and back[2] == "nul\u0000here"  # escaped by json, kept
    assert back[3] == "lone \ufffd surrogate"


def _event(**fields: Any) -> Event:
    now = datetime(2030, 6, 10, 10, tzinfo=UTC)
    base: dict[str, Any] = {
        "id": uuid.uuid4(),
        "kind": "webinar",
        "title": "t",
        "starts_at": now,
        "ends_at": now.replace(hour=12),
        "timezone": "Asia/Beirut",
        "updated_at": now,
        "created_at": now,
        "version": 1,
    }
    return Event.model_construct(**{**base, **fields})


@pytest.mark.parametrize("value", HOSTILE)
def test_icalendar_holds_every_hostile_string(value: str) -> None:
    ev = _event(title=value, description=f"{value}\nmore", location=value, online_url="https://x.example/\u0001")
    body = ical.calendar([ev], public_url="http://127.0.0.1:8000", name=value)
    assert b"\r\nBcc:" not in body
    cal = icalendar.Calendar.from_ical(body)
    [vevent] = cal.walk("VEVENT")
    summary = str(vevent["SUMMARY"])
    assert "\n" not in summary and "\r" not in summary
    assert "\n" in str(vevent["DESCRIPTION"])  # free text keeps its line breaks
    assert "\n" not in str(cal["X-WR-CALNAME"])


@pytest.mark.parametrize("value", HOSTILE)
def test_email_headers_hold_every_hostile_string(value: str) -> None:
    item = OutboxItem(
        kind="email",
        idempotency_key="k",
        target="rima@saida.example",
        payload={
            "to": "rima@saida.example",
            "subject": f"Census “{value}”",
            "lang": "fr",
            "text": f"Hello {value}",
            "html": f"<p>{value}</p>",
            "headers": {"List-Unsubscribe": f"<https://x.example/u/{value}>"},
            "attachments": [{"filename": f"{value}.ics", "content_type": "text/calendar", "data": ""}],
        },
    )
    raw = build_message(item, sender="Jisr <jisr@example.org>").as_bytes()
    back = message_from_bytes(raw, policy=policy.default)
    assert back["Bcc"] is None
    assert back["To"] == "rima@saida.example"
    subject = str(back["Subject"])
    assert subject.startswith("Census “") and "\n" not in subject and "\r" not in subject
    assert back.get_body(preferencelist=("plain",)) is not None


# --- through the API, with text stored before the door refused it ----------------------------------


def _dirty_any(session: Session, table: str, column: str, id_: str, value: str) -> None:
    # SQLite stores UUIDs as 32 hex characters, PostgreSQL as uuid.
    bind = session.get_bind()
    key: Any = uuid.UUID(id_).hex if bind.dialect.name == "sqlite" else uuid.UUID(id_)
    session.execute(text(f'UPDATE "{table}" SET "{column}" = :v WHERE id = :id'), {"v": value, "id": key})
    session.commit()


def test_spreadsheet_exports_survive_stored_control_characters(api: Api, session: Session) -> None:
    """Defect 1: one control character made every XLSX export a 500."""
    tag = api.post("/api/v1/tags", json={"slug": "dirty", "label_fr": "x", "label_en": "x", "label_ar": "x"}).json()
    _dirty_any(session, "thematic_tags", "label_fr", tag["id"], "A\u000bB")
    ville = api.collectivity(name="Ville")
    _dirty_any(session, "collectivities", "name", ville["id"], "Ville\u0001X")
    for kind in ("tags", "collectivities"):
        r = api.get(f"/api/v1/exports/{kind}.xlsx")
        assert r.status_code == 200, r.text
        ws = load_workbook(io.BytesIO(r.content)).active
        cells = {c.value for row in ws.iter_rows() for c in row}
        assert ("AB" if kind == "tags" else "VilleX") in cells  # the read model repairs, the writer holds


def test_calendar_survives_a_stored_line_break_in_a_title(api: Api, session: Session) -> None:
    """Defect 2: CR/LF in an event title made its calendar.ics a 500."""
    body = {"kind": "webinar", "title": "t", "starts_at": "2030-06-10T10:00:00", "ends_at": "2030-06-10T12:00:00"}
    ev = api.post("/api/v1/events", json=body).json()
    _dirty_any(session, "events", "title", ev["id"], "Saïda\r\nBcc: x@example.org")
    r = api.get(f"/api/v1/events/{ev['id']}/calendar.ics")
    assert r.status_code == 200, r.text
    vevent = icalendar.Calendar.from_ical(r.content).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Saïda Bcc: x@example.org"
    assert api.get("/api/v1/events/calendar.ics").status_code == 200
