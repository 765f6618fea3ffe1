"""Field-mission meetings over HTTP: availability, the schedule, agendas as CSV and iCalendar."""

from typing import Any

import icalendar
import pytest

from tests.conftest import Api

EV = "/api/v1/events"


@pytest.fixture
def mission(api: Api) -> dict[str, Any]:
    """Saïda has two accepted proposals (Villeurbanne, Grenoble); Tyr one (Lorient)."""
    water = api.tag_id("eau-assainissement")
    saida = api.own_collectivity()
    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    api.need(saida["id"], tag_ids=[water])
    api.need(tyr["id"], tag_ids=[water])
    fr = {
        name: api.collectivity(country="FR", name=name, capacity="medium", expertise_tag_ids=[water])
        for name in ("Villeurbanne", "Grenoble", "Lorient")
    }
    assert api.post("/api/v1/matches/runs", json={"top_k": 3, "max_per_french_collectivity": 3}).status_code == 201
    items = api.get("/api/v1/matches", params={"limit": 500}).json()["items"]
    wanted = {
        (saida["id"], fr["Villeurbanne"]["id"]),
        (saida["id"], fr["Grenoble"]["id"]),
        (tyr["id"], fr["Lorient"]["id"]),
    }
    accepted = {}
    for p in items:
        key = (p["lebanese_collectivity_id"], p["french_collectivity_id"])
        if key in wanted:
            r = api.post(f"/api/v1/matches/{p['id']}/transitions", json={"to": "accepted"})
            assert r.status_code == 200
            accepted[key] = p["id"]
    assert len(accepted) == 3
    r = api.post(
        EV,
        json={
            "kind": "field_mission",
            "title": "Mission au Liban",
            "timezone": "Asia/Beirut",
            "starts_at": "2030-05-04T09:00:00+03:00",
            "ends_at": "2030-05-04T11:00:00+03:00",
            "location": "Saïda",
        },
    )
    assert r.status_code == 201, r.text
    return {"event": r.json(), "saida": saida, "tyr": tyr, "fr": fr, "accepted": accepted}


def window(start: str, end: str) -> dict[str, str]:
    return {"starts_at": f"2030-05-04T{start}:00+03:00", "ends_at": f"2030-05-04T{end}:00+03:00"}


def available(
    api: Api, event_id: str, collectivity_id: str, *windows: dict[str, str], role: str = "coordinator"
) -> Any:
    return api.request("PUT", f"{EV}/{event_id}/availability/{collectivity_id}", role, json={"windows": list(windows)})


