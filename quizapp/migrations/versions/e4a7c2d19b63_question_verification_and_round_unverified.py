"""question_version.verified/verified_note; round.include_unverified

How each question's key was confirmed (text | secondary | unverified) is stored with the
version; versions that existed before are unverified. Rounds draw only confirmed questions
unless include_unverified is ticked; existing rounds keep drawing what they drew (True).

Revision ID: e4a7c2d19b63
Revises: 1640735845cb
Create Date: 2026-12-04 02:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "e4a7c2d19b63"
down_revision = "1640735845cb"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("question_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verified", sa.String(length=12), nullable=False, server_default="unverified")
        )
        batch_op.add_column(
            sa.Column("verified_note", sa.Text(), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_question_version_verified"), ["verified"])
    with op.batch_alter_table("contest_round", schema=None) as batch_op:
        # Rounds that exist were built when every question could be drawn: keep them so.
        batch_op.add_column(
            sa.Column("include_unverified", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade():
    with op.batch_alter_table("contest_round", schema=None) as batch_op:
        batch_op.drop_column("include_unverified")
    with op.batch_alter_table("question_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_version_verified"))
        batch_op.drop_column("verified_note")
        batch_op.drop_column("verified")
