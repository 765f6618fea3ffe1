"""Registrations: seats, cancellations, members, attendance, questions and the FAQ, participants CSV."""

import csv
import io
from typing import Any

from tests.conftest import Api
from tests.events.conftest import EventFactory


def register(api: Api, event: dict[str, Any], collectivity: dict[str, Any], role: str = "admin", **kw: Any) -> Any:
    body = {"collectivity_id": collectivity["id"], **kw}
    return api.post(f"/api/v1/events/{event['id']}/registrations", role=role, json=body)


def seats(api: Api, event: dict[str, Any]) -> tuple[int, int | None]:
    body = api.get(f"/api/v1/events/{event['id']}").json()
    return body["registered_count"], body["seats_left"]


def test_a_full_event_is_409_and_a_cancellation_frees_the_seat(api: Api, make_event: EventFactory) -> None:
    event = make_event(capacity=2)
    a, b, c = (api.collectivity(name=n) for n in ("Tyr", "Jbeil", "Zahlé"))
    ra = register(api, event, a)
    assert ra.status_code == 201, ra.text
    assert ra.headers["Location"] == f"/api/v1/events/{event['id']}/registrations/{ra.json()['id']}"
    assert register(api, event, b).status_code == 201
    full = register(api, event, c, role="coordinator")
    assert full.status_code == 409 and "full" in full.json()["detail"]
    assert seats(api, event) == (2, 0)

    url = f"/api/v1/events/{event['id']}/registrations/{ra.json()['id']}"
    assert api.patch(url, json={"status": "cancelled"}).json()["status"] == "cancelled"
    assert seats(api, event) == (1, 1)
    assert register(api, event, c).status_code == 201
    assert seats(api, event) == (2, 0)
    # The cancelled one cannot come back while the event is full.
    assert api.patch(url, json={"status": "registered"}).status_code == 409
    assert register(api, event, a).status_code == 409


def test_registering_twice_is_409_never_a_second_seat(api: Api, make_event: EventFactory) -> None:
    event = make_event(capacity=5)
    tyr = api.collectivity(name="Tyr")
    first = register(api, event, tyr)
    again = register(api, event, tyr)
    assert again.status_code == 409 and first.json()["id"] in again.json()["detail"]
    assert seats(api, event) == (1, 4)
    r = api.get(f"/api/v1/events/{event['id']}/registrations")
    assert r.json()["total"] == 1
    # After a cancellation, registering again takes up the same registration (200, same id).
    api.patch(f"/api/v1/events/{event['id']}/registrations/{first.json()['id']}", json={"status": "cancelled"})
    back = register(api, event, tyr)
    assert back.status_code == 200 and back.json()["id"] == first.json()["id"]
    assert back.json()["status"] == "registered"
    assert seats(api, event) == (1, 4)


