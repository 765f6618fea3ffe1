"""iCalendar output, parsed back with the icalendar library as a calendar app would read it."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from tests.conftest import Api
from tests.events.conftest import EventFactory


def parse(response: object) -> icalendar.Calendar:
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith("text/calendar")  # type: ignore[attr-defined]
    return icalendar.Calendar.from_ical(response.content)  # type: ignore[attr-defined]


def test_one_event_as_ics(api: Api, make_event: EventFactory) -> None:
    event = make_event(
        kind="workshop",
        title="Atelier : témoignages de Saïda",
        description="Questions-réponses; virgules, et points-virgules",
        location="Maison de la coopération, Lyon",
        timezone="Europe/Paris",
        starts_at="2030-06-10T14:00:00",
        ends_at="2030-06-10T17:00:00",
    )
    cal = parse(api.get(f"/api/v1/events/{event['id']}/calendar.ics", role="viewer"))
    [vevent] = cal.events
    assert str(vevent["UID"]).startswith(event["id"])
    assert str(vevent["SUMMARY"]) == "Atelier : témoignages de Saïda"
    assert str(vevent["LOCATION"]) == "Maison de la coopération, Lyon"
    assert str(vevent["DESCRIPTION"]) == "Questions-réponses; virgules, et points-virgules"
    assert str(vevent["URL"]) == f"http://127.0.0.1:8000/events/{event['id']}"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vevent.start == datetime(2030, 6, 10, 14, tzinfo=ZoneInfo("Europe/Paris"))
    assert vevent.end.astimezone(UTC) == datetime(2030, 6, 10, 15, tzinfo=UTC)
    assert [tz.tz_name for tz in cal.timezones] == ["Europe/Paris"]
    assert not cal.get_missing_tzids()
    assert api.get(f"/api/v1/events/{event['id']}/calendar.ics", role="anonymous").status_code == 401


def test_ics_times_and_its_vtimezone_hold_across_the_changes(api: Api, make_event: EventFactory) -> None:
    """The VTIMEZONE the file carries (not only the TZID name) gives the right UTC instant on both sides."""
    days = ["2030-03-30", "2030-03-31", "2030-10-26", "2030-10-27"]
    for zone in ("Asia/Beirut", "Europe/Paris"):
        for day in days:
            make_event(title=f"{zone} {day}", timezone=zone, starts_at=f"{day}T10:00:00", ends_at=f"{day}T11:00:00")
    events = {e["title"]: e for e in api.get("/api/v1/events", params={"limit": 50}).json()["items"]}
    cal = parse(api.get("/api/v1/events/calendar.ics"))
    zones = {tz.tz_name: tz.to_tz() for tz in cal.timezones}
    assert set(zones) == {"Asia/Beirut", "Europe/Paris"}
    assert len(cal.events) == 8
    for vevent in cal.events:
        expected = events[str(vevent["SUMMARY"])]
        start = vevent["DTSTART"].dt
        assert (start.hour, start.minute) == (10, 0)
        # Read the wall time through the embedded VTIMEZONE, as a calendar app without a tz database would.
        via_vtimezone = start.replace(tzinfo=None).replace(tzinfo=zones[vevent["DTSTART"].params["TZID"]])
        assert via_vtimezone.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") == expected["starts_at"]


def test_the_feed_lists_upcoming_events_and_marks_cancelled_ones(api: Api, make_event: EventFactory) -> None:
    now = datetime.now(UTC)
    past = make_event(
        title="Passé",
        starts_at=(now - timedelta(days=3)).isoformat(),
        ends_at=(now - timedelta(days=3, hours=-1)).isoformat(),
    )
    running = make_event(
        title="En cours",
        starts_at=(now - timedelta(hours=1)).isoformat(),
        ends_at=(now + timedelta(hours=1)).isoformat(),
    )
    later = make_event(title="Plus tard", location="", online_url="https://visio.example.org/w")
    cancelled = make_event(title="Annulé", status="cancelled")
    cal = parse(api.get("/api/v1/events/calendar.ics", role="viewer"))
    by_uid = {str(e["UID"]).split("@")[0]: e for e in cal.events}
    assert set(by_uid) == {running["id"], later["id"], cancelled["id"]}
    assert past["id"] not in by_uid
    assert str(by_uid[cancelled["id"]]["STATUS"]) == "CANCELLED"
    assert str(by_uid[later["id"]]["STATUS"]) == "CONFIRMED"
    assert str(by_uid[later["id"]]["LOCATION"]) == "https://visio.example.org/w"
    assert str(cal["METHOD"]) == "PUBLISH"
    # A change is announced by a higher SEQUENCE under the same UID.
    before = int(by_uid[later["id"]]["SEQUENCE"])
    api.patch(f"/api/v1/events/{later['id']}", json={"title": "Plus tard (déplacé)"})
    after = {str(e["UID"]).split("@")[0]: e for e in parse(api.get("/api/v1/events/calendar.ics")).events}
    assert int(after[later["id"]]["SEQUENCE"]) > before
    assert api.get("/api/v1/events/calendar.ics", role="anonymous").status_code == 401
