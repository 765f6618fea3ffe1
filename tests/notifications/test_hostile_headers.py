"""Defect 2: a CR/LF stored in a text that reaches a subject made every such e-mail fail until dead."""

from typing import Any

from sqlmodel import Session

from jisr.outbox import service as outbox
from tests.conftest import Api
from tests.core.test_writers import _dirty_any
from tests.notifications.conftest import Mailbox

CampaignFactory = Any


def test_an_invitation_with_a_line_break_in_its_title_is_delivered_with_no_extra_header(
    api: Api, session: Session, make_campaign: CampaignFactory, smtp: Mailbox
) -> None:
    saida = api.collectivity(name="Saïda", governorate="LB-JA", languages=["fr"])
    api.contact(saida["id"], email="rima@saida.example", languages=["fr"])
    campaign = make_campaign(title="Recensement")
    _dirty_any(session, "census_campaigns", "title", campaign["id"], "Recensement\r\nBcc: x@example.org")
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    assert r.status_code == 201, r.text
    stats = outbox.run_due()
    assert (stats.sent, stats.failed, stats.dead) == (1, 0, 0)
    [mail] = smtp.to("rima@saida.example")
    assert mail["Bcc"] is None
    assert "Recensement Bcc: x@example.org" in str(mail["Subject"]) and "\n" not in str(mail["Subject"])


def test_registering_to_an_event_with_a_line_break_in_its_title(
    api: Api, session: Session, make_event: Any, smtp: Mailbox
) -> None:
    """The registration's e-mail carries the event's calendar: it was a 500."""
    event = make_event()
    _dirty_any(session, "events", "title", event["id"], "Atelier\r\nBcc: x@example.org")
    tyr = api.collectivity(name="Tyr", languages=["fr"])
    maher = api.contact(tyr["id"], email="maher@tyr.example", languages=["fr"])
    url = f"/api/v1/events/{event['id']}/registrations"
    r = api.post(url, json={"collectivity_id": tyr["id"], "contact_id": maher["id"]})
    assert r.status_code == 201, r.text
    assert outbox.run_due().sent == 1
    [mail] = smtp.to("maher@tyr.example")
    assert mail["Bcc"] is None and "\n" not in str(mail["Subject"])
