"""orders alerts: stock moves' updated_at, and the indexes the ship-by and stock scans read

Revision ID: d0e1f2a3b4c5
Revises: c9d0e1f2a3b4
Create Date: 2026-12-08 00:15:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d0e1f2a3b4c5"
down_revision = "c9d0e1f2a3b4"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order_stock_moves", schema=None) as batch_op:
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE order_stock_moves SET updated_at = COALESCE(done_at, sending_at, claimed_at)")
    with op.batch_alter_table("order_stock_moves", schema=None) as batch_op:
        batch_op.create_index("ix_order_stock_moves_state_updated", ["state", "updated_at"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_tab_fbt_ship_by", ["tab", "is_fbt", "rts_sla_time"], unique=False)
        batch_op.create_index("ix_orders_tab_fbt_synced", ["tab", "is_fbt", "synced_at"], unique=False)


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_tab_fbt_synced")
        batch_op.drop_index("ix_orders_tab_fbt_ship_by")
    with op.batch_alter_table("order_stock_moves", schema=None) as batch_op:
        batch_op.drop_index("ix_order_stock_moves_state_updated")
        batch_op.drop_column("updated_at")
