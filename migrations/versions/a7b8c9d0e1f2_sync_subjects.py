"""sync_runs.subject: orders and catalog syncs run on the returns sync's machinery

One active run per (shop, subject) instead of per shop: the unique constraint moves from
active_shop_id to (active_shop_id, subject). Existing runs are returns runs.

Revision ID: a7b8c9d0e1f2
Revises: f1a2b3c4d5e6
Create Date: 2026-12-07 23:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a7b8c9d0e1f2'
down_revision = 'f1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=16), nullable=False,
                                      server_default='returns'))
        batch_op.drop_constraint('uq_sync_runs_active_shop_id', type_='unique')
        batch_op.create_unique_constraint('uq_sync_runs_active_shop_subject', ['active_shop_id', 'subject'])


def downgrade():
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_constraint('uq_sync_runs_active_shop_subject', type_='unique')
        batch_op.create_unique_constraint('uq_sync_runs_active_shop_id', ['active_shop_id'])
        batch_op.drop_column('subject')
