"""product_push_records.run_id (the catalog run that sent a change) and .confirmed_by (who confirmed a
held change), for the action log; and
product_sync_settings.last_full_read_at (the periodic full re-read of the Etsy shop)

Revision ID: e17a1b2c3d4e
Revises: e18c03
Create Date: 2026-12-08 02:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e17a1b2c3d4e'
down_revision = 'e18c03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product_push_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('run_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by', sa.String(length=254), nullable=True))
    with op.batch_alter_table('product_sync_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_full_read_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('product_sync_settings', schema=None) as batch_op:
        batch_op.drop_column('last_full_read_at')
    with op.batch_alter_table('product_push_records', schema=None) as batch_op:
        batch_op.drop_column('confirmed_by')
        batch_op.drop_column('run_id')
