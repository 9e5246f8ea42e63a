"""attempt_question.choice_mask: the options of a choice answer as a bit mask

Revision ID: 5b1e7a2c9d40
Revises: 49ae6d67c486
Create Date: 2026-11-22 08:10:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "5b1e7a2c9d40"
down_revision = "49ae6d67c486"
branch_labels = None
depends_on = None


def _mask(response) -> int | None:
    if isinstance(response, str):
        response = json.loads(response)
    choices = response.get("choices") if isinstance(response, dict) else None
    if not isinstance(choices, list):
        return None
    return sum(1 << o for o in set(choices) if isinstance(o, int) and 0 <= o < 63)


def upgrade():
    # Item analysis reads the options chosen from this column rather than decoding every
    # stored response (100,000 attempts × 30 questions: 3,000,000 JSON documents).
    with op.batch_alter_table("attempt_question", schema=None) as batch_op:
        batch_op.add_column(sa.Column("choice_mask", sa.BigInteger(), nullable=True))
    # Existing answers: filled in batches from their stored response.
    conn = op.get_bind()
    table = sa.table(
        "attempt_question",
        sa.column("id", sa.Integer),
        sa.column("response", sa.JSON),
        sa.column("choice_mask", sa.BigInteger),
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.response)
            .where(table.c.id > last, table.c.response.isnot(None))
            .order_by(table.c.id)
            .limit(20_000)
        ).all()
        if not rows:
            break
        updates = [{"k": i, "m": _mask(r)} for i, r in rows if _mask(r) is not None]
        if updates:
            conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam("k"))
                .values(choice_mask=sa.bindparam("m")),
                updates,
            )
        last = rows[-1][0]


def downgrade():
    with op.batch_alter_table("attempt_question", schema=None) as batch_op:
        batch_op.drop_column("choice_mask")
