"""Census links are not kept in clear (issue 14, defect 11): the e-mails that carry a form's private link
keep their bodies and link sealed (encrypted with a key derived from JISR_SECRET_KEY) in the outbox, so
neither /personal-data, a database dump nor a backup shows them; the sender and the reminder open them."""

import json
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from jisr.core.db import get_engine, new_session, utcnow
from jisr.core.security import seal
from jisr.notifications.service import build_message, census_reminders, opened
from jisr.outbox.models import OutboxItem
from tests.census.conftest import CampaignFactory, in_days
from tests.conftest import Api, Env


def test_the_private_link_is_sealed_at_rest_and_still_sent(api: Api, make_campaign: CampaignFactory) -> None:
    saida = api.collectivity(name="Saïda", governorate="LB-JA")
    api.contact(saida["id"], email="rima@saida.example", full_name="Rima Haddad")
    campaign = make_campaign(closes_at=in_days(2))
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [saida["id"]]},
    )
    token = r.json()["items"][0]["token"]

    held = api.get("/api/v1/personal-data", params={"email": "rima@saida.example"})
    assert held.status_code == 200 and held.json()["outbox"], held.text
    assert token not in held.text
    with get_engine().connect() as conn:  # what a dump or a backup holds
        dumped = json.dumps([str(row) for row in conn.execute(text("SELECT payload FROM outbox"))])
    assert token not in dumped

    with new_session() as s:
        [invitation] = list(s.exec(select(OutboxItem)))
        assert token in opened(invitation.payload)["link"]
        message = build_message(invitation, sender="Jisr <jisr@example.org>")
        plain = message.get_body(("plain",))
        assert plain is not None and token in plain.get_content()
        assert census_reminders(s, now=utcnow()) == 1  # the reminder carries the same link again
        s.commit()
        reminder = next(m for m in s.exec(select(OutboxItem)) if m.payload["template"] == "census_reminder")
        assert "link" not in reminder.payload and token in opened(reminder.payload)["link"]


def test_a_message_sealed_under_another_key_is_a_dead_letter(api: Api, monkeypatch: Any, env: Env) -> None:
    import pytest

    from jisr.core import security
    from jisr.outbox import service as outbox

    sealed = seal({"text": "x", "html": "x", "link": "x"})
    monkeypatch.setattr(security, "SEAL_CONTEXT", b"another key")
    with pytest.raises(security.Unsealable):
        security.unseal(sealed)
    with new_session() as s:
        payload = {"to": "a@example.org", "lang": "fr", "subject": "s", "headers": {}, "sealed": sealed}
        outbox.enqueue(s, kind="email", key="email:test:a@example.org", payload=payload, target="a@example.org")
        s.commit()
    env.set(smtp_host="127.0.0.1")
    assert outbox.run_due().dead == 1


def test_the_migration_seals_links_stored_in_clear(api: Api, make_campaign: CampaignFactory) -> None:
    """Rows written before the seal (link and bodies in clear) are sealed by migration 0010."""
    import importlib.util
    from pathlib import Path

    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    import jisr
    from jisr.outbox import service as outbox

    clear = {"to": "a@example.org", "lang": "fr", "template": "census_invitation", "subject": "s", "headers": {}}
    clear |= {"text": "https://jisr.example/census/SECRET-TOKEN", "html": "<a>SECRET-TOKEN</a>", "link": "L"}
    other = {"to": "a@example.org", "lang": "fr", "template": "event_reminder", "subject": "e", "text": "t"}
    with new_session() as s:
        outbox.enqueue(s, kind="email", key="email:old:a@example.org", payload=clear, target="a@example.org")
        outbox.enqueue(s, kind="email", key="email:event:a@example.org", payload=other, target="a@example.org")
        s.commit()
    path = Path(jisr.__file__).parent / "migrations" / "versions" / "0010_seal_census_links.py"
    spec = importlib.util.spec_from_file_location("seal_0010", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with get_engine().begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()
    with new_session() as s:
        rows = {m.payload["template"]: m.payload for m in s.exec(select(OutboxItem))}
    assert "SECRET-TOKEN" not in json.dumps(rows["census_invitation"])
    assert opened(rows["census_invitation"])["text"] == clear["text"]
    assert rows["event_reminder"] == other  # not a private link: left as it was
