"""certificate_serial_counter: the last serial given per unit and year

Revision ID: 8e3f1c0a7b21
Revises: 5b1e7a2c9d40
Create Date: 2026-11-22 08:35:00
"""

import sqlalchemy as sa
from alembic import op

revision = "8e3f1c0a7b21"
down_revision = "5b1e7a2c9d40"
branch_labels = None
depends_on = None


def upgrade():
    # Each new serial counted the unit's certificates of the year (a scan of 1,000,000 rows
    # on a national round): a counter row per unit and year instead, started on first use
    # after the serials already issued.
    op.create_table(
        "certificate_serial_counter",
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_certificate_serial_counter_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("unit_id", "year", name=op.f("pk_certificate_serial_counter")),
    )


def downgrade():
    op.drop_table("certificate_serial_counter")
