"""push records: updated_at and its index, for the alerts' catalog scan

Revision ID: c9d0e1f2a3b4
Revises: a8b1c2d3e4f5
Create Date: 2026-12-07 23:55:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c9d0e1f2a3b4"
down_revision = "a8b1c2d3e4f5"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product_push_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    # Rows already there: their last known change.
    op.execute("UPDATE product_push_records SET updated_at = COALESCE(done_at, sending_at, created_at)")
    with op.batch_alter_table("product_push_records", schema=None) as batch_op:
        batch_op.create_index("ix_product_push_records_state_updated", ["state", "updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("product_push_records", schema=None) as batch_op:
        batch_op.drop_index("ix_product_push_records_state_updated")
        batch_op.drop_column("updated_at")
