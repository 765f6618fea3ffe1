"""Imports over HTTP with real tokens: formats, encodings, references, errors, idempotency, atomicity."""

import io
import uuid
from typing import Any

from openpyxl import Workbook
from sqlalchemy import text

from jisr.core.db import new_session
from jisr.worker import step
from tests.imports.conftest import FIXTURES, upload


def _rows(sql: str, **params: Any) -> list[Any]:
    with new_session() as s:
        return list(s.execute(text(sql), params))


def test_csv_utf8_bom_semicolon_french_headers(api: Any, directory: dict[str, Any]) -> None:
    saida = directory["LB-SAIDA"]
    assert saida["name"] == "Saïda" and saida["name_ar"] == "صيدا"
    assert saida["name_alt"] == ["Sidon", "Saida"]
    assert saida["governorate"] == "LB-JA" and saida["district"] == "Saïda"  # "Liban-Sud" → its code
    assert saida["population"] == 250000 and saida["languages"] == ["ar", "fr"]
    assert saida["external_refs"] == {"cuf": "C-0001"}
    assert set(saida["interest_tag_ids"]) == {api.tag_id("eau-assainissement"), api.tag_id("dechets")}
    assert directory["LB-JBEIL"]["governorate"] == "LB-KJ"
    lyon = directory["69123"]
    assert lyon["country"] == "FR" and lyon["kind"] == "commune" and lyon["departement"] == "69"
    # A label holding a comma, then a second tag after ';'
    assert set(lyon["expertise_tag_ids"]) == {api.tag_id("environnement-climat-energie"), api.tag_id("patrimoine")}
    # An Arabic label
    assert directory["200046977"]["expertise_tag_ids"] == [api.tag_id("patrimoine")]
    # Search works on what the import wrote, as for records made through the API.
    found = api.get("/api/v1/collectivities", params={"q": "sidon"}).json()["items"]
    assert [c["code"] for c in found] == ["LB-SAIDA"]


def test_second_import_of_the_same_file_changes_nothing(api: Any, directory: dict[str, Any]) -> None:
    before = _rows("SELECT id, version, updated_at FROM collectivities ORDER BY id")
    r = upload(api, "collectivities", "collectivites-fr-bom.csv")
    assert r.status_code == 200
    body = r.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 0, 4)
    assert _rows("SELECT id, version, updated_at FROM collectivities ORDER BY id") == before


def test_a_changed_row_is_updated_and_only_it_gets_a_new_version(api: Any, directory: dict[str, Any]) -> None:
    content = (FIXTURES / "collectivites-fr-bom.csv").read_bytes().decode("utf-8").replace(";250000;", ";260000;")
    r = api.post("/api/v1/imports/collectivities", files={"file": ("c.csv", content.encode())})
    body = r.json()
    assert (body["created"], body["updated"], body["unchanged"]) == (0, 1, 3), body
    saida = api.get(f"/api/v1/collectivities/{directory['LB-SAIDA']['id']}")
    assert saida.json()["population"] == 260000
    assert saida.headers["ETag"].endswith('-2"')
    lyon = api.get(f"/api/v1/collectivities/{directory['69123']['id']}")
    assert lyon.headers["ETag"].endswith('-1"')


def test_windows_1252_with_commas_and_english_headers(api: Any) -> None:
    r = upload(api, "collectivities", "collectivities-en-cp1252.csv")
    assert r.status_code == 200 and r.json()["created"] == 3, r.json()
    names = {c["name"]: c for c in api.get("/api/v1/collectivities", params={"country": "FR"}).json()["items"]}
    assert set(names) == {"Besançon", "Orléans", "Côte-d'Or"}
    assert names["Côte-d'Or"]["kind"] == "departement" and names["Côte-d'Or"]["code"] == "21"
    assert names["Orléans"]["capacity"] == "high"


def test_xlsx_with_dates_as_cells_and_as_text(api: Any, directory: dict[str, Any]) -> None:
    r = upload(api, "contacts", "contacts.xlsx")
    assert r.status_code == 200 and r.json()["created"] == 2, r.json()
    people = {c["full_name"]: c for c in api.get("/api/v1/contacts").json()["items"]}
    assert people["Hala Mansour"]["consent_at"].startswith("2021-06-15")
    assert people["Georges Aoun"]["consent_at"].startswith("2021-06-15")
    assert people["Georges Aoun"]["active"] is False
    assert people["Hala Mansour"]["collectivity_id"] == directory["LB-SAIDA"]["id"]


