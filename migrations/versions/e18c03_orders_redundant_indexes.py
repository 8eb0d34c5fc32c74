"""orders: drop ix_orders_shop_pk and ix_order_lines_order_pk, which the unique indexes they lead cover

Every write paid for them, and during a shop's first order sync (statistics not yet caught up) PostgreSQL
read the whole shop through ix_orders_shop_pk for each page's "which of these orders are stored" lookup
instead of the (shop_pk, order_id) unique index: quadratic in the shop's orders.

Revision ID: e18c03
Revises: e18b02
Create Date: 2026-12-08 02:45:00

"""

from alembic import op


revision = "e18c03"
down_revision = "e18b02"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_shop_pk")
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_order_lines_order_pk")


def downgrade():
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_order_lines_order_pk", ["order_pk"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_shop_pk", ["shop_pk"], unique=False)
