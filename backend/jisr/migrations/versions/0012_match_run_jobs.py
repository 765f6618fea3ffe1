"""matching runs become worker jobs: a run is stored `queued` by the request and run by the worker
(claim + lease, as import jobs), so ``match_runs`` gets its state: ``status`` (queued, running, done,
failed; the runs made before are done), ``error`` (why it failed), ``worker`` (host:pid that ran it)
and ``started_at``/``finished_at``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0003"  # the match_runs table


def upgrade() -> None:
    with op.batch_alter_table("match_runs") as batch:
        batch.add_column(sa.Column("status", sa.String(length=10), nullable=False, server_default="done"))
        batch.add_column(sa.Column("error", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("worker", sa.String(length=120), nullable=False, server_default=""))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_match_runs_status", ["status"])


def downgrade() -> None:
    op.execute("DELETE FROM match_runs WHERE status <> 'done'")
    with op.batch_alter_table("match_runs") as batch:
        batch.drop_index("ix_match_runs_status")
        for name in ("finished_at", "started_at", "worker", "error", "status"):
            batch.drop_column(name)
