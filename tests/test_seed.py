"""`jisr seed --demo`: the programme's demo data, read back over HTTP."""

import csv
import re
import uuid
from importlib.resources import files
from typing import Any

import pytest
from sqlalchemy import func, inspect, select
from sqlmodel import Session
from typer.testing import CliRunner

from jisr.auth.models import User
from jisr.cli import app as cli
from jisr.core.db import new_session
from jisr.models import metadata
from jisr.seed import PASSWORD, SAMPLE, SIGN_IN, load_demo
from tests.conftest import Api, Env


def seed() -> str:
    result = CliRunner().invoke(cli, ["seed", "--demo"])
    assert result.exit_code == 0, result.output
    return str(result.output)


def items(api: Api, path: str, **params: Any) -> list[dict[str, Any]]:
    r = api.get(f"/api/v1/{path}", params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def total(api: Api, path: str, **params: Any) -> int:
    r = api.get(f"/api/v1/{path}", params={"limit": 1, **params})
    assert r.status_code == 200, r.text
    return int(r.json()["total"])


def snapshot() -> dict[str, tuple[Any, ...]]:
    """Row count, and latest update and version sum where the table has them, for every table."""
    out = {}
    with new_session() as s:
        for table in metadata.sorted_tables:
            cols: list[Any] = [func.count()]
            if "updated_at" in table.c:
                cols += [func.max(table.c.updated_at), func.sum(table.c.version)]
            out[table.name] = tuple(s.execute(select(*cols).select_from(table)).one())
    return out


def test_demo_data_over_http(api: Api) -> None:
    out = seed()
    assert "30 French and 31 Lebanese collectivities" in out
    assert SIGN_IN in out and PASSWORD in out

    french, lebanese = items(api, "collectivities", country="FR"), items(api, "collectivities", country="LB")
    assert 25 <= len(french) <= 40 and 25 <= len(lebanese) <= 40
    assert {c["kind"] for c in french} == {"commune", "epci", "departement", "region"}
    assert {c["kind"] for c in lebanese} == {"municipality", "union_of_municipalities"}
    by_name = {c["name"]: c for c in french + lebanese}
    assert by_name["Lyon"]["code"] == "69123" and by_name["Marseille"]["code"] == "13055"
    assert by_name["Lyon"]["parent_id"] == by_name["Métropole de Lyon"]["id"]
    assert by_name["Tyr"]["parent_id"] == by_name["Union des municipalités de Tyr"]["id"]
    assert by_name["Saïda"]["name_ar"] == "صيدا" and {"Sidon", "Saida"} <= set(by_name["Saïda"]["name_alt"])
    for c in french:
        pattern = {"commune": r"\d[\dAB]\d{3}", "epci": r"\d{9}", "departement": r"\d[\dAB]", "region": r"\d{2}"}
        assert re.fullmatch(pattern[c["kind"]], c["code"]), c
        assert c["region"] and c["capacity"] and c["expertise_tag_ids"] and c["preferred_governorates"], c["name"]
        if c["kind"] in ("commune", "epci", "departement"):
            assert c["departement"], c["name"]
    with files("jisr.data").joinpath("lebanon-admin.csv").open(encoding="utf-8") as f:
        districts = {(row["governorate_code"], row["district_fr"]) for row in csv.DictReader(f)}
    for c in lebanese:
        assert (c["governorate"], c["district"]) in districts, c["name"]
        union = "U-" if c["kind"] == "union_of_municipalities" else ""
        assert re.fullmatch(rf"{c['governorate']}-{union}[A-Z][A-Z0-9-]*", c["code"]), c["code"]
        assert c["name_ar"] and c["interest_tag_ids"], c["name"]
    assert {c["governorate"] for c in lebanese} == {gov for gov, _ in districts}  # every governorate

    with files("jisr.data").joinpath("thematic-tags.csv").open(encoding="utf-8") as f:
        roots = [row["slug"] for row in csv.DictReader(f) if not row["parent_slug"]]
    themed = [slug for slug in roots if total(api, "needs", tag=slug, direction="request", country="LB")]
    assert len(themed) >= 5, themed
    requests = items(api, "needs", direction="request", country="LB")
    assert {"webinar", "census", "field_mission"} <= {n["source"] for n in requests}
    assert {"open", "draft"} <= {n["status"] for n in requests}
    assert total(api, "needs", direction="offer", country="FR") >= 10

    assert total(api, "partnerships", status="active") >= 2
    dormant = items(api, "partnerships", status="dormant")
    assert dormant and all(p["last_activity_year"] < 2021 for p in dormant)
    assert total(api, "partnerships", status="ended") >= 1
    lyon_beyrouth = items(api, "partnerships", collectivity_id=by_name["Lyon"]["id"])
    assert by_name["Beyrouth"]["id"] in {p["lebanese_collectivity_id"] for p in lyon_beyrouth}

    from_webinar = items(api, "needs", source="webinar")
    with new_session() as s:
        events_ready = inspect(s.connection()).has_table("events")
    if events_ready:  # the events domain is migrated: the timeline is seeded and needs point to it
        from jisr.events.models import Event

        assert "4 events" in out
        webinar_ids = {n["source_event_id"] for n in from_webinar}
        assert len(webinar_ids) == 1 and None not in webinar_ids
        with new_session() as s:
            timeline = {
                e.id: (e.kind, e.audience, e.starts_at.strftime("%Y-%m")) for e in s.exec(select(Event)).scalars()
            }
            assert SAMPLE in s.get(Event, uuid.UUID(webinar_ids.pop())).description  # type: ignore[union-attr]
        assert sorted(timeline.values()) == [
            ("field_mission", "both", "2021-09"),
            ("field_mission", "both", "2021-12"),
            ("webinar", "LB", "2021-06"),
            ("workshop", "FR", "2021-06"),
        ]
    else:
        assert "no events" in out
        assert from_webinar and all(n["source_event_id"] is None for n in from_webinar)

    for path in ("collectivities", "needs", "partnerships"):
        for row in items(api, path):
            assert SAMPLE in row["description"], (path, row)


SEARCHES = [
    ("saida", "Saïda"),
    ("SAIDA", "Saïda"),
    ("sidon", "Saïda"),
    ("صيدا", "Saïda"),
    ("beirut", "Beyrouth"),
    ("beyrouth", "Beyrouth"),
    ("بيروت", "Beyrouth"),
    ("byblos", "Jbeil"),
    ("zahle", "Zahlé"),
]


def test_search_finds_seeded_collectivities(api: Api) -> None:
    seed()
    missed = {}
    for q, expected in SEARCHES:
        found = {c["name"] for c in items(api, "collectivities", q=q)}
        if expected not in found:
            missed[q] = found
    assert not missed
    assert {c["name"] for c in items(api, "collectivities", q="beirut")} == {"Beyrouth"}


def test_second_run_changes_nothing(api: Api) -> None:
    lyon = api.collectivity(country="FR", kind="commune", name="Lyon (déjà là)", code="69123")
    first = seed()
    before = snapshot()
    second = seed()
    assert snapshot() == before
    assert "nothing changed" in second and "nothing changed" not in first
    assert SIGN_IN in second
    # An existing collectivity with the same natural key is used, not duplicated nor modified.
    assert [c["name"] for c in items(api, "collectivities", q="69123")] == ["Lyon (déjà là)"]
    assert api.get(f"/api/v1/collectivities/{lyon['id']}").json()["description"] == ""
    assert total(api, "partnerships", collectivity_id=lyon["id"]) >= 1


def test_demo_accounts_sign_in(api: Api) -> None:
    seed()
    saida = items(api, "collectivities", q="saida", kind="municipality")[0]
    for email, role in [
        (SIGN_IN, "coordinator"),
        ("admin@demo.jisr.example.org", "admin"),
        ("saida@demo.jisr.example.org", "member"),
        ("lecteur@demo.jisr.example.org", "viewer"),
    ]:
        token = api.token(email, PASSWORD)
        me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["role"] == role, me.text
        if role == "member":
            assert me.json()["collectivity_id"] == saida["id"]
    token = api.token(SIGN_IN, PASSWORD)
    contacts = api.client.get("/api/v1/contacts", headers={"Authorization": f"Bearer {token}"})
    assert contacts.status_code == 200  # a real coordinator, not a viewer


@pytest.fixture
def production(env: Env) -> None:
    env.set(env="production")


def test_no_demo_accounts_in_production(session: Session, production: None) -> None:
    summary = load_demo(session)
    session.commit()
    assert "no demo accounts" in summary and PASSWORD not in summary
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0
