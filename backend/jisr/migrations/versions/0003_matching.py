"""matching: runs, proposals, their history, run entries; field-mission meetings

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002"  # meetings refer to events


def _entity() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "match_runs",
        *_entity(),
        sa.Column("weights", sa.JSON(), nullable=False),
        sa.Column("top_k", sa.Integer(), nullable=False),
        sa.Column("max_per_french_collectivity", sa.Integer(), nullable=False),
        sa.Column("need_ids", sa.JSON(), nullable=True),
        sa.Column("include_declined", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=254), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("need_count", sa.Integer(), nullable=False),
        sa.Column("proposal_count", sa.Integer(), nullable=False),
        sa.Column("pooled_count", sa.Integer(), nullable=False),
        sa.Column("unfilled_need_count", sa.Integer(), nullable=False),
        sa.Column("scored_pairs", sa.Integer(), nullable=False),
        sa.Column("optimal", sa.Boolean(), nullable=False),
        sa.Column("optimality_gap", sa.Float(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("previous_run_id", sa.Uuid(), nullable=True),
        sa.Column("covered_need_ids", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_runs")),
    )
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_runs_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "match_proposals",
        *_entity(),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("lebanese_collectivity_id", sa.Uuid(), nullable=False),
        sa.Column("french_collectivity_id", sa.Uuid(), nullable=False),
        sa.Column("french_collectivity_ids", sa.JSON(), nullable=False),
        sa.Column("pair_key", sa.String(length=120), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("partnership_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["need_id"], ["needs.id"], name=op.f("fk_match_proposals_need_id_needs")
        ),
        sa.ForeignKeyConstraint(
            ["lebanese_collectivity_id"],
            ["collectivities.id"],
            name=op.f("fk_match_proposals_lebanese_collectivity_id_collectivities"),
        ),
        sa.ForeignKeyConstraint(
            ["french_collectivity_id"],
            ["collectivities.id"],
            name=op.f("fk_match_proposals_french_collectivity_id_collectivities"),
        ),
        sa.ForeignKeyConstraint(["run_id"], ["match_runs.id"], name=op.f("fk_match_proposals_run_id_match_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_proposals")),
        sa.UniqueConstraint("need_id", "pair_key", name=op.f("uq_match_proposals_need_id_pair_key")),
    )
    with op.batch_alter_table("match_proposals", schema=None) as batch_op:
        columns = ("need_id", "lebanese_collectivity_id", "french_collectivity_id", "status", "run_id", "updated_at")
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_match_proposals_{column}"), [column], unique=False)

    op.create_table(
        "match_transitions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=False),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("by", sa.String(length=254), nullable=False),
        sa.Column("by_id", sa.Uuid(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["match_proposals.id"],
            name=op.f("fk_match_transitions_proposal_id_match_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_transitions")),
    )
    with op.batch_alter_table("match_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_transitions_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "match_run_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("run_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("pair_key", sa.String(length=120), nullable=False),
        sa.Column("french_collectivity_ids", sa.JSON(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["match_runs.id"], name=op.f("fk_match_run_entries_run_id_match_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_run_entries")),
    )
    with op.batch_alter_table("match_run_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_run_entries_run_id"), ["run_id"], unique=False)


    op.create_table(
        "meeting_availabilities",
        *_entity(),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("collectivity_id", sa.Uuid(), nullable=False),
        sa.Column("windows", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_meeting_availabilities_event_id_events")),
        sa.ForeignKeyConstraint(
            ["collectivity_id"],
            ["collectivities.id"],
            name=op.f("fk_meeting_availabilities_collectivity_id_collectivities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_availabilities")),
        sa.UniqueConstraint(
            "event_id", "collectivity_id", name=op.f("uq_meeting_availabilities_event_id_collectivity_id")
        ),
    )
    with op.batch_alter_table("meeting_availabilities", schema=None) as batch_op:
        for column in ("event_id", "collectivity_id", "updated_at"):
            batch_op.create_index(batch_op.f(f"ix_meeting_availabilities_{column}"), [column], unique=False)

    op.create_table(
        "meetings",
        *_entity(),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("table_label", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_meetings_event_id_events")),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["match_proposals.id"], name=op.f("fk_meetings_proposal_id_match_proposals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("event_id", "proposal_id", name=op.f("uq_meetings_event_id_proposal_id")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        for column in ("event_id", "proposal_id", "updated_at"):
            batch_op.create_index(batch_op.f(f"ix_meetings_{column}"), [column], unique=False)


def downgrade() -> None:
    op.drop_table("meetings")
    op.drop_table("meeting_availabilities")
    op.drop_table("match_run_entries")
    op.drop_table("match_transitions")
    op.drop_table("match_proposals")
    op.drop_table("match_runs")
