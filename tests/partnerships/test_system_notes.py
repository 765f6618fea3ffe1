"""Sentences the server writes (issue 21, item 13) are stored as a key and parameters and said in the reader's
language: partnerships from a census answer or from a proposal, the history of a relaunched proposal; migration
0013 converts the sentences stored before (SQLite and PostgreSQL)."""

import csv
import importlib.util
import io
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

import jisr
from jisr.core.db import get_engine, new_session
from jisr.core.http import accept_language
from jisr.partnerships.models import Partnership
from tests.census.conftest import answer, in_days
from tests.conftest import Api

MIGRATION = Path(jisr.__file__).parent / "migrations" / "versions" / "0013_system_notes.py"


def _raw(id_: str, *columns: str) -> tuple[Any, ...]:
    """What the partnerships table holds."""
    with new_session() as session:
        row = session.get(Partnership, uuid.UUID(id_))
        assert row is not None
        return tuple(getattr(row, c) for c in columns)


def _said(api: Api, url: str, lang: str) -> dict[str, Any]:
    r = api.get(url, headers={"Accept-Language": lang})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _census_partnership(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lyon, a former partner named on Jezzine's census answer, validated: the partnership and the campaign."""
    api.collectivity(country="FR", kind="commune", name="Lyon", code="69123")
    jezzine = api.collectivity(name="Jezzine", name_ar="جزين", governorate="LB-JA", district="Jezzine")
    body = {
        "title": "Recensement 2026",
        "title_en": "2026 census",
        "title_ar": "استبيان 2026",
        "languages": ["ar", "fr", "en"],
        "closes_at": in_days(30),
    }
    campaign = api.post("/api/v1/census/campaigns", role="coordinator", json=body).json()
    r = api.post(
        f"/api/v1/census/campaigns/{campaign['id']}/invitations",
        role="coordinator",
        json={"collectivity_ids": [jezzine["id"]]},
    )
    [link] = r.json()["items"]
    sent = answer(former_partners=[{"name": "Lyon", "since_year": 2004, "until_year": 2015}])
    assert api.client.put(f"/api/v1/census/forms/{link['token']}", json=sent).status_code == 201
    [resp] = api.get("/api/v1/census/responses", role="coordinator", params={"campaign_id": campaign["id"]}).json()[
        "items"
    ]
    validated = api.post(f"/api/v1/census/responses/{resp['id']}/validate", role="coordinator").json()
    [partnership_id] = validated["partnership_ids"]
    return _said(api, f"/api/v1/partnerships/{partnership_id}", "fr"), campaign


def test_a_census_partnership_keeps_a_key_and_says_it_in_the_readers_language(api: Api) -> None:
    partnership, campaign = _census_partnership(api)
    pid = partnership["id"]
    key, params, description = _raw(pid, "note_key", "note_params", "description")
    assert (key, description) == ("partnership_census", "")  # no sentence stored: a key and its parameters
    assert params == {
        "campaign": "Recensement 2026",
        "campaign_en": "2026 census",
        "campaign_ar": "استبيان 2026",
        "campaign_id": campaign["id"],
    }
    url = f"/api/v1/partnerships/{pid}"
    assert partnership["description"] == ""
    assert partnership["system_note"] == {
        "key": "partnership_census",
        "params": params,
        "text": "Déclaré lors de la campagne de recensement « Recensement 2026 ».",
    }
    assert _said(api, url, "en-GB,en;q=0.9")["system_note"]["text"] == "Declared in the census campaign “2026 census”."
    assert _said(api, url, "ar-LB")["system_note"]["text"] == "شراكة مُعلنة في حملة الإحصاء «استبيان 2026»."
    assert _said(api, url, "de, en;q=0.5, ar;q=0.8")["system_note"]["text"].startswith("شراكة")
    # A coordinator's own words go to the description; the note stays.
    r = api.patch(url, role="coordinator", json={"description": "Jumelage signé en 2004"})
    assert r.status_code == 200 and r.json()["system_note"]["key"] == "partnership_census"
    # Lists say it too.
    items = api.get("/api/v1/partnerships", headers={"Accept-Language": "en"}).json()["items"]
    assert {p["id"]: p["system_note"]["text"] for p in items if p["system_note"]} == {
        pid: "Declared in the census campaign “2026 census”."
    }


def test_a_partnership_formed_from_a_proposal_and_a_relaunch_say_where_they_come_from(api: Api) -> None:
    water = api.tag_id("eau-assainissement")
    saida = api.own_collectivity()
    need = api.need(saida["id"], title="Réseau d'eau potable", tag_ids=[water])
    grenoble = api.collectivity(country="FR", name="Grenoble", capacity="medium", expertise_tag_ids=[water])
    assert api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 1}).status_code == 201
    [p] = api.get("/api/v1/matches", params={"need_id": need["id"]}).json()["items"]
    assert p["french_collectivity_id"] == grenoble["id"]
    for to in ("accepted", "partnership_formed"):
        assert api.post(f"/api/v1/matches/{p['id']}/transitions", "coordinator", json={"to": to}).status_code == 200
    [pid] = api.get(f"/api/v1/matches/{p['id']}").json()["partnership_ids"]
    assert _raw(pid, "note_key", "description") == ("partnership_matched", "")
    said = _said(api, f"/api/v1/partnerships/{pid}", "en")["system_note"]
    assert said == {
        "key": "partnership_matched",
        "params": {"need": "Réseau d'eau potable", "need_id": need["id"], "proposal_id": p["id"]},
        "text": "From a Jisr match: “Réseau d'eau potable”.",
    }
    assert _said(api, f"/api/v1/partnerships/{pid}", "ar")["system_note"]["text"] == (
        "ناتجة عن اقتراح شراكة في جسر: «Réseau d'eau potable»."
    )

    # A relaunch's history line: a key with the years, said in Arabic to an Arabic reader.
    tyr = api.collectivity(name="Tyr", name_ar="صور", governorate="LB-JA")
    api.need(tyr["id"], title="Assainissement", tag_ids=[water])
    old = api.partnership(grenoble["id"], tyr["id"], status="dormant", started_year=2010, last_activity_year=2014)
    r = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": old["id"]})
    assert r.status_code == 201, r.text
    [line] = _said(api, f"/api/v1/matches/{r.json()['id']}", "ar")["history"]
    assert line["note"] == ""
    assert line["system_note"] == {
        "key": "relaunch",
        "params": {"status": "dormant", "start": 2010, "end": 2014, "partnership_id": old["id"]},
        "text": "إعادة إطلاق الشراكة المتوقفة (2010–2014) من قائمة الشراكات.",
    }