def test_csv_dates_in_both_formats(api: Any, directory: dict[str, Any]) -> None:
    r = upload(api, "contacts", "contacts.csv")
    assert r.json()["created"] == 2, r.json()
    people = {c["full_name"]: c for c in api.get("/api/v1/contacts").json()["items"]}
    assert people["Rima Haddad"]["consent_at"].startswith("2021-06-15")
    assert people["Karim Nassar"]["consent_at"].startswith("2021-06-15")
    assert upload(api, "contacts", "contacts.csv").json()["unchanged"] == 2


def test_needs_name_collectivities_by_code_reference_and_name_with_governorate(
    api: Any, directory: dict[str, Any]
) -> None:
    r = upload(api, "needs", "besoins.csv")
    assert r.status_code == 200 and r.json()["created"] == 3, r.json()
    needs = {n["title"]: n for n in api.get("/api/v1/needs").json()["items"]}
    water = needs["Réseau d'eau potable"]
    assert water["collectivity_id"] == directory["LB-SAIDA"]["id"]
    assert set(water["tag_ids"]) == {api.tag_id("eau-assainissement"), api.tag_id("dechets")}
    assert water["priority"] == "high" and water["estimated_budget_eur"] == 150000
    assert water["external_refs"] == {"cuf": "N-1"}
    assert needs["Valorisation du patrimoine"]["collectivity_id"] == directory["LB-JBEIL"]["id"]
    assert needs["Valorisation du patrimoine"]["tag_ids"] == [api.tag_id("patrimoine")]  # English label
    training = needs["Formation des agents"]
    assert training["collectivity_id"] == directory["LB-SAIDA"]["id"]  # "Saida" + "Liban-Sud"
    assert training["tag_ids"] == [api.tag_id("formation-professionnelle")]  # Arabic label
    assert training["estimated_budget_eur"] == 20000
    again = upload(api, "needs", "besoins.csv").json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_json_file_and_json_body(api: Any, directory: dict[str, Any]) -> None:
    r = upload(api, "needs", "needs.json")
    assert r.status_code == 200 and r.json()["created"] == 2, r.json()
    body = [
        {
            "collectivity_code": "LB-JBEIL",
            "title": "Éclairage public solaire",
            "priority": "low",
            "external_refs": {"cuf": "N-10"},
        }
    ]
    r = api.post("/api/v1/imports/needs", json=body)
    assert (r.json()["created"], r.json()["updated"]) == (0, 1), r.json()
    light = api.get("/api/v1/needs", params={"q": "eclairage"}).json()["items"]
    assert len(light) == 1 and light[0]["priority"] == "low"
    assert light[0]["tag_ids"] == [api.tag_id("energies-renouvelables")]  # a column not sent is left alone


def test_dry_run_checks_everything_and_writes_nothing(api: Any) -> None:
    r = upload(api, "collectivities", "collectivites-fr-bom.csv", dry_run="true")
    body = r.json()
    assert r.status_code == 200 and body["created"] == 4 and body["committed"] is False and body["dry_run"]
    assert api.get("/api/v1/collectivities").json()["total"] == 0
    assert _rows("SELECT count(*) FROM external_refs")[0][0] == 0
    assert _rows("SELECT count(*) FROM tag_links")[0][0] == 0


def test_every_kind_of_bad_row_is_reported_and_nothing_is_written(api: Any, directory: dict[str, Any]) -> None:
    r = upload(api, "needs", "besoins-erreurs.csv")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "rejected" and body["committed"] is False
    errors = {(e["row"], e["field"]) for e in body["errors"]}
    assert (3, "Thématiques") in errors  # unknown tag
    assert (4, "Collectivité") in errors  # unknown collectivity
    assert (5, "Budget") in errors  # wrong type
    assert (6, "Priorité") in errors  # a value outside the list
    assert (7, "Titre") in errors  # duplicate of row 2 within the file
    assert (8, "Collectivité") in errors  # missing required value
    assert all(e["message"] for e in body["errors"])
    dup = next(e for e in body["errors"] if e["row"] == 7)
    assert "ligne 2" in dup["message"] and (dup["code"], dup["params"]) == ("duplicate_row", {"row": 2})
    assert api.get("/api/v1/needs").json()["total"] == 0  # row 2 was valid, and still nothing was written


