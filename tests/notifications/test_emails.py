"""E-mails through the outbox to a real SMTP server: census invitations and receipts in fr/en/ar,
nothing lost nor failed without SMTP, the dead-letter path, and a worker that dies mid-send."""

from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from jisr.core.db import new_session, utcnow
from jisr.outbox import service as outbox
from jisr.outbox.models import OutboxItem
from tests.conftest import Api
from tests.notifications.conftest import Mailbox, answer, parts

CampaignFactory = Any


def emails(session: Session) -> list[OutboxItem]:
    session.expire_all()
    return list(session.exec(select(OutboxItem).where(OutboxItem.kind == "email")))


def three_contacts(api: Api) -> tuple[dict[str, Any], dict[str, str]]:
    saida = api.collectivity(name="Saïda", name_ar="صيدا", governorate="LB-JA", languages=["ar", "fr"])
    people = {
        "ar": api.contact(saida["id"], email="maher@saida.example", languages=["ar"]),
        "fr": api.contact(saida["id"], full_name="Rima Haddad", email="rima@saida.example", languages=["fr"]),
        "en": api.contact(saida["id"], full_name="Sam Aoun", email="sam@saida.example", languages=["en"]),
    }
    api.contact(saida["id"], full_name="Sans adresse")  # no e-mail: nobody to write to
    api.contact(saida["id"], full_name="Parti", email="gone@saida.example", active=False)
    return saida, {lang: c["email"] for lang, c in people.items()}


def test_invitation_waits_without_smtp_then_goes_out_in_each_language(
    api: Api, session: Session, make_campaign: CampaignFactory, no_smtp: None
) -> None:
    saida, to = three_contacts(api)
    campaign = make_campaign(title="Recensement 2026")
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    assert r.status_code == 201, r.text
    [link] = r.json()["items"]
    queued = emails(session)
    assert sorted(i.target for i in queued) == sorted(to.values())  # the inactive and address-less are skipped

    # No SMTP configured: nothing fails, everything stays pending and visible to the admin.
    stats = outbox.run_due()
    assert (stats.sent, stats.failed, stats.dead) == (0, 0, 0)
    assert {(i.status, i.attempts) for i in emails(session)} == {("pending", 0)}
    r = api.get("/api/v1/outbox", params={"kind": "email", "status": "pending"})
    assert r.status_code == 200 and r.json()["total"] == 3
    assert api.get("/api/v1/outbox", role="coordinator").status_code == 403


def test_invitations_and_receipts_reach_a_real_smtp_server(
    api: Api, session: Session, make_campaign: CampaignFactory, smtp: Mailbox
) -> None:
    saida, to = three_contacts(api)
    campaign = make_campaign(title="Recensement 2026")
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    [link] = r.json()["items"]
    assert outbox.run_due().sent == 3
    assert outbox.run_due().handled == 0  # sent once

    [fr] = smtp.to(to["fr"])
    text, html = parts(fr)
    assert fr["Subject"] == "Recensement « Recensement 2026 » : votre lien personnel"
    assert fr["From"] == "Jisr <jisr@example.org>"
    assert link["url"] in text and link["url"] in html
    assert "Saïda est invitée" in text
    assert "parce que votre adresse est celle d'un contact de Saïda" in text  # why
    assert "Envoyé par l'équipe du programme via Jisr" in text  # who
    assert 'lang="fr" dir="ltr"' in html

    [en] = smtp.to(to["en"])
    text, html = parts(en)
    assert en["Subject"] == "Census “Recensement 2026”: your private link"
    assert link["url"] in text and "Sent by the programme team through Jisr" in text

    [ar] = smtp.to(to["ar"])
    text, html = parts(ar)
    assert ar["Subject"] == "استبيان «Recensement 2026»: رابطكم الخاص"
    assert "صيدا مدعوة" in text and link["url"] in text
    assert 'lang="ar" dir="rtl"' in html and 'body dir="rtl"' in html
    assert "أرسلها فريق البرنامج" in text

    # A reissued link is a new e-mail with the new link; the old one is not sent again.
    r = api.post(f"/api/v1/census/campaigns/{campaign['id']}/invitations/{link['id']}/token", role="coordinator")
    assert r.status_code == 200, r.text
    new_url = r.json()["url"]
    assert outbox.run_due().sent == 3
    assert [new_url in parts(m)[0] for m in smtp.to(to["fr"])] == [False, True]

    # The receipt goes to the address typed in the form, in the form's language; once a day per address.
    body = answer(language="en", contact={"full_name": "Nour Saad", "email": "nour@saida.example"})
    assert api.client.put(f"/api/v1/census/forms/{link['token']}", json=body).status_code == 404  # old link
    token = new_url.rsplit("/", 1)[1]
    assert api.client.put(f"/api/v1/census/forms/{token}", json=body).status_code == 201
    assert api.client.put(f"/api/v1/census/forms/{token}", json=body).status_code == 200
    assert outbox.run_due().sent == 1
    receipts = smtp.to("nour@saida.example")
    assert len(receipts) == 1
    text, _ = parts(receipts[0])
    assert receipts[0]["Subject"] == "Census “Recensement 2026”: answer received"
    assert "Hello," in text and "We received the answer of Saïda" in text and "(1 need(s))" in text
    assert "because you answered the census for Saïda" in text and "Nour Saad" not in text

    body = answer(language="ar", contact={"full_name": "نور", "email": "nour.saad@saida.example"})
    assert api.client.put(f"/api/v1/census/forms/{token}", json=body).status_code == 200
    outbox.run_due()
    text, html = parts(smtp.to("nour.saad@saida.example")[-1])
    assert "استلمنا إجابة صيدا" in text and 'dir="rtl"' in html


