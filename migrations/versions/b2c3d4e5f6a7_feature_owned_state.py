"""Each feature owns its state: shop_sync_states (sync) and restocked_requests (listings)

The sync's six columns move from tiktok_shops to shop_sync_states (one row per shop), and
return_requests.restocked_at becomes a restocked_requests row. Data is copied both ways.

Revision ID: b2c3d4e5f6a7
Revises: a1f0c2d3e4b5
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b2c3d4e5f6a7'
down_revision = 'a1f0c2d3e4b5'
branch_labels = None
depends_on = None

SYNC_COLUMNS = ('sync_interval_minutes', 'next_sync_at', 'last_sync_at', 'last_sync_ok_at',
                'returns_high_water', 'cancellations_high_water')


def upgrade():
    op.create_table(
        'shop_sync_states',
        sa.Column('tiktok_shop_id', sa.Integer(), nullable=False),
        sa.Column('sync_interval_minutes', sa.Integer(), nullable=False),
        sa.Column('next_sync_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_sync_ok_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('returns_high_water', sa.Integer(), nullable=True),
        sa.Column('cancellations_high_water', sa.Integer(), nullable=True),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_shop_sync_states_seller_id_sellers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tiktok_shop_id'], ['tiktok_shops.id'],
                                name=op.f('fk_shop_sync_states_tiktok_shop_id_tiktok_shops'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('tiktok_shop_id', name=op.f('pk_shop_sync_states')),
    )
    with op.batch_alter_table('shop_sync_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shop_sync_states_next_sync_at'), ['next_sync_at'], unique=False)
    op.create_table(
        'restocked_requests',
        sa.Column('request_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('restocked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['request_pk'], ['return_requests.id'],
                                name=op.f('fk_restocked_requests_request_pk_return_requests'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_restocked_requests_seller_id_sellers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('request_pk', name=op.f('pk_restocked_requests')),
    )
    columns = ', '.join(SYNC_COLUMNS)
    op.execute(f'INSERT INTO shop_sync_states (tiktok_shop_id, seller_id, {columns}) '
               f'SELECT id, seller_id, {columns} FROM tiktok_shops')
    op.execute('INSERT INTO restocked_requests (request_pk, seller_id, restocked_at) '
               'SELECT id, seller_id, restocked_at FROM return_requests WHERE restocked_at IS NOT NULL')
    # ALTER TABLE … DROP COLUMN (SQLite >= 3.35 has it): a batch "move and copy" of return_requests
    # would lose its expression indexes, which SQLite cannot reflect.
    op.drop_index('ix_tiktok_shops_next_sync_at', table_name='tiktok_shops')
    for name in SYNC_COLUMNS:
        op.execute(f'ALTER TABLE tiktok_shops DROP COLUMN {name}')
    op.execute('ALTER TABLE return_requests DROP COLUMN restocked_at')


def downgrade():
    op.add_column('return_requests', sa.Column('restocked_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tiktok_shops', sa.Column('sync_interval_minutes', sa.Integer(), nullable=False,
                                            server_default='15'))
    op.add_column('tiktok_shops', sa.Column('next_sync_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tiktok_shops', sa.Column('last_sync_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tiktok_shops', sa.Column('last_sync_ok_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('tiktok_shops', sa.Column('returns_high_water', sa.Integer(), nullable=True))
    op.add_column('tiktok_shops', sa.Column('cancellations_high_water', sa.Integer(), nullable=True))
    op.create_index('ix_tiktok_shops_next_sync_at', 'tiktok_shops', ['next_sync_at'], unique=False)
    for name in SYNC_COLUMNS:
        op.execute(f'UPDATE tiktok_shops SET {name} = (SELECT s.{name} FROM shop_sync_states s '
                   f'WHERE s.tiktok_shop_id = tiktok_shops.id) '
                   f'WHERE EXISTS (SELECT 1 FROM shop_sync_states s WHERE s.tiktok_shop_id = tiktok_shops.id)')
    op.execute('UPDATE return_requests SET restocked_at = (SELECT r.restocked_at FROM restocked_requests r '
               'WHERE r.request_pk = return_requests.id) '
               'WHERE EXISTS (SELECT 1 FROM restocked_requests r WHERE r.request_pk = return_requests.id)')
    op.drop_table('restocked_requests')
    with op.batch_alter_table('shop_sync_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_sync_states_next_sync_at'))
    op.drop_table('shop_sync_states')
