"""Backups: a populated database goes to a file and comes back identical, table by table and row by row.

Runs on the suite's database (SQLite, or PostgreSQL with JISR_TEST_DATABASE_URL); on PostgreSQL the same
file is also restored into a fresh SQLite database (backups are portable across engines).
"""

import gzip
import json
import os
import stat
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from jisr import backup
from jisr.cli import alembic_config, app
from jisr.core.db import get_engine, make_engine
from jisr.models import metadata
from tests.conftest import Api

runner = CliRunner()
Snapshot = dict[str, dict[tuple[str, ...], tuple[Any, ...]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table, keyed by primary key, as the app's column types read them."""
    out: Snapshot = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            rows = conn.execute(select(table)).mappings().all()
            out[table.name] = {tuple(str(r[c.name]) for c in pk): tuple(r.values()) for r in rows}
    return out


@contextmanager
def fresh_database(kind: str) -> Iterator[Engine]:
    """An empty database migrated to heads: a SQLite file, or a new PostgreSQL database."""
    if kind == "sqlite":
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='jisr-restore-')) / 'restore.db'}"
        admin = None
    else:
        pg = make_url(os.environ["JISR_TEST_DATABASE_URL"])
        name = f"jisr_restore_{uuid.uuid4().hex[:10]}"
        url = pg.set(database=name).render_as_string(hide_password=False)
        admin = create_engine(pg, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    cfg = alembic_config()
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, "heads")
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def populate(api: Api) -> None:
    """Something in every part of the app, through the API, with every kind of value."""
    water, heritage = api.tag_id("eau-assainissement"), api.tag_id("patrimoine")
    saida = api.own_collectivity()
    lyon = api.collectivity(
        country="FR", kind="commune", name="Lyon", population=520000, capacity="high", expertise_tag_ids=[water]
    )
    api.collectivity(country="FR", kind="commune", name="Brest", population=140000, expertise_tag_ids=[heritage])
    api.collectivity(name="Haret Saida", parent_id=saida["id"])  # a parent in the same table
    api.need(saida["id"], title="Réseau d'eau potable — شبكة المياه", tag_ids=[water])
    api.need(saida["id"], title="Souk restoration", tag_ids=[heritage])
    api.contact(saida["id"], full_name="Rima Haddad", email="rima@saida.example.org", consent_at="2026-01-02T03:04:05Z")
    api.partnership(lyon["id"], saida["id"], status="dormant", started_year=2012, ended_year=2016, tag_ids=[water])
    r = api.post(
        "/api/v1/events",
        json={
            "kind": "webinar",
            "title": "Déchets : outils",
            "starts_at": "2030-06-10T10:00:00",
            "ends_at": "2030-06-10T12:00:00",
            "timezone": "Asia/Beirut",
            "status": "open",
            "capacity": 30,
            "speakers": [{"name": "Rima", "organisation": "Saïda", "topic": "Déchets"}],
        },
    )
    assert r.status_code == 201, r.text
    r = api.post(f"/api/v1/events/{r.json()['id']}/registrations", json={"collectivity_id": saida["id"]})
    assert r.status_code == 201, r.text
    r = api.post("/api/v1/matches/runs", "coordinator", json={"top_k": 3, "max_per_french_collectivity": 3})
    assert r.status_code == 201, r.text
    assert r.json()["proposal_count"] >= 1
    api.headers("viewer"), api.headers("member")  # users of every role


def non_empty(snap: Snapshot) -> set[str]:
    return {name for name, rows in snap.items() if rows}


