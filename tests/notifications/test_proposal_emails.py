"""Proposals: each side told in its language with the reasons; unanswered ones reminded once, then expired,
driven by a controllable clock."""

from datetime import timedelta
from typing import Any

from jisr.core.db import utcnow
from jisr.notifications import proposals
from jisr.outbox import service as outbox
from tests.conftest import Api
from tests.notifications.conftest import Mailbox, parts


def test_proposals_are_announced_reminded_once_then_expire(api: Api, smtp: Mailbox) -> None:
    water = api.tag_id("eau-assainissement")
    saida = api.own_collectivity()
    api.contact(saida["id"], email="maher@saida.example", languages=["ar"])
    need = api.need(saida["id"], title="Réseau d'eau potable", tag_ids=[water])
    fr = lambda name, **kw: api.collectivity(country="FR", kind="commune", name=name, **kw)  # noqa: E731
    villeurbanne = fr("Villeurbanne", population=150000, capacity="medium", expertise_tag_ids=[water])
    grenoble = fr("Grenoble", population=160000, capacity="medium", expertise_tag_ids=[water])
    api.contact(villeurbanne["id"], email="claire@villeurbanne.example", languages=["fr"])
    api.contact(grenoble["id"], email="paul@grenoble.example", languages=["en"])

    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 2, "max_per_french_collectivity": 3})
    assert r.status_code == 201, r.text
    items = api.get("/api/v1/matches", params={"need_id": need["id"]}).json()["items"]
    by_french: dict[str, dict[str, Any]] = {p["french_collectivity_id"]: p for p in items}
    assert set(by_french) == {villeurbanne["id"], grenoble["id"]}
    assert outbox.run_due().sent == 3  # each French side, and one e-mail listing both for the Lebanese side

    [claire] = smtp.to("claire@villeurbanne.example")
    text, _ = parts(claire)
    assert claire["Subject"].startswith("Proposition de partenariat : ")
    assert "Jisr propose à Villeurbanne de travailler avec" in text and "« Réseau d'eau potable »" in text
    first_reason = by_french[villeurbanne["id"]]["reasons"][0]
    assert first_reason["label_fr"] in text
    [paul] = smtp.to("paul@grenoble.example")
    assert by_french[grenoble["id"]]["reasons"][0]["label_en"] in parts(paul)[0]
    [arabic] = smtp.to("maher@saida.example")
    text, html = parts(arabic)
    assert "تقترح منصة جسر" in text and 'dir="rtl"' in html
    assert all(p["reasons"][0]["label_ar"] in text and f"/matches/{p['id']}" in text for p in items)
    # The same run again changes nothing: nobody is told twice.
    api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 2, "max_per_french_collectivity": 3})
    assert outbox.run_due().handled == 0

    # Grenoble's proposal is answered; Villeurbanne's is not.
    answered = by_french[grenoble["id"]]
    r = api.post(f"/api/v1/matches/{answered['id']}/transitions", "member", json={"to": "accepted"})
    assert r.status_code == 200, r.text

    start = utcnow()
    assert proposals.run_due(now=start + timedelta(days=13)) == proposals.ExpiryStats(0, 0)
    assert proposals.run_due(now=start + timedelta(days=14, hours=12)) == proposals.ExpiryStats(1, 0)
    assert proposals.run_due(now=start + timedelta(days=15)) == proposals.ExpiryStats(0, 0)  # reminded once
    assert outbox.run_due().sent == 2  # both sides of the unanswered proposal
    [_, reminder] = smtp.to("claire@villeurbanne.example")
    text, _ = parts(reminder)
    assert reminder["Subject"].startswith("Rappel : proposition de partenariat avec")
    assert "elle expirera" in text and "rappel unique" in text
    assert reminder["List-Unsubscribe"] is not None and "/api/v1/unsubscribe/" in text  # a reminder
    assert claire["List-Unsubscribe"] is None  # the proposal itself is not
    assert "تذكير" in smtp.to("maher@saida.example")[-1]["Subject"]
    assert smtp.to("paul@grenoble.example") == [paul]  # the answered proposal is left alone

    assert proposals.run_due(now=start + timedelta(days=17, hours=12)) == proposals.ExpiryStats(0, 1)
    assert proposals.run_due(now=start + timedelta(days=30)) == proposals.ExpiryStats(0, 0)
    expired = api.get(f"/api/v1/matches/{by_french[villeurbanne['id']]['id']}").json()
    assert expired["status"] == "expired"
    assert expired["history"][-1]["from"] == "proposed" and expired["history"][-1]["to"] == "expired"
    assert expired["history"][-1]["by"] == "jisr (automatic expiry)"
    assert api.get(f"/api/v1/matches/{answered['id']}").json()["status"] == "accepted"


def test_one_run_sends_each_recipient_one_email_listing_its_proposals(api: Api, smtp: Mailbox) -> None:
    """Issue 21 item 6: one run sent Tyr's contact six e-mails, one per proposal."""
    water, waste = api.tag_id("eau-assainissement"), api.tag_id("dechets")
    tyr = api.collectivity(name="Tyr", code="LB-TYR")
    api.contact(tyr["id"], email="rana@tyr.example", languages=["fr"])
    api.need(tyr["id"], title="Réseau d'eau potable", tag_ids=[water])
    api.need(tyr["id"], title="Tri des déchets", tag_ids=[waste])
    french = [
        api.collectivity(country="FR", kind="commune", name=name, population=150000, expertise_tag_ids=[water, waste])
        for name in ("Villeurbanne", "Grenoble", "Nantes")
    ]
    api.contact(french[0]["id"], email="claire@villeurbanne.example", languages=["fr"])
    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 3, "max_per_french_collectivity": 3})
    assert r.status_code == 201, r.text
    items = api.get("/api/v1/matches", params={"collectivity_id": tyr["id"]}).json()["items"]
    assert len(items) == 6
    assert outbox.run_due().sent == 2  # Tyr's contact once (six proposals), Villeurbanne's once (two)
    [rana] = smtp.to("rana@tyr.example")
    text, html = parts(rana)
    assert rana["Subject"] == "6 propositions de partenariat pour Tyr"
    for p in items:  # each proposal: the partner, the need, the reasons and its own link
        assert f"/matches/{p['id']}" in text and f'href="http://127.0.0.1:8000/matches/{p["id"]}"' in html
        assert p["reasons"][0]["label_fr"] in text
    assert "« Réseau d'eau potable »" in text and "« Tri des déchets »" in text
    [claire] = smtp.to("claire@villeurbanne.example")
    assert claire["Subject"] == "2 propositions de partenariat pour Villeurbanne"
    # The same run again: nothing new to tell anyone.
    api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 3, "max_per_french_collectivity": 3})
    assert outbox.run_due().handled == 0
