"""alerts: notifications (one per seller, kind, subject, deadline and stage), their channel deliveries,
the sellers' alert settings and digest schedules, and the scheduled scan's mark

Revision ID: e6f7a8b9c0d1
Revises: e7a1c9d4b2f6
Create Date: 2026-12-02 11:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e6f7a8b9c0d1'
down_revision = 'e7a1c9d4b2f6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('alert_scan_marks',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('scanned_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_alert_scan_marks'))
    )
    op.create_table('alert_digest_schedules',
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_alert_digest_schedules_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', name=op.f('pk_alert_digest_schedules'))
    )
    with op.batch_alter_table('alert_digest_schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_digest_schedules_next_at'), ['next_at'], unique=False)

    op.create_table('alert_settings',
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('thresholds', sa.String(length=64), nullable=False),
    sa.Column('digest_minute', sa.Integer(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_alert_settings_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id', name=op.f('pk_alert_settings'))
    )
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_type', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=64), nullable=False),
    sa.Column('deadline', sa.BigInteger(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=512), nullable=False),
    sa.Column('in_app', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_notifications_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('seller_id', 'kind', 'subject_type', 'subject_id', 'deadline', 'stage', name='uq_notifications_key')
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_seller_newest', ['seller_id', 'id'], unique=False)
        batch_op.create_index('ix_notifications_unread', ['seller_id'], unique=False, sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))

    op.create_table('notification_deliveries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('notification_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.String(length=200), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_notification_deliveries_notification_id_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_notification_deliveries_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_deliveries')),
    sa.UniqueConstraint('notification_id', 'channel', name='uq_notification_deliveries_channel')
    )
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_deliveries_seller_id'), ['seller_id'], unique=False)
        batch_op.create_index('ix_notification_deliveries_state_due', ['state', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notification_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_deliveries_state_due')
        batch_op.drop_index(batch_op.f('ix_notification_deliveries_seller_id'))

    op.drop_table('notification_deliveries')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_unread', sqlite_where=sa.text('read_at IS NULL'), postgresql_where=sa.text('read_at IS NULL'))
        batch_op.drop_index('ix_notifications_seller_newest')

    op.drop_table('notifications')
    op.drop_table('alert_settings')
    with op.batch_alter_table('alert_digest_schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_digest_schedules_next_at'))

    op.drop_table('alert_digest_schedules')
    op.drop_table('alert_scan_marks')