def test_members_register_their_own_collectivity_only(api: Api, make_event: EventFactory) -> None:
    event = make_event()
    own = api.own_collectivity()
    other = api.collectivity(name="Tyr")
    assert register(api, event, other, role="member").status_code == 403
    assert register(api, event, own, role="viewer").status_code == 403
    mine = register(api, event, own, role="member")
    assert mine.status_code == 201
    theirs = register(api, event, other)
    # Members see their own registration only.
    listed = api.get(f"/api/v1/events/{event['id']}/registrations", role="member").json()
    assert [r["id"] for r in listed["items"]] == [mine.json()["id"]]
    base = f"/api/v1/events/{event['id']}/registrations"
    assert api.get(f"{base}/{theirs.json()['id']}", role="member").status_code == 403
    assert api.patch(f"{base}/{theirs.json()['id']}", role="member", json={"status": "cancelled"}).status_code == 403
    assert api.patch(f"{base}/{mine.json()['id']}", role="member", json={"status": "attended"}).status_code == 403
    r = api.patch(f"{base}/{mine.json()['id']}", role="member", json={"status": "cancelled"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"


def test_audience_status_and_contact_are_checked(api: Api, make_event: EventFactory) -> None:
    lyon = api.collectivity(country="FR", name="Lyon")
    tyr = api.collectivity(name="Tyr")
    for_french = make_event(kind="workshop", audience="FR")
    r = register(api, for_french, tyr)
    assert r.status_code == 422 and "FR" in r.json()["detail"]
    assert register(api, for_french, lyon).status_code == 201
    closed = make_event(status="closed")
    assert register(api, closed, tyr).status_code == 409
    open_ = make_event()
    someone_else = api.contact(lyon["id"])
    r = register(api, open_, tyr, contact_id=someone_else["id"])
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "contact_id"]
    rima = api.contact(tyr["id"])
    assert register(api, open_, tyr, contact_id=rima["id"]).json()["contact_id"] == rima["id"]
    # Erasing the contact keeps the registration, without the person.
    assert api.delete(f"/api/v1/contacts/{rima['id']}").status_code == 204
    [reg] = api.get(f"/api/v1/events/{open_['id']}/registrations").json()["items"]
    assert reg["contact_id"] is None


def test_capacity_cannot_drop_below_the_seats_taken(api: Api, make_event: EventFactory) -> None:
    event = make_event(capacity=3)
    for name in ("Tyr", "Jbeil"):
        register(api, event, api.collectivity(name=name))
    r = api.patch(f"/api/v1/events/{event['id']}", json={"capacity": 1})
    assert r.status_code == 409
    assert api.patch(f"/api/v1/events/{event['id']}", json={"capacity": 2}).json()["seats_left"] == 0


def test_bulk_attendance_all_or_nothing(api: Api, make_event: EventFactory) -> None:
    event = make_event()
    other_event = make_event(title="Autre")
    regs = [register(api, event, api.collectivity(name=n)).json() for n in ("Tyr", "Jbeil", "Zahlé", "Baalbek")]
    elsewhere = register(api, other_event, api.collectivity(name="Batroun")).json()
    url = f"/api/v1/events/{event['id']}/registrations/{regs[3]['id']}"
    api.patch(url, json={"status": "cancelled"})
    attendance = f"/api/v1/events/{event['id']}/attendance"

    bad = api.post(
        attendance,
        json={
            "items": [
                {"registration_id": regs[0]["id"], "status": "attended"},
                {"registration_id": elsewhere["id"], "status": "attended"},
                {"registration_id": regs[3]["id"], "status": "absent"},
            ]
        },
    )
    assert bad.status_code == 422
    assert [e["loc"] for e in bad.json()["errors"]] == [
        ["body", "items", 1, "registration_id"],
        ["body", "items", 2, "registration_id"],
    ]
    assert api.get(f"/api/v1/events/{event['id']}/registrations/{regs[0]['id']}").json()["status"] == "registered"

    items = [
        {"registration_id": regs[0]["id"], "status": "attended"},
        {"registration_id": regs[1]["id"], "status": "attended"},
        {"registration_id": regs[2]["id"], "status": "absent"},
    ]
    assert api.post(attendance, role="member", json={"items": items}).status_code == 403
    r = api.post(attendance, role="coordinator", json={"items": items})
    assert r.status_code == 200 and r.json()["updated"] == 3
    statuses = {x["id"]: x["status"] for x in api.get(f"/api/v1/events/{event['id']}/registrations").json()["items"]}
    assert statuses == {
        regs[0]["id"]: "attended",
        regs[1]["id"]: "attended",
        regs[2]["id"]: "absent",
        regs[3]["id"]: "cancelled",
    }
    r = api.get(f"/api/v1/events/{event['id']}/registrations", params={"status": "attended"})
    assert r.json()["total"] == 2


def test_questions_answered_by_coordinators_form_the_faq(api: Api, make_event: EventFactory) -> None:
    workshop = make_event(kind="workshop", audience="both")
    lyon = api.collectivity(country="FR", name="Lyon")
    reg = register(api, workshop, lyon, questions=["Quel temps faut-il prévoir pour un élu ?", "Quel budget ?"])
    assert reg.status_code == 201
    own = api.own_collectivity()
    base = f"/api/v1/events/{workshop['id']}/questions"
    # Only registered collectivities ask.
    assert api.post(base, role="member", json={"question": "Et la sécurité ?"}).status_code == 409
    register(api, workshop, own, role="member")
    mine = api.post(base, role="member", json={"question": "Et la sécurité ?"})
    assert mine.status_code == 201 and mine.json()["collectivity_id"] == own["id"]
    assert api.post(base, role="member", json={"question": "x", "collectivity_id": lyon["id"]}).status_code == 403
    assert api.post(base, role="viewer", json={"question": "x"}).status_code == 403

    questions = api.get(base, role="coordinator").json()["items"]
    assert len(questions) == 3 and all(q["answer"] is None for q in questions)
    by_text = {q["question"]: q for q in questions}
    q1 = by_text["Quel temps faut-il prévoir pour un élu ?"]
    assert api.patch(f"{base}/{q1['id']}", role="member", json={"answer": "x"}).status_code == 403
    r = api.patch(f"{base}/{q1['id']}", role="coordinator", json={"answer": "Deux jours par trimestre."})
    assert r.status_code == 200 and r.json()["answered_at"]
    q2 = by_text["Quel budget ?"]
    api.patch(f"{base}/{q2['id']}", json={"answer": "Variable.", "published": False})

    faq = api.get(f"/api/v1/events/{workshop['id']}/faq", role="viewer").json()["items"]
    assert [(f["question"], f["answer"]) for f in faq] == [
        ("Quel temps faut-il prévoir pour un élu ?", "Deux jours par trimestre.")
    ]
    # Viewers see the published answers; members also their own pending questions; staff everything.
    assert [q["id"] for q in api.get(base, role="viewer").json()["items"]] == [q1["id"]]
    assert {q["id"] for q in api.get(base, role="member").json()["items"]} == {q1["id"], mine.json()["id"]}
    assert api.get(base, params={"answered": "false"}).json()["total"] == 1
    # Withdrawing the answer takes it out of the FAQ.
    api.patch(f"{base}/{q1['id']}", json={"answer": None})
    assert api.get(f"/api/v1/events/{workshop['id']}/faq").json()["items"] == []


def test_participants_csv_for_french_excel_neutralises_formulas(api: Api, make_event: EventFactory) -> None:
    event = make_event()
    evil = api.collectivity(name='=HYPERLINK("http://evil.example","clic")', name_ar="صيدا")
    plain = api.collectivity(name="Aley; centre")
    tab = api.collectivity(name="\tTab")
    contact = api.contact(evil["id"], full_name="@SUM(A1:A9)", role="-2+3", phone="+961 7 123 456")
    register(api, event, evil, contact_id=contact["id"])
    register(api, event, plain)
    register(api, event, tab)
    assert api.get(f"/api/v1/events/{event['id']}/participants.csv", role="member").status_code == 403
    r = api.get(f"/api/v1/events/{event['id']}/participants.csv", role="coordinator")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Collectivité", "Nom en arabe", "Pays"]
    by_name = {row[0]: row for row in rows[1:]}
    # A name is trimmed at the door (the tab is gone); a leading tab in a cell is tests/core/test_writers.py's.
    assert set(by_name) == {'\'=HYPERLINK("http://evil.example","clic")', "Aley; centre", "Tab"}
    row = by_name['\'=HYPERLINK("http://evil.example","clic")']
    assert row[1] == "صيدا"
    assert row[4:8] == ["'@SUM(A1:A9)", "'-2+3", "", "'+961 7 123 456"]
    assert row[8] == "inscrite"
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    arabic = api.get(f"/api/v1/events/{event['id']}/participants.csv", params={"lang": "ar"})
    assert arabic.content.decode("utf-8-sig").startswith("السلطة المحلية;")


def test_a_finished_or_past_event_says_why_once_with_a_code(api: Api, make_event: EventFactory) -> None:
    """Issue 21 item 5: the problem names why (code + params) so the web app shows one sentence in the
    reader's language, not the generic "identical item" of a 409 plus the API's English."""
    tyr = api.collectivity(name="Tyr")
    done = register(api, make_event(status="done"), tyr)
    assert done.status_code == 409
    assert (done.json()["code"], done.json()["params"]) == ("event_done", {"status": "done"})
    cancelled = register(api, make_event(status="cancelled"), tyr)
    assert cancelled.json()["code"] == "event_cancelled"
    # Still "open" but over: no registration either.
    past = make_event(starts_at="2021-09-20T09:00:00", ends_at="2021-09-24T18:00:00")
    over = register(api, past, tyr)
    assert over.status_code == 409 and over.json()["code"] == "event_over", over.text
    assert api.get(f"/api/v1/events/{past['id']}/registrations").json()["total"] == 0
    event = make_event(capacity=1)
    assert register(api, event, tyr).status_code == 201
    again = register(api, event, tyr)
    assert again.json()["code"] == "already_registered" and again.json()["params"]["collectivity"] == "Tyr"
    full = register(api, event, api.collectivity(name="Jbeil"))
    assert (full.json()["code"], full.json()["params"]) == ("event_full", {"capacity": 1})


def test_staff_record_attendance_after_the_event_members_cannot_register(api: Api, make_event: EventFactory) -> None:
    """The "event is over" check is for registering: after the event is exactly when a coordinator marks who
    came (a registration cancelled by mistake included); a member still cannot register on a past event."""
    event = make_event()
    own = api.own_collectivity()
    mine = register(api, event, own, role="member").json()
    base = f"/api/v1/events/{event['id']}/registrations"
    assert api.patch(f"{base}/{mine['id']}", role="member", json={"status": "cancelled"}).status_code == 200
    past = {"starts_at": "2021-09-20T09:00:00", "ends_at": "2021-09-24T18:00:00"}
    assert api.patch(f"/api/v1/events/{event['id']}", json=past).status_code == 200
    # The member can neither come back nor register anew once the event is over...
    back = api.patch(f"{base}/{mine['id']}", role="member", json={"status": "registered"})
    assert back.status_code == 409 and back.json()["code"] == "event_over", back.text
    assert register(api, event, own, role="member").json()["code"] == "event_over"
    # ... the coordinator records that it came.
    r = api.patch(f"{base}/{mine['id']}", role="coordinator", json={"status": "attended"})
    assert r.status_code == 200 and r.json()["status"] == "attended", r.text
