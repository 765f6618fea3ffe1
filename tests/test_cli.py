"""The `jisr` command: `users create` and `migrate`."""

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, text
from sqlmodel import select
from typer.testing import CliRunner

from jisr.cli import app
from jisr.core.db import get_engine, new_session
from jisr.models import metadata
from jisr.tags.models import ThematicTag
from tests.conftest import Api, Env

runner = CliRunner()


def test_users_create_then_sign_in(api: Api) -> None:
    result = runner.invoke(
        app,
        ["users", "create", "--email", "Nadia@Example.org", "--password", "a long password", "--role", "coordinator"],
    )
    assert result.exit_code == 0, result.output
    assert "created coordinator nadia@example.org" in result.output
    r = api.client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": "nadia@example.org", "password": "a long password"},
    )
    assert r.status_code == 200, r.text
    me = api.client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {r.json()['access_token']}"}).json()
    assert me["role"] == "coordinator"


def test_users_create_defaults_to_admin_and_prompts(api: Api) -> None:
    result = runner.invoke(app, ["users", "create"], input="root@example.org\na long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "a long password" not in result.output  # hidden input
    assert "created admin root@example.org" in result.output
    api.token("root@example.org", "a long password")


def test_users_create_refuses_a_duplicate(api: Api) -> None:
    args = ["users", "create", "--email", "dup@example.org", "--password", "a long password"]
    assert runner.invoke(app, args).exit_code == 0
    result = runner.invoke(app, [*args[:-1], "another password"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    api.token("dup@example.org", "a long password")  # the first one is untouched


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["--email", "x@example.org", "--password", "short"], 2, "password"),
        (["--email", "not-an-email", "--password", "a long password"], 2, "email"),
        (["--email", "x@example.org", "--password", "a long password", "--role", "king"], 2, "role"),
        (["--email", "x@example.org", "--password", "a long password", "--role", "member"], 1, "collectivity"),
    ],
)
def test_users_create_refuses_bad_input(args: list[str], code: int, message: str) -> None:
    result = runner.invoke(app, ["users", "create", *args])
    assert result.exit_code == code, result.output
    assert message in result.output.lower()
    with new_session() as s:
        assert s.exec(select(func.count()).select_from(ThematicTag)).one() == 33  # database still fine
        assert s.execute(text("SELECT count(*) FROM users")).scalar_one() == 0


def _schema_snapshot() -> tuple[set[str], list[str], int]:
    engine = get_engine()
    with engine.connect() as conn:
        heads = sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
        tags = conn.execute(text("SELECT count(*) FROM thematic_tags")).scalar_one()
    return set(inspect(engine).get_table_names()), heads, tags


def test_migrate_is_idempotent_on_a_migrated_database() -> None:
    before = _schema_snapshot()
    for _ in range(2):
        result = runner.invoke(app, ["migrate"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output
    assert _schema_snapshot() == before
    assert before[2] == 33


@pytest.fixture
def fresh_sqlite(env: Env) -> Path:
    """Point the settings at an empty SQLite file for the duration of a test (``env`` puts them back)."""
    path = Path(tempfile.mkdtemp(prefix="jisr-cli-")) / "fresh.db"
    env.set(database_url=f"sqlite:///{path}")
    return path


def test_migrate_builds_an_empty_database_and_runs_twice(fresh_sqlite: Path) -> None:
    assert not fresh_sqlite.exists() or fresh_sqlite.stat().st_size == 0
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    tables, heads, tags = _schema_snapshot()
    assert {t.name for t in metadata.sorted_tables} <= tables
    assert heads and tags == 33
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert _schema_snapshot() == (tables, heads, tags)