def test_schedule_respects_availability_and_reports_who_could_not_be_placed(api: Api, mission: dict[str, Any]) -> None:
    ev, fr = mission["event"]["id"], mission["fr"]
    assert available(api, ev, mission["saida"]["id"], window("09:00", "10:00"), role="member").status_code == 200
    assert available(api, ev, fr["Villeurbanne"]["id"], window("09:00", "11:00")).status_code == 200
    assert available(api, ev, fr["Grenoble"]["id"], window("09:00", "09:30")).status_code == 200
    assert available(api, ev, mission["tyr"]["id"], window("09:00", "11:00")).status_code == 200
    # Lorient gave no availability.
    r = api.post(f"{EV}/{ev}/meetings/schedule", json={"slot_minutes": 30, "tables": ["Table A"]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["slots"], body["placed"], body["optimal"]) == (4, 2, True)
    at = {tuple(m["collectivity_ids"]): (m["starts_at"], m["table_label"]) for m in body["meetings"]}
    assert at[(mission["saida"]["id"], fr["Grenoble"]["id"])] == ("2030-05-04T06:00:00Z", "Table A")
    assert at[(mission["saida"]["id"], fr["Villeurbanne"]["id"])] == ("2030-05-04T06:30:00Z", "Table A")
    [left] = body["unplaced"]
    assert left["proposal_id"] == mission["accepted"][(mission["tyr"]["id"], fr["Lorient"]["id"])]
    assert left["reason"] == "no_availability" and left["collectivity_ids"] == [fr["Lorient"]["id"]]
    assert "Lorient" in left["label_fr"] and left["label_en"] and left["label_ar"]
    for key, pid in mission["accepted"].items():
        status = api.get(f"/api/v1/matches/{pid}").json()["status"]
        assert status == ("accepted" if key[0] == mission["tyr"]["id"] else "meeting_scheduled")

    # Grenoble can no longer come: scheduling again puts its proposal back to accepted.
    assert available(api, ev, fr["Grenoble"]["id"]).status_code == 200
    body = api.post(f"{EV}/{ev}/meetings/schedule", json={"slot_minutes": 30, "tables": ["Table A"]}).json()
    assert body["placed"] == 1
    grenoble = mission["accepted"][(mission["saida"]["id"], fr["Grenoble"]["id"])]
    again = api.get(f"/api/v1/matches/{grenoble}").json()
    assert again["status"] == "accepted" and again["history"][-1]["from"] == "meeting_scheduled"
    assert len(api.get(f"{EV}/{ev}/meetings").json()["items"]) == 1


def test_agendas_as_csv_and_icalendar(api: Api, mission: dict[str, Any]) -> None:
    ev, fr, saida = mission["event"]["id"], mission["fr"], mission["saida"]["id"]
    for c in (saida, fr["Villeurbanne"]["id"], fr["Grenoble"]["id"]):
        available(api, ev, c, window("09:00", "11:00"))
    assert (
        api.post(f"{EV}/{ev}/meetings/schedule", json={"slot_minutes": 45, "tables": ["=HYPERLINK()"]}).status_code
        == 200
    )
    r = api.get(f"{EV}/{ev}/agenda/{saida}.csv", "member")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    lines = r.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("début;fin") and len(lines) == 3
    assert lines[1].startswith("2030-05-04 09:00;2030-05-04 09:45;Asia/Beirut;'=HYPERLINK()")
    r = api.get(f"{EV}/{ev}/agenda/{fr['Villeurbanne']['id']}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    [vevent] = [c for c in cal.walk("VEVENT")]
    assert "Saïda" in str(vevent["SUMMARY"]) and vevent.decoded("DTSTART").utcoffset().total_seconds() == 3 * 3600
    assert api.get(f"{EV}/{ev}/agenda/{fr['Villeurbanne']['id']}.ics", "member").status_code == 403
    assert api.get(f"{EV}/{ev}/agenda/{saida}.pdf").status_code == 422
    mine = api.get(f"{EV}/{ev}/meetings", "member").json()["items"]
    assert len(mine) == 2 and all(m["collectivity_ids"][0] == saida for m in mine)


def test_rules_and_permissions(api: Api, mission: dict[str, Any]) -> None:
    ev, saida = mission["event"]["id"], mission["saida"]["id"]
    webinar = api.post(
        EV,
        json={
            "kind": "webinar",
            "title": "W",
            "starts_at": "2030-05-04T09:00:00+03:00",
            "ends_at": "2030-05-04T10:00:00+03:00",
        },
    ).json()
    assert available(api, webinar["id"], saida, window("09:00", "10:00")).status_code == 409
    assert api.post(f"{EV}/{webinar['id']}/meetings/schedule", json={}).status_code == 409
    assert available(api, ev, mission["tyr"]["id"], window("09:00", "10:00"), role="member").status_code == 403
    assert available(api, ev, saida, window("09:00", "10:00"), role="viewer").status_code == 403
    assert available(api, ev, saida, window("10:00", "09:00")).status_code == 422
    assert (
        available(api, ev, saida, {"starts_at": "2031-01-01T09:00:00Z", "ends_at": "2031-01-01T10:00:00Z"}).status_code
        == 422
    )
    assert (
        available(api, ev, saida, {"starts_at": "2030-05-04T09:00:00", "ends_at": "2030-05-04T10:00:00"}).status_code
        == 422
    )
    assert api.post(f"{EV}/{ev}/meetings/schedule", "member", json={}).status_code == 403
    assert api.post(f"{EV}/{ev}/meetings/schedule", json={"tables": []}).status_code == 422
    proposed = api.get("/api/v1/matches", params={"status": "proposed"}).json()["items"]
    if proposed:
        r = api.post(f"{EV}/{ev}/meetings/schedule", json={"proposal_ids": [proposed[0]["id"]]})
        assert r.status_code == 422
    listed = api.get(f"{EV}/{ev}/availability", "member").json()["items"]
    assert all(a["collectivity_id"] == saida for a in listed)
