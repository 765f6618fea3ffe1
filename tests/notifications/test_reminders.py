"""Reminders driven by a controllable clock, to a real SMTP server: census before closing, events the day
before, the FAQ once published, the unsubscribe link (RFC 8058 headers, GET page, POST opt-out), and
consent: contacts without a consent date get nothing."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from jisr.contacts.models import Contact
from jisr.core.db import new_session
from jisr.notifications import service as emails
from jisr.notifications import unsubscribe, worker
from jisr.notifications.models import ReminderOptOut
from jisr.outbox import service as outbox
from tests.conftest import Api, Env
from tests.events.conftest import EventFactory
from tests.notifications.conftest import Mailbox, answer, parts

CampaignFactory = Any


@pytest.fixture(autouse=True)
def no_digest(env: Env) -> None:
    """Digests have their own test: keep them out of these counts."""
    env.set(digest_weekday="8")


def without_consent(contact: dict[str, Any]) -> None:
    """A contact listed before consent was mandatory (imports, older data)."""
    with new_session() as s:
        s.execute(update(Contact).where(col(Contact.id) == uuid.UUID(contact["id"])).values(consent_at=None))
        s.commit()


def path_of(url: str) -> str:
    parts_ = urlsplit(url)
    return f"{parts_.path}?{parts_.query}"


def unsubscribe_url(msg: Any) -> str:
    header = str(msg["List-Unsubscribe"])
    assert header.startswith("<") and header.endswith(">")
    return header[1:-1]


def test_census_reminder_before_closing_to_those_who_have_not_answered(
    api: Api, make_campaign: CampaignFactory, smtp: Mailbox
) -> None:
    closes = datetime.now(UTC).replace(microsecond=0) + timedelta(days=10)
    campaign = make_campaign(title="Recensement 2026", closes_at=closes.isoformat())
    saida = api.collectivity(name="Saïda", name_ar="صيدا", governorate="LB-JA")
    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    jezzine = api.collectivity(name="Jezzine", governorate="LB-JA")
    api.contact(saida["id"], full_name="Rima", email="rima@saida.example", languages=["fr"])
    api.contact(saida["id"], full_name="Maher", email="maher@saida.example", languages=["ar"])
    api.contact(saida["id"], full_name="Stopped", email="Stop@saida.example", languages=["en"])
    late = api.contact(saida["id"], full_name="Sans consentement", email="old@saida.example")
    without_consent(late)
    api.contact(tyr["id"], email="nour@tyr.example", languages=["en"])
    api.contact(jezzine["id"], email="sami@jezzine.example")
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"], tyr["id"], jezzine["id"]]},
    )
    assert r.status_code == 201, r.text
    links = {i["collectivity_id"]: i for i in r.json()["items"]}
    # Jezzine's link is revoked (it will be reissued by hand): no reminder for a dead link.
    jz = links[jezzine["id"]]
    r = api.post(f"/api/v1/census/campaigns/{campaign['id']}/invitations/{jz['id']}/revoke", role="coordinator")
    assert r.status_code == 200, r.text
    assert outbox.run_due().sent == 5  # invitations; the contact without consent gets none
    assert smtp.to("old@saida.example") == []

    # Tyr answers; Saïda does not. One address of Saïda opted out of reminders.
    token = links[tyr["id"]]["token"]
    assert api.client.put(f"/api/v1/census/forms/{token}", json=answer()).status_code == 201
    stop = api.client.post(f"/api/v1/unsubscribe/{unsubscribe.make_token('stop@saida.example')}")
    assert stop.status_code == 200

    with new_session() as s:
        assert emails.census_reminders(s, now=closes - timedelta(days=4)) == 0  # too early
        assert emails.census_reminders(s, now=closes + timedelta(hours=1)) == 0  # closed
        assert emails.census_reminders(s, now=closes - timedelta(days=2)) == 2
        s.commit()
    with new_session() as s:
        assert emails.census_reminders(s, now=closes - timedelta(days=1)) == 0  # once per invitation
    stats = worker.run_due(now=closes - timedelta(hours=20))
    assert stats.census_reminders == 0
    assert outbox.run_due().sent == 2
    assert smtp.to("nour@tyr.example")[1:] == []  # answered: the invitation only
    assert len(smtp.to("Stop@saida.example")) == 1  # opted out: the (transactional) invitation only
    assert smtp.to("old@saida.example") == []

    [_, fr] = smtp.to("rima@saida.example")
    text, html = parts(fr)
    assert fr["Subject"].startswith("Rappel : le recensement « Recensement 2026 » se termine le ")
    assert "Saïda n'a pas encore répondu" in text
    assert links[saida["id"]]["url"] in text  # the private link again, from the invitation
    assert "rappel unique" in text and "Envoyé par l'équipe du programme via Jisr" in text
    assert "refuser en un clic les rappels" in text and "/api/v1/unsubscribe/" in text
    assert fr["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe_url(fr) in text and unsubscribe_url(fr) in html
    [_, ar] = smtp.to("maher@saida.example")
    text, html = parts(ar)
    assert ar["Subject"].startswith("تذكير: استبيان «Recensement 2026»")
    assert "لم تُجب صيدا بعد" in text and 'dir="rtl"' in html and "إيقاف التذكيرات" in html


def test_event_reminder_faq_and_the_unsubscribe_link(api: Api, make_event: EventFactory, smtp: Mailbox) -> None:
    event = make_event(title="Atelier déchets", location="Beyrouth")  # 2030-06-10 10:00 Asia/Beirut
    starts = datetime(2030, 6, 10, 7, 0, tzinfo=UTC)
    tyr = api.collectivity(name="Tyr", name_ar="صور", governorate="LB-JA")
    lyon = api.collectivity(country="FR", name="Lyon", code="69123")
    beirut = api.collectivity(name="Beyrouth", governorate="LB-BA")
    byblos = api.collectivity(name="Byblos", governorate="LB-JL")
    maher = api.contact(tyr["id"], email="maher@tyr.example", languages=["ar"])
    claire = api.contact(lyon["id"], full_name="Claire", email="claire@lyon.example", languages=["en"])
    nadia = api.contact(beirut["id"], full_name="Nadia", email="nadia@beyrouth.example", languages=["fr"])
    old = api.contact(byblos["id"], full_name="Ancien", email="old@byblos.example", languages=["fr"])
    without_consent(old)
    url = f"/api/v1/events/{event['id']}/registrations"
    for c, person in ((tyr, maher), (lyon, claire), (beirut, nadia), (byblos, old)):
        r = api.post(url, json={"collectivity_id": c["id"], "contact_id": person["id"]})
        assert r.status_code == 201, r.text
        if c is beirut:
            cancelled = r.json()
    assert outbox.run_due().sent == 3  # confirmations; none to the contact without consent
    assert smtp.to("old@byblos.example") == []
    r = api.patch(f"{url}/{cancelled['id']}", json={"status": "cancelled"})
    assert r.status_code == 200, r.text

    assert worker.run_due(now=starts - timedelta(hours=30)).event_reminders == 0
    assert worker.run_due(now=starts - timedelta(hours=23)).event_reminders == 2
    assert worker.run_due(now=starts - timedelta(hours=2)).event_reminders == 0  # once per registration
    assert outbox.run_due().sent == 2
    assert len(smtp.to("nadia@beyrouth.example")) == 1  # cancelled: no reminder
    [_, en] = smtp.to("claire@lyon.example")
    text, _ = parts(en)
    assert en["Subject"] == "Reminder: “Atelier déchets” starts on 2030-06-10 10:00 (Asia/Beirut)"
    assert "Lyon is registered for “Atelier déchets”" in text and f"/events/{event['id']}" in text
    assert "single reminder because you are the contact of Lyon" in text
    [_, ar] = smtp.to("maher@tyr.example")
    text, html = parts(ar)
    assert ar["Subject"].startswith("تذكير: «Atelier déchets» يبدأ في") and 'dir="rtl"' in html

    # Maher follows the link of the reminder: GET shows a page in his language and changes nothing.
    link = path_of(unsubscribe_url(ar))
    assert link.endswith("?lang=ar")
    r = api.client.get(link)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert 'lang="ar" dir="rtl"' in r.text and "maher@tyr.example" in r.text and '<form method="post">' in r.text
    assert "script-src" not in r.headers["content-security-policy"]
    assert api.client.get(link.replace("lang=ar", "lang=en")).text.count("Stop receiving Jisr") == 1
    with new_session() as s:
        assert s.get(ReminderOptOut, "maher@tyr.example") is None
    # Confirmed (the one-click POST of RFC 8058 looks the same): opted out, idempotently.
    body = {"List-Unsubscribe": "One-Click"}
    r = api.client.post(link, data=body)
    assert r.status_code == 200 and "تم" in r.text
    with new_session() as s:
        first = s.get(ReminderOptOut, "maher@tyr.example")
        assert first is not None
        since = first.opted_out_at
    assert api.client.post(link, data=body).status_code == 200
    with new_session() as s:
        again = s.get(ReminderOptOut, "maher@tyr.example")
        assert again is not None and again.opted_out_at == since
    assert "<form" not in api.client.get(link).text  # the page now says it is done
    # A forged or tampered token: a problem, nothing recorded.
    token = link.split("/")[-1].split("?")[0]
    address, _, signature = token.partition(".")
    forged = unsubscribe._b64(b"claire@lyon.example") + "." + signature
    for bad in (forged, address + "." + signature[:-2] + "AA", "not-a-token", address):
        for method in ("GET", "POST"):
            r = api.client.request(method, f"/api/v1/unsubscribe/{bad}")
            assert r.status_code == 404, (bad, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
    with new_session() as s:
        assert s.get(ReminderOptOut, "claire@lyon.example") is None

    # A question answered and published: the Q&A to every registered contact but the one who opted out.
    r = api.post(
        f"/api/v1/events/{event['id']}/questions", json={"question": "Parking ?", "collectivity_id": tyr["id"]}
    )
    assert r.status_code == 201, r.text
    q = r.json()
    qurl = f"/api/v1/events/{event['id']}/questions/{q['id']}"
    assert api.patch(qurl, json={"answer": "Oui, gratuit.", "published": False}).status_code == 200
    assert outbox.run_due().handled == 0  # answered but not published: nothing
    assert api.patch(qurl, json={"published": True}).status_code == 200
    assert api.patch(qurl, json={"answer": "Oui, gratuit et gardé."}).status_code == 200  # corrected: not resent
    assert outbox.run_due().sent == 1
    [_, _, faq] = smtp.to("claire@lyon.example")
    text, _ = parts(faq)
    assert faq["Subject"] == "“Atelier déchets”: a question has been answered"
    assert "Question: Parking ?" in text and "Answer: Oui, gratuit." in text
    assert faq["List-Unsubscribe"] is not None
    assert len(smtp.to("maher@tyr.example")) == 2  # opted out: no FAQ
    assert len(smtp.to("nadia@beyrouth.example")) == 1  # cancelled

    # Transactional e-mails still reach an opted-out address: a new registration is confirmed.
    other = make_event(title="Webinaire eau")
    r = api.post(
        f"/api/v1/events/{other['id']}/registrations", json={"collectivity_id": tyr["id"], "contact_id": maher["id"]}
    )
    assert r.status_code == 201
    assert outbox.run_due().sent == 1
    assert smtp.to("maher@tyr.example")[-1]["Subject"] == "تأكيد التسجيل: Webinaire eau"
    assert smtp.to("maher@tyr.example")[-1]["List-Unsubscribe"] is None


def test_the_worker_pass_is_idempotent_and_survives_a_failing_part(
    api: Api, session: Session, make_event: EventFactory, smtp: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = make_event(title="Atelier")
    tyr = api.collectivity(name="Tyr", governorate="LB-JA")
    maher = api.contact(tyr["id"], email="maher@tyr.example")
    api.post(
        f"/api/v1/events/{event['id']}/registrations", json={"collectivity_id": tyr["id"], "contact_id": maher["id"]}
    )
    starts = datetime(2030, 6, 10, 7, 0, tzinfo=UTC)

    def broken(session: Session, *, now: datetime) -> int:
        raise RuntimeError("census is down")

    monkeypatch.setattr(emails, "census_reminders", broken)
    stats = worker.run_due(now=starts - timedelta(hours=1))
    assert stats.event_reminders == 1 and stats.census_reminders == 0
    assert worker.run_due(now=starts - timedelta(hours=1)).event_reminders == 0
    # The throttled entry point of `jisr worker`: one pass, then none until the interval is over.
    worker._last_pass.clear()
    assert worker.tick() is not None and worker.tick() is None
