"""Migrations are the only way the schema is made: they must match the models, and go down and up."""

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
