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
    assert outbox.run_due().sent == 4  # each proposal: the Lebanese side and the French side

    [claire] = smtp.to("claire@villeurbanne.example")
    text, _ = parts(claire)
    assert claire["Subject"].startswith("Proposition de partenariat : ")
    assert "Jisr propose à Villeurbanne de travailler avec" in text and "« Réseau d'eau potable »" in text
    first_reason = by_french[villeurbanne["id"]]["reasons"][0]
    assert first_reason["label_fr"] in text
    [paul] = smtp.to("paul@grenoble.example")
    assert by_french[grenoble["id"]]["reasons"][0]["label_en"] in parts(paul)[0]
    arabic = smtp.to("maher@saida.example")
    assert len(arabic) == 2
    text, html = parts(arabic[0])
    assert "تقترح منصة جسر" in text and 'dir="rtl"' in html
    assert any(r["label_ar"] in text for p in items for r in p["reasons"])
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
