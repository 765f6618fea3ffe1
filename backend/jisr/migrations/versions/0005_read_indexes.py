"""read indexes: tag filters read tag_links from its index alone; collectivity search uses trigrams

Measured with benchmarks/api_read.py (10,000 collectivities, 30,000 needs), PostgreSQL 15:
- ``ix_tag_links_tag`` gains ``resource_id``: the EXISTS of a tag filter (and the count of every
  `?tag=` page) becomes an index-only scan (count of a theme: 3.8 -> 2.3 ms; with its sub-themes:
  8.5 -> 7.0 ms);
- a pg_trgm GIN index on ``collectivities.search_text`` serves ``q`` (LIKE '%word%'): count + page of
  "saint" 3.6 -> 1.2 ms, of "saida" 3.4 -> 0.2 ms. On SQLite the index of the same name is a plain one,
  there only so that the schema matches the models on both engines.
The pg_trgm extension is created when missing (a trusted extension: the database owner may create it)
and is left in place on downgrade, where other objects may use it.

Revision ID: 0005
Revises: 0001
Create Date: 2026-11-26 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRGM = "ix_collectivities_search_text_trgm"


def upgrade() -> None:
    with op.batch_alter_table("tag_links", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_links_tag")
        batch_op.create_index("ix_tag_links_tag", ["tag_id", "resource_type", "relation", "resource_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index(
            TRGM,
            "collectivities",
            ["search_text"],
            unique=False,
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        )
    else:
        op.create_index(TRGM, "collectivities", ["search_text"], unique=False)


def downgrade() -> None:
    op.drop_index(TRGM, table_name="collectivities")
    with op.batch_alter_table("tag_links", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_links_tag")
        batch_op.create_index("ix_tag_links_tag", ["tag_id", "resource_type", "relation"], unique=False)
