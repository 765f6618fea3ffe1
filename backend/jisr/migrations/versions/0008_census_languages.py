"""census: campaign title and description per language, its time zone; the contact made at validation

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002"  # census tables it alters


def upgrade() -> None:
    with op.batch_alter_table("census_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title_en", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("title_ar", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("description_en", sa.String(length=5000), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("description_ar", sa.String(length=5000), nullable=False, server_default=""))
        # Campaigns so far were Lebanese: their closing times are read in Beirut.
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=False, server_default="Asia/Beirut"))
    with op.batch_alter_table("census_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_census_responses_contact_id_contacts"),
            "contacts",
            ["contact_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("census_responses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_census_responses_contact_id_contacts"), type_="foreignkey")
        batch_op.drop_column("contact_id")
    with op.batch_alter_table("census_campaigns", schema=None) as batch_op:
        for name in ("timezone", "description_ar", "description_en", "title_ar", "title_en"):
            batch_op.drop_column(name)
