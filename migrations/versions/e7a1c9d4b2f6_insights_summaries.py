"""insights summaries: per-seller figures by week (and slice of a week) that the insights page reads

Slices (requests by type and currency), reasons, products (weekly, and running totals per product),
seller turns (how they ended, with answer times) and a per-seller state of how far changes have been
read. All are derived from return_requests, return_line_items and seller_turns: they start empty and
the scheduler's insights sweep fills them for every seller with requests (``flask insights rebuild``
does it at once).

Revision ID: e7a1c9d4b2f6
Revises: d5e8f1a2b3c4
Create Date: 2026-12-07 20:03:03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a1c9d4b2f6'
down_revision = 'd5e8f1a2b3c4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insight_states',
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('requests_through', sa.DateTime(timezone=True), nullable=True),
    sa.Column('turns_through', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rebuilt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sku_running_through', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_insight_states_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', name=op.f('pk_insight_states'))
    )
    op.create_table('insight_reason_weeks',
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tiktok_shop_id', sa.Integer(), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('refunded', sa.Integer(), nullable=False),
    sa.Column('refund_cents', sa.BigInteger(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_insight_reason_weeks_seller_id_sellers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_shop_id'], ['tiktok_shops.id'], name=op.f('fk_insight_reason_weeks_tiktok_shop_id_tiktok_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', 'week', 'reason', 'currency', 'tiktok_shop_id', name='pk_insight_reason_weeks'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('insight_reason_weeks', schema=None) as batch_op:
        batch_op.create_index('ix_insight_reason_weeks_shop', ['tiktok_shop_id'], unique=False)

    op.create_table('insight_sku_running',
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('tiktok_shop_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=128), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('product_name', sa.String(length=512), nullable=True),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('seller_fault', sa.Integer(), nullable=False),
    sa.Column('buyer_fault', sa.Integer(), nullable=False),
    sa.Column('other_fault', sa.Integer(), nullable=False),
    sa.Column('refunded', sa.Integer(), nullable=False),
    sa.Column('refund_cents', sa.BigInteger(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_insight_sku_running_seller_id_sellers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_shop_id'], ['tiktok_shops.id'], name=op.f('fk_insight_sku_running_tiktok_shop_id_tiktok_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', 'week', 'tiktok_shop_id', 'sku', 'currency', name='pk_insight_sku_running'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('insight_sku_running', schema=None) as batch_op:
        batch_op.create_index('ix_insight_sku_running_shop', ['tiktok_shop_id'], unique=False)

    op.create_table('insight_sku_weeks',
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('tiktok_shop_id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=128), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('product_name', sa.String(length=512), nullable=True),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('seller_fault', sa.Integer(), nullable=False),
    sa.Column('buyer_fault', sa.Integer(), nullable=False),
    sa.Column('other_fault', sa.Integer(), nullable=False),
    sa.Column('refunded', sa.Integer(), nullable=False),
    sa.Column('refund_cents', sa.BigInteger(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_insight_sku_weeks_seller_id_sellers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_shop_id'], ['tiktok_shops.id'], name=op.f('fk_insight_sku_weeks_tiktok_shop_id_tiktok_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', 'week', 'tiktok_shop_id', 'sku', 'currency', name='pk_insight_sku_weeks'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('insight_sku_weeks', schema=None) as batch_op:
        batch_op.create_index('ix_insight_sku_weeks_shop', ['tiktok_shop_id'], unique=False)

    op.create_table('insight_slices',
    sa.Column('first_day', sa.Integer(), nullable=False),
    sa.Column('request_type', sa.String(length=24), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tiktok_shop_id', sa.Integer(), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('refunded', sa.Integer(), nullable=False),
    sa.Column('refund_cents', sa.BigInteger(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_insight_slices_seller_id_sellers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_shop_id'], ['tiktok_shops.id'], name=op.f('fk_insight_slices_tiktok_shop_id_tiktok_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', 'first_day', 'request_type', 'currency', 'tiktok_shop_id', name='pk_insight_slices'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('insight_slices', schema=None) as batch_op:
        batch_op.create_index('ix_insight_slices_shop', ['tiktok_shop_id'], unique=False)

    op.create_table('insight_turn_weeks',
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tiktok_shop_id', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('withdrawn', sa.Integer(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.Column('decided_refund_cents', sa.BigInteger(), nullable=False),
    sa.Column('answer_times', sa.JSON(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_insight_turn_weeks_seller_id_sellers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tiktok_shop_id'], ['tiktok_shops.id'], name=op.f('fk_insight_turn_weeks_tiktok_shop_id_tiktok_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', 'week', 'currency', 'tiktok_shop_id', name='pk_insight_turn_weeks'),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('insight_turn_weeks', schema=None) as batch_op:
        batch_op.create_index('ix_insight_turn_weeks_shop', ['tiktok_shop_id'], unique=False)



def downgrade():
    with op.batch_alter_table('insight_turn_weeks', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_turn_weeks_shop')

    op.drop_table('insight_turn_weeks')
    with op.batch_alter_table('insight_slices', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_slices_shop')

    op.drop_table('insight_slices')
    with op.batch_alter_table('insight_sku_weeks', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_sku_weeks_shop')

    op.drop_table('insight_sku_weeks')
    with op.batch_alter_table('insight_sku_running', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_sku_running_shop')

    op.drop_table('insight_sku_running')
    with op.batch_alter_table('insight_reason_weeks', schema=None) as batch_op:
        batch_op.drop_index('ix_insight_reason_weeks_shop')

    op.drop_table('insight_reason_weeks')
    op.drop_table('insight_states')
