"""The French reference directory from small files shaped like Etalab's (never the network)."""

import json
from typing import Any

from typer.testing import CliRunner

from jisr.cli import app
from jisr.worker import step
from tests.imports.conftest import FIXTURES

FILES = ("regions.json", "departements.json", "epci.json", "communes.json")


def _files() -> list[tuple[str, tuple[str, bytes]]]:
    return [("files", (name, (FIXTURES / "france" / name).read_bytes())) for name in FILES]


def test_france_reference_through_the_api(api: Any) -> None:
    r = api.post("/api/v1/imports/france-reference", files=_files())
    assert r.status_code == 202, r.text
    assert api.get(r.headers["Location"]).json()["status"] == "queued"  # not run by the request
    assert step().jobs == 1  # the worker's pass runs it
    job = api.get(r.headers["Location"]).json()
    # 2 régions + 3 départements + 2 EPCI + 4 current communes (the delegated commune and the
    # municipal arrondissement are not current communes)
    assert job["status"] == "done" and job["created"] == 11 and job["total"] == 11, job
    items = {c["code"]: c for c in api.get("/api/v1/collectivities", params={"limit": 500}).json()["items"]}
    assert "01015" not in items and "69381" not in items
    amberieu = items["01004"]
    assert (amberieu["kind"], amberieu["departement"], amberieu["region"], amberieu["population"]) == (
        "commune",
        "01",
        "84",
        15934,
    )
    assert amberieu["external_refs"] == {"siren": "210100046"}
    assert amberieu["parent_id"] == items["200071371"]["id"]  # its EPCI
    assert items["69123"]["parent_id"] is None  # in no EPCI of the file
    assert items["200071371"]["kind"] == "epci" and items["200071371"]["departement"] == "01"
    assert items["25"]["kind"] == "departement" and items["25"]["region"] == "27"
    assert items["84"]["kind"] == "region" and items["84"]["population"] == 15934 + 2850 + 522250
    audit = api.get("/api/v1/audit", params={"action": "bulk", "resource_type": "collectivities"}).json()["items"]
    assert [a["after"] for a in audit] == [
        {"operation": "import", "counts": {"created": 11, "updated": 0, "rejected": 0}, "import_id": job["id"]}
    ]

    # A coordinator's own additions survive a reload, and a reload changes nothing.
    api.patch(f"/api/v1/collectivities/{amberieu['id']}", json={"description": "Jumelée avec Jbeil"})
    location = api.post("/api/v1/imports/france-reference", files=_files()).headers["Location"]
    step()
    again = api.get(location).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 11), again
    assert api.get(f"/api/v1/collectivities/{amberieu['id']}").json()["description"] == "Jumelée avec Jbeil"


def test_france_reference_needs_staff_and_real_files(api: Any) -> None:
    assert api.post("/api/v1/imports/france-reference", "viewer", files=_files()).status_code == 403
    r = api.post("/api/v1/imports/france-reference", files=[("files", ("communes.json", b"[]"))])
    step()
    job = api.get(r.headers["Location"]).json()
    assert job["status"] == "failed" and "regions.json" in job["detail"]


def test_cli_imports_a_directory_and_a_file(api: Any, tmp_path: Any) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["import", "france-reference", str(FIXTURES / "france"), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["created"] == 11
    assert api.get("/api/v1/collectivities").json()["total"] == 0  # dry run
    result = runner.invoke(app, ["import", "france-reference", str(FIXTURES / "france")])
    assert result.exit_code == 0 and json.loads(result.output)["committed"] is True
    assert api.get("/api/v1/collectivities").json()["total"] == 11

    bad = tmp_path / "bad.csv"
    bad.write_text("country;kind;name\nXX;commune;Nowhere\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(bad), "--kind", "collectivities"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["status"] == "rejected" and report["errors"][0]["row"] == 2
    good = tmp_path / "good.csv"
    good.write_text("country;kind;name;code\nLB;municipality;Tyr;LB-TYR\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(good), "--kind", "collectivities"])
    assert result.exit_code == 0, result.output


def test_a_changed_reference_updates_only_what_changed(api: Any, tmp_path: Any) -> None:
    """Renamed commune, new SIREN, new population, left its EPCI: that commune and the population totals
    of its département and région are updated; the rest is unchanged; coordinators' additions stay."""
    runner = CliRunner()
    assert runner.invoke(app, ["import", "france-reference", str(FIXTURES / "france")]).exit_code == 0
    items = {c["code"]: c for c in api.get("/api/v1/collectivities", params={"limit": 500}).json()["items"]}
    amberieu = items["01004"]
    api.patch(f"/api/v1/collectivities/{amberieu['id']}", json={"name_ar": "أمبيريو", "description": "Jumelée"})
    data = {name: json.loads((FIXTURES / "france" / name).read_text(encoding="utf-8")) for name in FILES}
    commune = next(c for c in data["communes.json"] if c["code"] == "01004")
    commune.update(nom="Ambérieu", siren="210100999", population=16000)
    epci = next(e for e in data["epci.json"] if e["code"] == "200071371")
    epci["membres"] = [m for m in epci["membres"] if m["code"] != "01004"]
    for name, content in data.items():
        (tmp_path / name).write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")

    result = runner.invoke(app, ["import", "france-reference", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 3, 8), report
    after = {c["code"]: c for c in api.get("/api/v1/collectivities", params={"limit": 500}).json()["items"]}
    moved = after["01004"]
    assert (moved["id"], moved["name"], moved["population"], moved["parent_id"]) == (
        amberieu["id"],
        "Ambérieu",
        16000,
        None,
    )
    assert moved["external_refs"] == {"siren": "210100999"}
    assert (moved["name_ar"], moved["description"]) == ("أمبيريو", "Jumelée")
    assert after["01"]["population"] == items["01"]["population"] + 66
    assert after["84"]["population"] == items["84"]["population"] + 66
    unchanged = [code for code in after if code not in ("01004", "01", "84")]
    assert all(after[c]["updated_at"] == items[c]["updated_at"] for c in unchanged)
    # The renamed row is found by its new name and still by the Arabic name a coordinator added.
    for q in ("amberieu", "أمبيريو"):
        assert [c["code"] for c in api.get("/api/v1/collectivities", params={"q": q}).json()["items"]] == ["01004"]
    assert api.get("/api/v1/collectivities", params={"q": "bugey"}).json()["items"] == []  # the old name is gone
    again = json.loads(runner.invoke(app, ["import", "france-reference", str(tmp_path)]).output)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 11), again


def test_france_reference_from_an_npm_pack_archive(tmp_path: Any) -> None:
    """The streamed, capped unpacking still reads a real-shaped npm pack (package/data/*.json)."""
    import io
    import tarfile

    from jisr.imports import france

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        tar.add(FIXTURES / "france", arcname="package/data")
    ref = france.load_bytes({"package.tgz": out.getvalue()})
    assert ref.size == france.load(FIXTURES / "france").size > 0
