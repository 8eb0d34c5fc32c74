"""seller_settings.stock_follows_sales(+_after): Etsy stock follows TikTok sales, off until confirmed

Revision ID: f1a2b3c4d5e6
Revises: e4f5a6b7c8d9
Create Date: 2026-12-07 23:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'f1a2b3c4d5e6'
down_revision = 'e4f5a6b7c8d9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seller_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stock_follows_sales', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('stock_follows_sales_after', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('seller_settings', schema=None) as batch_op:
        batch_op.drop_column('stock_follows_sales_after')
        batch_op.drop_column('stock_follows_sales')
