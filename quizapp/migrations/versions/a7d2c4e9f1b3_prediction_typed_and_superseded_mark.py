"""contest_round.prediction_question, contest_round.prediction_answer,
question_version.superseded

The prediction question's third subject: a number the organiser types (the question as
worded for participants, the true value entered after the round closes). A question
version's mark of the replaced legal texts it rests on, found at import (banks/superseded.py).
Existing rounds keep their subject; existing versions start unmarked.

Revision ID: a7d2c4e9f1b3
Revises: f3b8d61a2c57
Create Date: 2026-12-04 07:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "a7d2c4e9f1b3"
down_revision = "f3b8d61a2c57"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("contest_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prediction_question", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("prediction_answer", sa.Integer(), nullable=True))
    with op.batch_alter_table("question_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("superseded", sa.String(length=300), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("question_version", schema=None) as batch_op:
        batch_op.drop_column("superseded")
    with op.batch_alter_table("contest_round", schema=None) as batch_op:
        batch_op.drop_column("prediction_answer")
        batch_op.drop_column("prediction_question")