def test_refused_recipient_is_a_dead_letter_an_admin_can_retry(
    api: Api, session: Session, make_campaign: CampaignFactory, smtp: Mailbox
) -> None:
    saida = api.collectivity(name="Tyr", governorate="LB-JA")
    api.contact(saida["id"], email="nobody@tyr.example", languages=["fr"])
    api.contact(saida["id"], email="busy@tyr.example", languages=["fr"])
    smtp.refuse["nobody@tyr.example"] = "550 5.1.1 No such user"
    smtp.refuse["busy@tyr.example"] = "451 4.3.0 Try again later"
    campaign = make_campaign()
    api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    now = utcnow()
    stats = outbox.run_due(now=now)
    assert (stats.sent, stats.failed, stats.dead) == (0, 1, 1)
    by = {i.target: i for i in emails(session)}
    assert by["nobody@tyr.example"].status == "dead" and "550" in str(by["nobody@tyr.example"].last_error)
    busy = by["busy@tyr.example"]
    assert busy.status == "pending" and busy.attempts == 1 and "451" in str(busy.last_error)
    assert busy.next_attempt_at > now  # backoff
    assert outbox.run_due(now=now).handled == 0

    r = api.get("/api/v1/outbox", params={"status": "dead"})
    assert r.status_code == 200
    [dead] = r.json()["items"]
    assert dead["target"] == "nobody@tyr.example" and dead["kind"] == "email"

    # The address is fixed on the far side; the admin retries the dead letter.
    del smtp.refuse["nobody@tyr.example"]
    assert api.post(f"/api/v1/outbox/{dead['id']}/retry", role="coordinator").status_code == 403
    r = api.post(f"/api/v1/outbox/{dead['id']}/retry")
    assert r.status_code == 200 and r.json()["status"] == "pending"
    assert outbox.run_due().sent == 1
    assert len(smtp.to("nobody@tyr.example")) == 1
    assert api.post("/api/v1/outbox/00000000-0000-0000-0000-000000000000/retry").status_code == 404


def test_a_worker_killed_mid_send_does_not_duplicate(
    api: Api, session: Session, make_campaign: CampaignFactory, smtp: Mailbox
) -> None:
    saida = api.collectivity(name="Byblos", governorate="LB-JL")
    api.contact(saida["id"], email="a@byblos.example")
    api.post(
        f"/api/v1/census/campaigns/{make_campaign()['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    now = utcnow()
    # A worker claims the message, then dies before sending it (its claim is committed).
    with new_session() as s:
        assert len(outbox._claim(s, now, 10, ["email"])) == 1
    # Another worker does not take the leased row…
    assert outbox.run_due(now=now + timedelta(seconds=5)).handled == 0
    assert smtp.messages == []
    # …until the lease is over; then it is sent once, and never again.
    later = now + timedelta(seconds=outbox.LEASE_SECONDS + 1)
    assert outbox.run_due(now=later).sent == 1
    assert outbox.run_due(now=later + timedelta(days=1)).handled == 0
    [msg] = smtp.messages
    # Enqueuing the same event again stores nothing (idempotency key per recipient and event).
    from jisr.notifications import service as notify

    values = {"campaign": "C", "collectivity": "B", "name": "N", "needs": 0, "submitted_at": "", "closes_at": ""}
    with new_session() as s:
        for address in ("x@byblos.example", "X@Byblos.example"):
            notify.queue(s, to=address, lang="fr", template="census_receipt", values=values, key="receipt:1")
        s.commit()
    assert len(emails(session)) == 2  # the invitation, and one receipt for the same (recipient, event)
    assert msg["Message-ID"].endswith("@127.0.0.1>")


def test_html_emails_isolate_every_value_in_its_own_direction() -> None:
    """An Arabic name in a French e-mail (and a French one in an Arabic e-mail) is a <bdi dir="auto">:
    the punctuation around it stays on the page's side ("Baalbekبعلبك" cannot run together)."""
    from jisr.notifications.templates import render

    values = {"collectivity": "بعلبك", "campaign": "Recensement 2026", "closes_at": "30/06/2026", "sender": "CUF"}
    _, text, html = render("census_invitation", "fr", values, link="https://jisr.example/c/x")
    assert '<bdi dir="auto">بعلبك</bdi> est invitée' in html
    assert '« <bdi dir="auto">Recensement 2026</bdi> »' in html
    assert 'contact de <bdi dir="auto">بعلبك</bdi>.' in html  # the footer too
    assert 'Envoyé par <bdi dir="auto">CUF</bdi>' in html
    assert "<bdi" not in text  # the plain text part is left as written
    _, _, html_ar = render("census_invitation", "ar", {**values, "collectivity": "Baalbek <b>"}, link=None)
    assert '<bdi dir="auto">Baalbek &lt;b&gt;</bdi> مدعوة' in html_ar
