"""Ship from the app: order_shipments (+ their claimed lines) and orders.delivery_option_id

Revision ID: e18b02
Revises: e18a01
Create Date: 2026-12-08 02:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e18b02'
down_revision = 'e18a01'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery_option_id', sa.String(length=32), nullable=True))
    op.create_table(
        'order_shipments',
        sa.Column('id', BigId, nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('order_pk', BigId, nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('correction_of', sa.BigInteger(), nullable=True),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('provider_id', sa.String(length=32), nullable=False),
        sa.Column('provider_name', sa.String(length=128), nullable=False),
        sa.Column('tracking_number', sa.String(length=64), nullable=False),
        sa.Column('line_ids', sa.JSON(), nullable=False),
        sa.Column('package_id', sa.String(length=32), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('actor', sa.String(length=254), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sending_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['order_pk'], ['orders.id'], name=op.f('fk_order_shipments_order_pk_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_order_shipments_seller_id_sellers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_shipments')),
        sa.UniqueConstraint('key', name=op.f('uq_order_shipments_key')),
        sa.UniqueConstraint('correction_of', name=op.f('uq_order_shipments_correction_of')),
    )
    with op.batch_alter_table('order_shipments', schema=None) as batch_op:
        batch_op.create_index('ix_order_shipments_state_updated', ['state', 'updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_shipments_order_pk'), ['order_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_shipments_seller_id'), ['seller_id'], unique=False)
    op.create_table(
        'order_shipment_lines',
        sa.Column('id', BigId, nullable=False),
        sa.Column('shipment_pk', BigId, nullable=False),
        sa.Column('order_pk', BigId, nullable=False),
        sa.Column('line_id', sa.String(length=32), nullable=False),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['shipment_pk'], ['order_shipments.id'],
                                name=op.f('fk_order_shipment_lines_shipment_pk_order_shipments'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['order_pk'], ['orders.id'], name=op.f('fk_order_shipment_lines_order_pk_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'],
                                name=op.f('fk_order_shipment_lines_seller_id_sellers'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_order_shipment_lines')),
        sa.UniqueConstraint('order_pk', 'line_id', name='uq_order_shipment_lines_order_line'),
    )
    with op.batch_alter_table('order_shipment_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_shipment_lines_shipment_pk'), ['shipment_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_shipment_lines_seller_id'), ['seller_id'], unique=False)


def downgrade():
    op.drop_table('order_shipment_lines')
    op.drop_table('order_shipments')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('delivery_option_id')