def test_backup_then_restore_into_a_fresh_database_gives_back_every_row(api: Api, tmp_path: Path) -> None:
    populate(api)
    before = snapshot(get_engine())
    assert {"collectivities", "needs", "tag_links", "partnerships", "events", "match_runs", "match_proposals"} <= (
        non_empty(before)
    ), non_empty(before)
    assert {"users", "contacts", "thematic_tags", "match_run_entries", "event_registrations"} <= non_empty(before)

    file = tmp_path / "jisr.jsonl.gz"
    result = runner.invoke(app, ["backup", str(file)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(file.stat().st_mode) == 0o600  # personal data, hashes, webhook secrets: owner only
    header = backup.read_header(file)
    assert header["revisions"] and header["app_version"]
    assert {t["name"]: t["rows"] for t in header["tables"]} == {n: len(rows) for n, rows in before.items()}
    names = [t["name"] for t in header["tables"]]
    assert names.index("collectivities") < names.index("needs") < names.index("match_proposals")

    kinds = ["sqlite"] + (["postgresql"] if get_engine().dialect.name == "postgresql" else [])
    for kind in kinds:
        with fresh_database(kind) as engine:
            summary = backup.restore(engine, file)
            assert summary.rows == sum(len(rows) for rows in before.values())
            after = snapshot(engine)
            for name in before:
                assert after[name] == before[name], f"{kind}: table {name} differs"

    # Types come back as the app's types (UUID, aware datetimes, JSON, booleans), not as text.
    with fresh_database("sqlite") as engine:
        backup.restore(engine, file)
        with engine.connect() as conn:
            run = conn.execute(select(metadata.tables["match_runs"])).mappings().one()
        assert isinstance(run["id"], uuid.UUID)
        assert run["created_at"].tzinfo is not None
        assert isinstance(run["weights"], dict) and isinstance(run["optimal"], bool)


def test_restore_refuses_a_database_with_data_unless_forced_and_then_replaces_it(api: Api, tmp_path: Path) -> None:
    populate(api)
    before = snapshot(get_engine())
    listed = api.get("/api/v1/needs").json()
    file = tmp_path / "b.jsonl.gz"
    assert runner.invoke(app, ["backup", str(file)]).exit_code == 0
    # Changes after the backup: a new collectivity, a contact deleted, a need edited.
    api.collectivity(name="Tyr")
    contact = api.get("/api/v1/contacts").json()["items"][0]
    assert api.delete(f"/api/v1/contacts/{contact['id']}").status_code == 204
    need = api.get("/api/v1/needs").json()["items"][0]
    assert api.patch(f"/api/v1/needs/{need['id']}", json={"title": "Edited"}).status_code == 200
    changed = snapshot(get_engine())
    assert changed != before

    result = runner.invoke(app, ["restore", str(file)])
    assert result.exit_code == 1
    assert "not empty" in result.output and "--force" in result.output
    assert snapshot(get_engine()) == changed

    result = runner.invoke(app, ["restore", str(file), "--force"])
    assert result.exit_code == 0, result.output
    assert snapshot(get_engine()) == before
    # The app works on the restored data.
    assert api.get("/api/v1/needs").json() == listed


def _rewrite(src: Path, dst: Path, edit: Any) -> None:
    with gzip.open(src, "rt", encoding="utf-8") as f:
        lines = f.readlines()
    with gzip.open(dst, "wt", encoding="utf-8") as f:
        f.writelines(edit(lines))


def _other_revision(lines: list[str]) -> list[str]:
    header = json.loads(lines[0])
    header["revisions"] = ["0001"]
    return [json.dumps(header) + "\n", *lines[1:]]


def _bad_uuid(lines: list[str]) -> list[str]:
    # The last row of the last table with rows: a value that is no UUID.
    for i in range(len(lines) - 2, 0, -1):
        row = json.loads(lines[i])
        if isinstance(row, list):
            row[0] = "not-a-uuid"
            return [*lines[:i], json.dumps(row) + "\n", *lines[i + 1 :]]
    raise AssertionError("no row")


@pytest.mark.parametrize(
    "damage, message",
    [
        ("truncated bytes", "damaged or cut short"),
        ("truncated at a line", "cut short"),
        ("without end mark", "end mark"),
        ("flipped bytes", "damaged"),
        ("not gzip", "not a readable Jisr backup"),
        ("other revision", "schema revision"),
        ("bad value", "damaged"),
    ],
)
def test_a_damaged_or_foreign_file_is_refused_and_changes_nothing(
    api: Api, tmp_path: Path, damage: str, message: str
) -> None:
    populate(api)
    good = tmp_path / "good.jsonl.gz"
    assert runner.invoke(app, ["backup", str(good)]).exit_code == 0
    api.collectivity(name="Added after the backup")
    before = snapshot(get_engine())

    bad = tmp_path / "bad.jsonl.gz"
    data = good.read_bytes()
    if damage == "truncated bytes":
        bad.write_bytes(data[: len(data) * 2 // 3])
    elif damage == "truncated at a line":
        _rewrite(good, bad, lambda lines: lines[: len(lines) * 2 // 3])
    elif damage == "without end mark":
        _rewrite(good, bad, lambda lines: lines[:-1])
    elif damage == "flipped bytes":
        middle = len(data) // 2
        bad.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :])
    elif damage == "not gzip":
        bad.write_text("id,name\n1,Saïda\n")
    elif damage == "other revision":
        _rewrite(good, bad, _other_revision)
    else:
        _rewrite(good, bad, _bad_uuid)

    result = runner.invoke(app, ["restore", str(bad), "--force"])
    assert result.exit_code == 1, result.output
    assert message in result.output, result.output
    assert snapshot(get_engine()) == before


def test_a_failed_backup_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "missing-dir" / "b.jsonl.gz"
    with pytest.raises(OSError):
        backup.backup(get_engine(), target)
    assert not target.exists() and not any(tmp_path.rglob("*.part"))
