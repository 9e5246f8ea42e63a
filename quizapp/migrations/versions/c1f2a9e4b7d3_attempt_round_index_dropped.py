"""attempt: drop ix_attempt_round_id (the unique (round_id, user_id, number) serves it)

Revision ID: c1f2a9e4b7d3
Revises: 8e3f1c0a7b21
Create Date: 2026-11-22 09:10:00
"""

from alembic import op

revision = "c1f2a9e4b7d3"
down_revision = "8e3f1c0a7b21"
branch_labels = None
depends_on = None


def upgrade():
    # A start looks up the participant's attempts in the round (in progress, how many, the
    # last number). With an index on round_id alone, a planner whose statistics predate the
    # round (a new round of a large table: autoanalyze waits for 10 % of the table to change)
    # chose it and filtered every attempt of the round for each start — EXPLAIN in `make bench`
    # showed 2,000 rows filtered per start at the end of the spike, and a national round
    # would filter a million. The unique index (round_id, user_id, number) serves lookups by
    # round too (its leading column), so the single-column index goes.
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attempt_round_id"))


def downgrade():
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attempt_round_id"), ["round_id"], unique=False)