def test_on_error_skip_writes_the_valid_rows(api: Any, directory: dict[str, Any]) -> None:
    body = upload(api, "needs", "besoins-erreurs.csv", on_error="skip").json()
    assert body["status"] == "done" and body["committed"] is True
    assert body["created"] == 1 and body["rejected"] == 6, body
    assert [n["title"] for n in api.get("/api/v1/needs").json()["items"]] == ["Ligne valide"]


def test_bad_date_and_missing_column(api: Any, directory: dict[str, Any]) -> None:
    body = upload(api, "contacts", "contacts-date-invalide.csv").json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(3, "Consentement")]
    assert "15/06/2021" in body["errors"][0]["message"]
    assert api.get("/api/v1/contacts").json()["total"] == 0
    r = api.post(
        "/api/v1/imports/needs",
        content="Titre;Priorité\nSans collectivité;haute\n",
        headers={"Content-Type": "text/csv"},
    )
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "collectivity")]
    assert "la colonne manque" in r.json()["errors"][0]["message"]


def test_unknown_columns_are_errors_and_hash_columns_are_ignored(api: Any) -> None:
    csv = "country;kind;name;Populaton;# notes\nLB;municipality;Tyr;1000;à rappeler\n"
    body = api.post("/api/v1/imports/collectivities", content=csv, headers={"Content-Type": "text/csv"}).json()
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(1, "Populaton")]
    assert "Colonnes connues" in body["errors"][0]["message"]


def test_an_error_mid_file_leaves_nothing_behind(api: Any) -> None:
    lines = ["country;kind;name;code"] + [f"FR;commune;Commune {i};{10000 + i}" for i in range(2500)]
    lines.insert(1800, "FR;commune;;99999")  # an empty name in the middle of the third batch
    r = api.post(
        "/api/v1/imports/collectivities",
        content="\n".join(lines).encode(),
        headers={"Content-Type": "text/csv"},
        params={"background": "false"},
    )
    body = r.json()
    assert body["status"] == "rejected" and body["created"] == 2500 and body["error_count"] == 1, body
    assert body["errors"][0]["row"] == 1801
    assert api.get("/api/v1/collectivities").json()["total"] == 0


def test_parents_earlier_in_the_same_file(api: Any) -> None:
    csv = "country;kind;name;code;parent code\nFR;epci;CC du Test;200000001;\nFR;commune;Village;01999;200000001\n"
    body = api.post("/api/v1/imports/collectivities", content=csv, headers={"Content-Type": "text/csv"}).json()
    assert body["created"] == 2, body
    items = {c["code"]: c for c in api.get("/api/v1/collectivities").json()["items"]}
    assert items["01999"]["parent_id"] == items["200000001"]["id"]


def test_binary_junk_and_empty_files_are_refused(api: Any) -> None:
    r = upload(api, "collectivities", "junk.bin")
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert "binary" in r.json()["detail"]
    r = api.post("/api/v1/imports/collectivities", files={"file": ("x.xlsx", b"PK\x03\x04 not really a zip")})
    assert r.status_code == 422 and "xlsx" in r.json()["detail"]
    r = api.post("/api/v1/imports/collectivities", files={"file": ("empty.csv", b"")})
    assert r.status_code == 422


def test_oversized_file_gets_413(monkeypatch: Any, api: Any) -> None:
    from fastapi.testclient import TestClient

    from jisr.core.config import get_settings
    from jisr.main import create_app

    monkeypatch.setattr(get_settings(), "max_import_bytes", 1000)
    with TestClient(create_app(), raise_server_exceptions=False) as small:
        r = small.post(
            "/api/v1/imports/collectivities",
            headers=api.headers("admin"),
            files={"file": ("big.csv", b"country;kind;name\n" + b"LB;municipality;X\n" * 200)},
        )
    assert r.status_code == 413 and r.headers["content-type"].startswith("application/problem+json")


