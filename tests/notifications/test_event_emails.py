"""The registration confirmation: sent to the registration's contact in their language, .ics attached."""

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from jisr.outbox import service as outbox
from tests.conftest import Api
from tests.events.conftest import EventFactory
from tests.notifications.conftest import Mailbox, parts


def test_registration_confirmation_carries_a_parsable_ics(api: Api, make_event: EventFactory, smtp: Mailbox) -> None:
    event = make_event(title="Atelier déchets", location="Beyrouth, Institut français")
    tyr = api.collectivity(name="Tyr", name_ar="صور", governorate="LB-JA")
    lyon = api.collectivity(country="FR", name="Lyon", code="69123")
    maher = api.contact(tyr["id"], email="maher@tyr.example", languages=["ar"])
    claire = api.contact(lyon["id"], full_name="Claire Martin", email="claire@lyon.example", languages=["en"])
    url = f"/api/v1/events/{event['id']}/registrations"
    assert api.post(url, json={"collectivity_id": tyr["id"], "contact_id": maher["id"]}).status_code == 201
    r = api.post(url, json={"collectivity_id": lyon["id"], "contact_id": claire["id"]})
    assert r.status_code == 201
    beirut = api.collectivity(name="Beyrouth", governorate="LB-BA")
    assert api.post(url, json={"collectivity_id": beirut["id"]}).status_code == 201  # no contact: no e-mail
    assert outbox.run_due().sent == 2
    assert len(smtp.messages) == 2

    [ar] = smtp.to("maher@tyr.example")
    text, html = parts(ar)
    assert ar["Subject"] == "تأكيد التسجيل: Atelier déchets"
    assert "تم تسجيل صور في «Atelier déchets» بتاريخ 2030-06-10 10:00 (Asia/Beirut)" in text
    assert 'dir="rtl"' in html

    [en] = smtp.to("claire@lyon.example")
    text, _ = parts(en)
    assert en["Subject"] == "Registration confirmed: Atelier déchets"
    assert "Lyon is registered for “Atelier déchets” on 2030-06-10 10:00 (Asia/Beirut)" in text
    assert f"/events/{event['id']}" in text
    [attachment] = list(en.iter_attachments())
    assert attachment.get_filename() == "event.ics" and attachment.get_content_type() == "text/calendar"
    cal = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Atelier déchets"
    assert str(vevent["LOCATION"]) == "Beyrouth, Institut français"
    start = vevent.decoded("DTSTART")
    assert start == datetime(2030, 6, 10, 10, 0, tzinfo=ZoneInfo("Asia/Beirut"))

    # Cancelled, then registered again: confirmed again (a new event for the same recipient).
    reg_id = r.json()["id"]
    etag = api.get(f"{url}/{reg_id}").headers["ETag"]
    r = api.patch(f"{url}/{reg_id}", json={"status": "cancelled"}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    assert api.post(url, json={"collectivity_id": lyon["id"], "contact_id": claire["id"]}).status_code == 200
    assert outbox.run_due().sent == 1
    assert len(smtp.to("claire@lyon.example")) == 2
