"""Events imports over HTTP: headers, time zones (wall times, offsets, skipped and repeated hours), the
natural key kind + title + start, every bad row, dry run, skip, atomicity, idempotency, the CLI."""

import io
import json
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from sqlalchemy import text
from typer.testing import CliRunner

from jisr.cli import app
from jisr.core.db import new_session
from tests.imports.conftest import FIXTURES, upload


def _events(api: Any) -> dict[str, Any]:
    return {e["title"]: e for e in api.get("/api/v1/events", params={"limit": 500}).json()["items"]}


def _versions() -> list[Any]:
    with new_session() as s:
        return [tuple(r) for r in s.execute(text("SELECT id, version, updated_at FROM events ORDER BY id"))]


def _csv(api: Any, content: str, **params: Any) -> Any:
    return api.post(
        "/api/v1/imports/events", content=content.encode(), headers={"Content-Type": "text/csv"}, params=params
    )


def test_french_csv_with_wall_times_offsets_and_time_zones(api: Any) -> None:
    r = upload(api, "events", "evenements.csv")
    assert r.status_code == 200 and r.json()["created"] == 4, r.json()
    events = _events(api)
    water = events["Gestion de l'eau"]
    # Paris summer time: 14:30 on the wall is 12:30 UTC; "16h" is 16:00.
    assert (water["kind"], water["starts_at"], water["ends_at"]) == (
        "webinar",
        "2021-06-15T12:30:00Z",
        "2021-06-15T14:00:00Z",
    )
    assert water["starts_at_local"] == "2021-06-15T14:30:00+02:00" and water["timezone"] == "Europe/Paris"
    assert (water["audience"], water["capacity"], water["status"], water["location"]) == (
        "both",
        100,
        "open",
        "En ligne",
    )
    assert [(s["name"], s["organisation"]) for s in water["speakers"]] == [
        ("Rima Haddad", "Saïda"),
        ("Jean Dupont", ""),
    ]
    # No time zone column value: the default, Asia/Beirut (UTC+3 in June).
    waste = events["Atelier déchets"]
    assert (waste["kind"], waste["timezone"], waste["starts_at"]) == ("workshop", "Asia/Beirut", "2021-06-20T06:00:00Z")
    assert (waste["country"], waste["audience"], waste["status"]) == ("LB", "LB", "planned")
    # An offset is taken as is.
    mission = events["Mission à Jbeil"]
    assert (mission["kind"], mission["starts_at"], mission["ends_at"]) == (
        "field_mission",
        "2021-07-01T05:00:00Z",
        "2021-07-03T15:00:00Z",
    )
    # A wall time the clocks repeat (last Sunday of October in Paris) is its first, summer-time occurrence.
    meeting = events["Comité de pilotage"]
    assert (meeting["kind"], meeting["starts_at"], meeting["ends_at"]) == (
        "meeting",
        "2026-10-25T00:30:00Z",
        "2026-10-25T02:30:00Z",
    )
    # Search works on what the import wrote (folded title, location, speakers).
    found = api.get("/api/v1/events", params={"q": "haddad"}).json()["items"]
    assert [e["title"] for e in found] == ["Gestion de l'eau"]


def test_same_file_twice_changes_nothing(api: Any) -> None:
    assert upload(api, "events", "evenements.csv").json()["created"] == 4
    before = _versions()
    again = upload(api, "events", "evenements.csv").json()
    assert (again["created"], again["updated"], again["unchanged"], again["error_count"]) == (0, 0, 4, 0), again
    assert _versions() == before


def test_rows_match_on_kind_title_and_start_in_the_events_own_time_zone(api: Any) -> None:
    upload(api, "events", "evenements.csv")
    water = _events(api)["Gestion de l'eau"]
    # No time zone in the file: 14:30 is read in the matched event's zone (Paris), so it is the same event.
    body = _csv(api, "Type;Titre;Début;Places\nwebinaire;GESTION DE L'EAU;15/06/2021 14:30;120\n").json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 0), body
    after = api.get(f"/api/v1/events/{water['id']}").json()
    assert (
        after["title"] == "GESTION DE L'EAU" and after["capacity"] == 120 and after["updated_at"] > water["updated_at"]
    )
    assert after["starts_at"] == water["starts_at"] and after["location"] == "En ligne"  # columns not sent stay
    # The same instant with an offset is the same event too; another start is another event.
    body = _csv(api, "kind;title;starts_at;ends_at\nwebinar;GESTION DE L'EAU;2021-06-15T12:30:00Z;2021-06-15T14:00Z\n")
    assert body.json()["unchanged"] == 1, body.json()
    body = _csv(api, "kind;title;starts_at;ends_at\nwebinar;Gestion de l'eau;2021-06-16 14:30;2021-06-16 16:00\n")
    assert body.json()["created"] == 1, body.json()
    # A row with the event's id moves it.
    body = _csv(api, f"id;Début;Fin\n{water['id']};17/06/2021 10:00;17/06/2021 11:00\n").json()
    assert body["updated"] == 1, body
    moved = api.get(f"/api/v1/events/{water['id']}").json()
    assert moved["starts_at"] == "2021-06-17T08:00:00Z"  # Paris wall time, the event's zone