def test_big_files_run_as_a_job_with_progress(api: Any, directory: dict[str, Any]) -> None:
    content = (FIXTURES / "besoins.csv").read_bytes()
    r = api.post("/api/v1/imports/needs", files={"file": ("besoins.csv", content)}, params={"background": "true"})
    assert r.status_code == 202, r.text
    location = r.headers["Location"]
    assert r.json()["status"] == "queued"
    assert api.get(location).json()["status"] == "queued"  # the request does not run it
    step(jobs=False)  # nor the loop of a server process when a worker process runs the jobs (`jisr serve`)
    assert api.get(location).json()["status"] == "queued"
    assert step().jobs == 1  # the worker does
    job = api.get(location).json()
    assert job["status"] == "done" and job["created"] == 3 and job["processed"] == 3 and job["committed"], job
    listed = api.get("/api/v1/imports", params={"kind": "needs"}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == job["id"]
    assert api.get(f"/api/v1/imports/{uuid.uuid4()}").status_code == 404


def test_import_writes_what_the_services_write(api: Any) -> None:
    """search_text, tag links and external references as a record made through the API would have."""
    made = api.collectivity(
        name="Tripoli",
        name_ar="طرابلس",
        name_alt=["Trablos"],
        code="LB-TRIPOLI",
        governorate="LB-AS",
        interest_tag_ids=[api.tag_id("dechets")],
        external_refs={"cuf": "C-9"},
    )
    expected = _rows(
        "SELECT search_text FROM collectivities WHERE id = :id",
        id=uuid.UUID(made["id"]).hex if _is_sqlite() else uuid.UUID(made["id"]),
    )[0][0]
    api.delete(f"/api/v1/collectivities/{made['id']}")
    csv = (
        "country;kind;name;name_ar;name_alt;code;governorate;interest;ref:cuf\n"
        "LB;municipality;Tripoli;طرابلس;Trablos;LB-TRIPOLI;LB-AS;dechets;C-9\n"
    )
    assert (
        api.post("/api/v1/imports/collectivities", content=csv.encode(), headers={"Content-Type": "text/csv"}).json()[
            "created"
        ]
        == 1
    )
    item = api.get("/api/v1/collectivities", params={"external_ref": "cuf:C-9"}).json()["items"][0]
    assert item["interest_tag_ids"] == [api.tag_id("dechets")] and item["external_refs"] == {"cuf": "C-9"}
    got = _rows("SELECT search_text FROM collectivities WHERE code = 'LB-TRIPOLI'")[0][0]
    assert got == expected
    links = _rows("SELECT resource_type, relation FROM tag_links")
    assert [tuple(r) for r in links] == [("collectivity", "interest")]


def _is_sqlite() -> bool:
    with new_session() as s:
        return s.get_bind().dialect.name == "sqlite"


def test_only_staff_may_import(api: Any) -> None:
    assert upload(api, "collectivities", "collectivities-en-cp1252.csv", role="viewer").status_code == 403
    assert upload(api, "collectivities", "collectivities-en-cp1252.csv", role="member").status_code == 403
    assert upload(api, "collectivities", "collectivities-en-cp1252.csv", role="anonymous").status_code == 401
    assert upload(api, "collectivities", "collectivities-en-cp1252.csv", role="coordinator").status_code == 200
    assert api.get("/api/v1/imports", "viewer").status_code == 403


def test_xlsx_made_in_memory_round_trips_numbers_and_codes(api: Any) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Pays", "Type", "Nom", "Code INSEE", "Département", "Population", "Latitude"])
    ws.append(["France", "Commune", "Ambérieu-en-Bugey", "01004", 1, 15934.0, 45.958])
    out = io.BytesIO()
    wb.save(out)
    r = api.post("/api/v1/imports/collectivities", files={"file": ("c.xlsx", out.getvalue())})
    assert r.json()["created"] == 1, r.json()
    c = api.get("/api/v1/collectivities").json()["items"][0]
    assert (c["code"], c["departement"], c["population"], c["latitude"]) == ("01004", "01", 15934, 45.958)
