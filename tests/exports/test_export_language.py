"""Issue 21, item 17: exports for people (`?lang=`): headers and values in French (or English, Arabic), ids in
the last columns; French and English files import back unchanged."""

import csv
import io
import re
from typing import Any

import pytest

from jisr.exports import labels
from jisr.imports import columns


def _rows(r: Any) -> tuple[list[str], list[dict[str, str]]]:
    assert r.status_code == 200, r.text
    reader = csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";")
    return list(reader.fieldnames or []), list(reader)


def _directory(api: Any) -> dict[str, Any]:
    saida = api.collectivity(
        name="Saïda",
        name_ar="صيدا",
        code="LB-SAIDA",
        governorate="LB-JA",
        languages=["ar", "fr"],
        interest_tag_ids=[api.tag_id("eau-assainissement")],
        external_refs={"cuf": "C-1"},
    )
    api.need(
        saida["id"],
        title="Réseau d'eau",
        status="open",
        priority="high",
        tag_ids=[api.tag_id("eau-assainissement")],
        estimated_budget_eur=120000,
    )
    return saida


def test_french_export_speaks_french_with_ids_last_and_imports_back(api: Any) -> None:
    _directory(api)
    headers, rows = _rows(api.get("/api/v1/exports/needs.csv", params={"lang": "fr"}))
    assert {"Nom collectivité", "Sens", "Titre", "Thèmes", "Statut", "Budget estimé"} <= set(headers)
    assert {"id", "collectivity_id"} <= set(headers)
    first_id = min(i for i, h in enumerate(headers) if labels.is_id(h))
    assert all(labels.is_id(h) or h.startswith("ref:") for h in headers[first_id:])
    need = rows[0]
    assert (need["Sens"], need["Statut"], need["Priorité"]) == ("Demande", "Ouvert", "Haute")
    assert need["Thèmes"] == "Eau et assainissement" and need["Nom collectivité"] == "Saïda"
    _, cols = _rows(api.get("/api/v1/exports/collectivities.csv", params={"lang": "fr"}))
    assert (cols[0]["Pays"], cols[0]["Type"], cols[0]["Gouvernorat"]) == ("Liban", "Municipalité", "Liban-Sud")
    assert cols[0]["Langues"] == "Arabe | Français" and cols[0]["Centres d'intérêt"] == "Eau et assainissement"
    for kind in ("collectivities", "needs"):
        exported = api.get(f"/api/v1/exports/{kind}.csv", params={"lang": "fr"}).content
        body = api.post(f"/api/v1/imports/{kind}", files={"file": (f"{kind}.csv", exported)}).json()
        assert body["errors"] == [] and body["created"] == body["updated"] == 0 and body["unchanged"] == 1, body


def test_arabic_and_english_headers(api: Any) -> None:
    _directory(api)
    headers, rows = _rows(api.get("/api/v1/exports/needs.csv", params={"lang": "ar"}))
    assert "العنوان" in headers and rows[0]["الحالة"] == "مفتوح"
    exported = api.get("/api/v1/exports/needs.csv", params={"lang": "en"}).content
    headers, rows = _rows(api.get("/api/v1/exports/needs.csv", params={"lang": "en"}))
    assert rows[0]["Status"] == "Open" and rows[0]["Themes"] == "Water and sanitation"
    body = api.post("/api/v1/imports/needs", files={"file": ("needs.csv", exported)}).json()
    assert body["errors"] == [] and body["unchanged"] == 1, body


def test_without_lang_the_export_keeps_the_api_names(api: Any) -> None:
    _directory(api)
    headers, rows = _rows(api.get("/api/v1/exports/needs.csv"))
    assert headers[0] == "tag_ids" and rows[0]["status"] == "open"


@pytest.mark.parametrize("kind", ["collectivities", "needs"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_french_and_english_header_is_read_back_by_the_imports(kind: str, lang: str) -> None:
    fields = [c.name for c in columns.COLUMNS[kind]]
    for field in fields:
        if field not in labels.HEADERS:
            continue
        hm = columns.map_headers(kind, [labels.header(field, lang)])
        mapped = {c.name for c in hm.columns.values()} | ({field} if hm.ignored else set())
        assert mapped == {field}, (field, labels.header(field, lang), mapped)


def test_every_arabic_value_label_is_written_in_arabic():
    arabic = re.compile("[\u0600-\u06ff]")
    every = [*labels.HEADERS.values(), *(label for values in labels.VALUES.values() for label in values.values())]
    assert [label for label in every if not arabic.search(label["ar"])] == []
