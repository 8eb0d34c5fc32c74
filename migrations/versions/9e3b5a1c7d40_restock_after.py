"""seller_settings.restock_after: restock only returns completed after restocking was switched on

Sellers who already have restocking on start from the moment of this upgrade, so no completed return
of their history is restocked by it.

Revision ID: 9e3b5a1c7d40
Revises: 4c1d0e7a9b2f
Create Date: 2026-11-27 04:50:00

"""
import time

from alembic import op
import sqlalchemy as sa


revision = '9e3b5a1c7d40'
down_revision = '4c1d0e7a9b2f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seller_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restock_after', sa.BigInteger(), nullable=True))
    settings = sa.table('seller_settings', sa.column('restock_on_complete', sa.Boolean),
                        sa.column('restock_after', sa.BigInteger))
    op.execute(settings.update().where(settings.c.restock_on_complete.is_(True))
               .values(restock_after=int(time.time())))


def downgrade():
    with op.batch_alter_table('seller_settings', schema=None) as batch_op:
        batch_op.drop_column('restock_after')
