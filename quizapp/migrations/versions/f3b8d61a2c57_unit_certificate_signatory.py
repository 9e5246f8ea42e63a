"""unit.locality, unit.signatory_title, unit.signatory_name

The place and the signatory printed on the certificates a unit issues (a certificate rule
or a programme may still give its own). Existing units start empty.

Revision ID: f3b8d61a2c57
Revises: e4a7c2d19b63
Create Date: 2026-12-04 04:05:00
"""

import sqlalchemy as sa
from alembic import op

revision = "f3b8d61a2c57"
down_revision = "e4a7c2d19b63"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locality", sa.String(length=100), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("signatory_title", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("signatory_name", sa.String(length=200), nullable=False, server_default="")
        )


def downgrade():
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_column("signatory_name")
        batch_op.drop_column("signatory_title")
        batch_op.drop_column("locality")
