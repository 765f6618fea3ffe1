"""Migration 0009 cleans text stored before the door refused it (run on SQLite and PostgreSQL)."""

import importlib.util
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

import jisr
from jisr.core.db import get_engine
from tests.conftest import Api

MIGRATION = Path(jisr.__file__).parent / "migrations" / "versions" / "0009_clean_text.py"


def _dirty(table: str, id_: str, **values: Any) -> None:
    engine = get_engine()
    with engine.begin() as conn:
        t = sa.Table(table, sa.MetaData(), autoload_with=conn)
        key = [r for r in conn.execute(sa.select(t.c.id)) if str(r[0]).replace("-", "") == id_.replace("-", "")]
        conn.execute(t.update().where(t.c.id == key[0][0]).values(**values))


def _raw(table: str, id_: str, column: str) -> Any:
    with get_engine().connect() as conn:
        t = sa.Table(table, sa.MetaData(), autoload_with=conn)
        for row in conn.execute(sa.select(t.c.id, t.c[column])):
            if str(row[0]).replace("-", "") == id_.replace("-", ""):
                return row[1]
    raise AssertionError(id_)


def _migrate() -> None:
    spec = importlib.util.spec_from_file_location("clean_text_0009", MIGRATION)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with get_engine().begin() as conn, Operations.context(MigrationContext.configure(conn)):
        module.upgrade()


def test_the_migration_cleans_dirty_rows_and_they_read_and_export_again(api: Api) -> None:
    saida = api.collectivity(name="Saïda", code="LB-1")
    other = api.collectivity(name="Tyr", code="LB-2")
    blank = api.collectivity(name="Blank")
    tag = api.post("/api/v1/tags", json={"slug": "dirty", "label_fr": "x", "label_en": "x", "label_ar": "x"}).json()
    body = {"kind": "webinar", "title": "t", "starts_at": "2030-06-10T10:00:00", "ends_at": "2030-06-10T12:00:00"}
    event = api.post("/api/v1/events", json=body).json()
    need = api.need(saida["id"])

    _dirty(
        "collectivities",
        saida["id"],
        name=" Sai\u0308da\u000b\u202e ",  # decomposed ï, a control, an override, spaces
        code="LB-2\u200b",  # once cleaned, Tyr's code: gets a suffix
        name_ar="\u200b",  # nothing left: null
        description="line one\r\nline two\u0001",
        name_alt=["Sidon\u000b", "Saida"],
    )
    _dirty("collectivities", blank["id"], name="\u0001\u202e")  # nothing left, not nullable: "?"
    _dirty("thematic_tags", tag["id"], label_fr="A\u000bB")
    _dirty(
        "events",
        event["id"],
        title="Atelier\r\nBcc: x@example.org",
        speakers=[{"name": "Rima\u202e", "organisation": "CUF\n", "topic": "eau"}],
    )
    _dirty("needs", need["id"], title="Eau\u0085", description="a\tb\u0007")
    # Before the migration the read side repairs what it shows (the row is still dirty).
    assert api.get(f"/api/v1/collectivities/{saida['id']}").json()["name"] == "Saïda"
    assert _raw("collectivities", saida["id"], "name") == " Sai\u0308da\u000b\u202e "

    _migrate()

    assert _raw("collectivities", saida["id"], "name") == "Saïda"
    assert _raw("collectivities", saida["id"], "name_ar") is None
    assert _raw("collectivities", saida["id"], "description") == "line one\nline two"
    assert _raw("collectivities", saida["id"], "name_alt") in (["Sidon", "Saida"], '["Sidon", "Saida"]')
    assert _raw("collectivities", blank["id"], "name") == "?"
    assert _raw("thematic_tags", tag["id"], "label_fr") == "AB"
    assert _raw("events", event["id"], "title") == "Atelier Bcc: x@example.org"
    assert _raw("needs", need["id"], "description") == "a\tb"

    c = api.get(f"/api/v1/collectivities/{saida['id']}").json()
    assert c["name"] == "Saïda" and c["name_ar"] is None
    assert c["code"].startswith("LB-2~") and c["code"] != other["code"]
    assert c["description"] == "line one\nline two"
    assert c["name_alt"] == ["Sidon", "Saida"]
    assert api.get(f"/api/v1/collectivities/{blank['id']}").json()["name"] == "?"
    assert api.get(f"/api/v1/tags/{tag['id']}").json()["label_fr"] == "AB"
    e = api.get(f"/api/v1/events/{event['id']}").json()
    assert e["title"] == "Atelier Bcc: x@example.org"
    assert e["speakers"][0]["name"] == "Rima" and e["speakers"][0]["organisation"] == "CUF"
    n = api.get(f"/api/v1/needs/{need['id']}").json()
    assert n["title"] == "Eau" and n["description"] == "a\tb"
    for kind in ("collectivities", "tags", "needs"):
        assert api.get(f"/api/v1/exports/{kind}.xlsx").status_code == 200
    _migrate()  # twice is once
    assert api.get(f"/api/v1/collectivities/{saida['id']}").json() == c