def test_json_file_and_xlsx_with_date_cells(api: Any) -> None:
    r = upload(api, "events", "events.json")
    assert r.status_code == 200 and r.json()["created"] == 2, r.json()
    events = _events(api)
    assert events["Water management"]["starts_at"] == "2021-09-01T10:00:00Z"
    assert events["Water management"]["online_url"] == "https://example.org/webinar"
    assert events["Water management"]["speakers"] == [
        {"name": "Hala Mansour", "organisation": "Saïda", "topic": "Eau potable"}
    ]
    assert events["Steering committee"]["starts_at"] == "2021-09-02T13:00:00Z"
    assert upload(api, "events", "events.json").json()["unchanged"] == 2

    wb = Workbook()
    ws = wb.active
    ws.append(["Type", "Titre", "Date de début", "Date de fin", "Fuseau horaire", "Jauge"])
    ws.append(
        ["Atelier", "Atelier budget", datetime(2022, 3, 10, 9, 0), datetime(2022, 3, 10, 12, 0), "Europe/Paris", 30.0]
    )
    out = io.BytesIO()
    wb.save(out)
    r = api.post("/api/v1/imports/events", files={"file": ("e.xlsx", out.getvalue())})
    assert r.json()["created"] == 1, r.json()
    budget = _events(api)["Atelier budget"]
    assert (budget["starts_at"], budget["capacity"]) == ("2022-03-10T08:00:00Z", 30)  # Paris winter time


def test_every_kind_of_bad_row_is_reported_and_nothing_is_written(api: Any) -> None:
    body = upload(api, "events", "evenements-erreurs.csv").json()
    assert body["status"] == "rejected" and body["committed"] is False, body
    errors = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert "webinar" in errors[(3, "Type")]  # a kind outside the list names the allowed ones
    assert "15/06/2021 14:30" in errors[(4, "Début")]  # not a date
    assert "does not exist in Europe/Paris" in errors[(5, "Début")]  # the clocks skip 02:30
    assert "end after it starts" in errors[(6, "Fin")]
    assert "Europe/Lyon" in errors[(7, "Fuseau horaire")]  # not an IANA zone
    assert "ligne 2" in errors[(8, "Titre")]  # the same event twice in the file (French headers: French errors)
    assert "obligatoire" in errors[(9, "Titre")]
    assert "beaucoup" in errors[(10, "Places")]
    assert body["rejected"] == 8 and body["created"] == 1
    assert api.get("/api/v1/events").json()["total"] == 0  # row 2 was valid, and still nothing was written


def test_on_error_skip_and_dry_run(api: Any) -> None:
    dry = upload(api, "events", "evenements.csv", dry_run="true").json()
    assert dry["created"] == 4 and dry["committed"] is False and dry["dry_run"], dry
    assert api.get("/api/v1/events").json()["total"] == 0
    body = upload(api, "events", "evenements-erreurs.csv", on_error="skip").json()
    assert body["status"] == "done" and body["committed"] is True and body["created"] == 1, body
    assert list(_events(api)) == ["Ligne valide"]


def test_missing_columns_unknown_columns_and_references(api: Any) -> None:
    body = _csv(api, "Titre;Début\nSans type;15/06/2021 10:00\n").json()
    assert {(e["row"], e["field"]) for e in body["errors"]} == {(2, "kind"), (2, "ends_at")}, body
    body = _csv(api, "kind;title;starts_at;ends_at;ref:cuf;Salle\nmeeting;X;2021-06-15 10:00;2021-06-15 11:00;E-1;B\n")
    errors = {(e["row"], e["field"]) for e in body.json()["errors"]}
    assert errors == {(1, "Salle"), (2, "ref:cuf")}, body.json()
    assert api.get("/api/v1/events").json()["total"] == 0


def test_cli_imports_events(api: Any) -> None:
    result = CliRunner().invoke(app, ["import", str(FIXTURES / "evenements.csv"), "--kind", "events"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["created"] == 4 and report["committed"] is True
    assert api.get("/api/v1/events").json()["total"] == 4
    result = CliRunner().invoke(app, ["import", str(FIXTURES / "evenements-erreurs.csv"), "--kind", "events"])
    assert result.exit_code == 1
    assert api.get("/api/v1/events").json()["total"] == 4


def test_only_staff_may_import_events(api: Any) -> None:
    assert upload(api, "events", "events.json", role="member").status_code == 403
    assert upload(api, "events", "events.json", role="viewer").status_code == 403
    assert upload(api, "events", "events.json", role="coordinator").status_code == 200
