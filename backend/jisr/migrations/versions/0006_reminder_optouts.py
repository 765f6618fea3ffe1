"""reminder opt-outs (unsubscribe from reminders and digests)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder_optouts",
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email", name=op.f("pk_reminder_optouts")),
    )


def downgrade() -> None:
    op.drop_table("reminder_optouts")
