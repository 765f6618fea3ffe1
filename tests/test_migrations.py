"""Migrations are the only way the schema is made: they must match the models, and go down and up."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from jisr.cli import alembic_config
from jisr.core.db import get_engine
from jisr.models import metadata


def test_models_and_migrations_do_not_drift() -> None:
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    assert diff == [], f"models and migrations differ: write a migration for {diff}"


def test_downgrade_to_base_and_upgrade_again() -> None:
    cfg = alembic_config()
    command.downgrade(cfg, "base")
    assert set(inspect(get_engine()).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "heads")
    assert {t.name for t in metadata.sorted_tables} <= set(inspect(get_engine()).get_table_names())


def test_a_migration_descends_from_those_that_made_the_tables_it_alters() -> None:
    """The chain branches (0003–0005 start from 0001): a migration altering a table must have the one
    that created it among its ancestors (``down_revision`` or ``depends_on``), or ``upgrade`` of a
    single branch could run it first."""
    import re

    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    revisions = {r.revision: r for r in script.walk_revisions()}
    made: dict[str, str] = {}
    for rev in revisions.values():
        for table in re.findall(r"create_table\(\s*['\"](\w+)", Path(rev.path).read_text()):
            made[table] = rev.revision

    def ancestors(name: str) -> set[str]:
        rev = revisions[name]
        above = [*(rev._normalized_down_revisions or ()), *(rev._normalized_resolved_dependencies or ())]
        return {name}.union(*(ancestors(a) for a in above))

    missing = []
    for rev in revisions.values():
        for table in re.findall(
            r"(?:batch_alter_table|add_column|alter_column)\(\s*['\"](\w+)", Path(rev.path).read_text()
        ):
            if table in made and made[table] not in ancestors(rev.revision):
                missing.append(f"{rev.revision} alters {table} (made by {made[table]})")
    assert not missing, missing