def test_accept_language_picks_the_best_language_jisr_speaks() -> None:
    assert accept_language(None) == "fr"
    assert accept_language("de-DE, de;q=0.9") == "fr"
    assert accept_language("ar-LB,ar;q=0.9,en;q=0.8") == "ar"
    assert accept_language("en;q=0.4, ar;q=0.7, fr;q=0") == "ar"
    assert accept_language("EN_us") == "en"
    assert accept_language("ar;q=0, en;q=x") == "fr"


def _migration() -> Any:
    spec = importlib.util.spec_from_file_location("system_notes_0013", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0013_turns_the_stored_sentences_into_keys(api: Api) -> None:
    partnership, campaign = _census_partnership(api)
    pid = partnership["id"]
    water = api.tag_id("eau-assainissement")
    tyr = api.collectivity(name="Tyr", name_ar="صور", governorate="LB-JA")
    api.need(tyr["id"], title="Assainissement", tag_ids=[water])
    grenoble = api.collectivity(country="FR", name="Grenoble", expertise_tag_ids=[water])
    old = api.partnership(grenoble["id"], tyr["id"], status="ended", started_year=2010, ended_year=2014)
    match = api.post("/api/v1/matches/relaunches", "coordinator", json={"partnership_id": old["id"]}).json()
    person = api.post(f"/api/v1/matches/{match['id']}/transitions", json={"to": "contacted", "note": "Appel du maire"})
    assert person.status_code == 200
    module = _migration()
    # What a database of before holds: the sentences in their old words (downgrade writes them back), no keys.
    assert module._sentence("relaunch", {"status": "ended", "start": 2010, "end": 2014}) == (
        "Relaunch of the ended partnership (2010–2014) from the partnerships list."
    )
    with get_engine().begin() as conn:
        conn.execute(
            text("UPDATE partnerships SET note_key = NULL, note_params = NULL, description = :d WHERE note_key = :k"),
            {"d": "Declared in the census campaign “Recensement 2026”.\n\nSigné en 2004.", "k": "partnership_census"},
        )
        conn.execute(
            text("UPDATE match_transitions SET note_key = NULL, note_params = NULL, note = :n WHERE note_key = :k"),
            {"n": "Relaunch of the ended partnership (2010–2014) from the partnerships list.", "k": "relaunch"},
        )
    before = _said(api, f"/api/v1/partnerships/{pid}", "en")
    assert before["system_note"] is None and before["description"].startswith("Declared in the census campaign")

    with get_engine().begin() as conn:
        module.convert(conn)  # the data step of the upgrade

    said = _said(api, f"/api/v1/partnerships/{pid}", "en")
    assert said["description"] == "Signé en 2004."  # a person's words after the sentence are kept
    assert said["system_note"] == {
        "key": "partnership_census",
        "params": {
            "campaign": "Recensement 2026",
            "campaign_en": "2026 census",
            "campaign_ar": "استبيان 2026",
            "campaign_id": campaign["id"],
        },
        "text": "Declared in the census campaign “2026 census”.",
    }
    history = _said(api, f"/api/v1/matches/{match['id']}", "ar")["history"]
    assert [(h["note"], h["system_note"] and h["system_note"]["text"]) for h in history] == [
        ("", "إعادة إطلاق الشراكة المنتهية (2010–2014) من قائمة الشراكات."),
        ("Appel du maire", None),
    ]
    with get_engine().begin() as conn:
        module.convert(conn)  # twice is once
    assert _said(api, f"/api/v1/matches/{match['id']}", "ar")["history"] == history


def test_exports_say_the_note_in_their_language_and_import_back(api: Api) -> None:
    partnership, _ = _census_partnership(api)
    for lang, header, said in (
        ("fr", "Note de Jisr", "Déclaré lors de la campagne de recensement « Recensement 2026 »."),
        ("ar", "ملاحظة جسر", "شراكة مُعلنة في حملة الإحصاء «استبيان 2026»."),
        (None, "system_note", "Déclaré lors de la campagne de recensement « Recensement 2026 »."),
    ):
        r = api.get("/api/v1/exports/partnerships.csv", params={"lang": lang} if lang else {})
        assert r.status_code == 200, r.text
        [row] = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
        assert row[header] == said
        if lang != "ar":  # the read-only column is ignored when the file comes back
            back = api.post("/api/v1/imports/partnerships", files={"file": ("p.csv", r.content)}).json()
            assert back["errors"] == [] and back["unchanged"] == 1, back
    assert api.get(f"/api/v1/partnerships/{partnership['id']}").json()["system_note"]["key"] == "partnership_census"
