"""Alembic environment: the URL comes from jisr's settings (or the caller's connection)."""

from typing import Any

from alembic import context
from sqlalchemy import types
from sqlmodel.sql.sqltypes import AutoString

from jisr.core.config import get_settings
from jisr.core.db import UTCDateTime, make_engine
from jisr.models import metadata

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write plain SQLAlchemy types into migrations, so they never import the app's types."""
    if type_ == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(context: Any, inspected: Any, metadata_col: Any, inspected_type: Any, metadata_type: Any) -> Any:
    if isinstance(metadata_type, UTCDateTime):
        return not isinstance(inspected_type, types.DateTime)
    return None


def run(connection: Any) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_item=render_item,
                      compare_type=compare_type, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url") or get_settings().sqlalchemy_url)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
