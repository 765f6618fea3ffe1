"""Exports: the list's filters, French Excel CSV, XLSX, JSON, formula neutralising, Atlas terms."""

import csv
import io
from typing import Any

from openpyxl import load_workbook


def _csv(r: Any) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.content.startswith("\ufeff".encode())  # BOM: French Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))


def test_csv_with_the_list_filters_and_neutralised_formulas(api: Any) -> None:
    api.collectivity(
        name='=HYPERLINK("http://evil.example","clic")',
        description="@SUM(A1)",
        longitude=-3.5,
        governorate="LB-JA",
        code="LB-X1",
    )
    api.collectivity(name="Tyr", name_alt=["Sour", "+33"], code="LB-TYR", governorate="LB-JA")
    api.collectivity(country="FR", name="Lyon", code="69123")
    r = api.get("/api/v1/exports/collectivities.csv", params={"country": "LB", "sort": "-name"})
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv(r)
    assert [row["code"] for row in rows] == ["LB-TYR", "LB-X1"]  # the filter and the sort of the list
    evil = rows[1]
    assert evil["name"] == '\'=HYPERLINK("http://evil.example","clic")'
    assert evil["description"] == "'@SUM(A1)"
    assert evil["longitude"] == "-3.5"  # a number, not a formula
    assert rows[0]["name_alt"] == "Sour | +33"  # list cells are joined, not one per line
    assert r.content.decode("utf-8-sig").splitlines()[0].count(";") > 10


def test_formula_cells_in_every_starting_character(api: Any) -> None:
    # Names are trimmed at the door: a tab or space before the formula is gone, the formula stays.
    for i, start in enumerate(["=", "+", "-", "@", "\t=", " @"]):
        api.collectivity(name=f"{start}1+1 n{i}", code=f"LB-F{i}")
    rows = _csv(api.get("/api/v1/exports/collectivities.csv"))
    assert len(rows) == 6 and all(row["name"].startswith("'") for row in rows)


def test_xlsx_cells_are_text_not_formulas(api: Any) -> None:
    api.collectivity(name="=1+2", code="LB-X2", population=1200)
    r = api.get("/api/v1/exports/collectivities.xlsx")
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    ws = load_workbook(io.BytesIO(r.content)).active
    header = [c.value for c in ws[1]]
    row = {h: c for h, c in zip(header, ws[2], strict=False)}
    assert row["name"].value == "'=1+2" and row["name"].data_type == "s"
    assert row["population"].value == 1200


def test_json_export_is_the_list_items(api: Any) -> None:
    made = api.collectivity(name="Tyr", code="LB-TYR", external_refs={"cuf": "C-1"})
    r = api.get("/api/v1/exports/collectivities.json")
    assert r.headers["content-type"].startswith("application/json")
    assert r.json() == api.get("/api/v1/collectivities").json()["items"]
    assert r.json()[0]["id"] == made["id"]


def test_comma_separator_on_request(api: Any) -> None:
    api.collectivity(name="Tyr", code="LB-TYR")
    r = api.get("/api/v1/exports/collectivities.csv", params={"separator": ","})
    assert list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))[0]["name"] == "Tyr"


def test_an_export_imports_back_unchanged(api: Any) -> None:
    saida = api.collectivity(
        name="Saïda",
        name_ar="صيدا",
        name_alt=["Sidon", "Saida"],
        code="LB-SAIDA",
        governorate="LB-JA",
        district="Saïda",
        population=250000,
        latitude=33.56,
        languages=["ar", "fr"],
        interest_tag_ids=[api.tag_id("dechets")],
        external_refs={"cuf": "C-1"},
        website="https://saida.example.org",
    )
    api.collectivity(
        country="FR",
        kind="commune",
        name="Lyon",
        code="69123",
        departement="69",
        capacity="high",
        expertise_tag_ids=[api.tag_id("patrimoine"), api.tag_id("tourisme")],
    )
    api.need(saida["id"], title="Eau", tag_ids=[api.tag_id("eau-assainissement")], estimated_budget_eur=100)
    for kind in ("collectivities", "needs"):
        exported = api.get(f"/api/v1/exports/{kind}.csv").content
        r = api.post(f"/api/v1/imports/{kind}", files={"file": (f"{kind}.csv", exported)})
        body = r.json()
        assert body["errors"] == [] and body["created"] == body["updated"] == 0, (kind, body)
        assert body["unchanged"] >= 1
        xlsx = api.get(f"/api/v1/exports/{kind}.xlsx").content
        body = api.post(f"/api/v1/imports/{kind}", files={"file": (f"{kind}.xlsx", xlsx)}).json()
        assert body["errors"] == [] and body["created"] == body["updated"] == 0, (kind, body)


def test_atlas_export(api: Any) -> None:
    lyon = api.collectivity(country="FR", name="Lyon", code="69123")
    saida = api.collectivity(name="Saïda", code="LB-SAIDA")
    tyr = api.collectivity(name="Tyr", code="LB-TYR")
    jbeil = api.collectivity(name="Jbeil", code="LB-JBEIL")
    api.partnership(
        lyon["id"],
        saida["id"],
        status="active",
        started_year=2009,
        atlas_id="6461",
        tag_ids=[api.tag_id("eau-assainissement")],
        description="Coopération eau\nDétails",
    )
    api.partnership(lyon["id"], tyr["id"], status="ended", started_year=1998, ended_year=2012)
    api.partnership(lyon["id"], jbeil["id"], status="planned")
    r = api.get("/api/v1/exports/partnerships-atlas.csv")
    rows = {row["Collectivité libanaise"]: row for row in _csv(r)}
    assert set(rows) == {"Saïda", "Tyr"}  # planned: not signed yet
    assert rows["Saïda"]["Statut"] == "En cours" and rows["Saïda"]["Titre"] == "Coopération eau"
    assert rows["Saïda"]["Thématique"] == "Environnement, climat et énergie › Eau et assainissement"
    assert rows["Saïda"]["Année de première signature"] == "2009" and rows["Saïda"]["Identifiant Atlas"] == "6461"
    assert rows["Tyr"]["Statut"] == "Terminé" and rows["Tyr"]["Date de fin"] == "2012"
    assert rows["Tyr"]["Titre"] == "Coopération Lyon – Tyr"
    only_ended = _csv(api.get("/api/v1/exports/partnerships-atlas.csv", params={"status": "ended"}))
    assert [row["Collectivité libanaise"] for row in only_ended] == ["Tyr"]


def test_exports_keep_the_permissions_of_their_list(api: Any) -> None:
    c = api.collectivity(name="Tyr", code="LB-TYR")
    api.contact(c["id"])
    assert api.get("/api/v1/exports/contacts.csv", "viewer").status_code == 403
    assert api.get("/api/v1/exports/contacts.csv", "anonymous").status_code == 401
    assert len(_csv(api.get("/api/v1/exports/contacts.csv", "coordinator"))) == 1
    assert api.get("/api/v1/exports/collectivities.csv", "viewer").status_code == 200
    assert api.get("/api/v1/exports/collectivities.pdf").status_code == 422
