"""seller turns: each period in which a request waited on the seller

``seller_turns`` records when a request started waiting on the seller, its deadline, when it stopped
and how (answered through the app, changed on TikTok before the deadline, or decided by TikTok after
it). Requests waiting when this runs get an open turn that starts at their last ``update_time``.

Revision ID: d5e8f1a2b3c4
Revises: c7a41e2f9d13
Create Date: 2026-12-02 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5e8f1a2b3c4'
down_revision = 'c7a41e2f9d13'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
OPEN = sa.text('ended_at IS NULL')


def upgrade():
    op.create_table('seller_turns',
    sa.Column('id', BigId, nullable=False),
    sa.Column('request_pk', BigId, nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('start_status', sa.String(length=64), nullable=False),
    sa.Column('started_at', sa.BigInteger(), nullable=False),
    sa.Column('first_deadline', sa.BigInteger(), nullable=True),
    sa.Column('deadline', sa.BigInteger(), nullable=True),
    sa.Column('ended_at', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('end_status', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('refund_total', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('answer', sa.String(length=40), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_by', sa.String(length=16), nullable=False),
    sa.Column('closed_by', sa.String(length=16), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_pk'], ['return_requests.id'], name=op.f('fk_seller_turns_request_pk_return_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_seller_turns_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_seller_turns'))
    )
    with op.batch_alter_table('seller_turns', schema=None) as batch_op:
        batch_op.create_index('uq_seller_turns_open_request', ['request_pk'], unique=True,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_seller_turns_request', ['request_pk', 'id'], unique=False)
        batch_op.create_index('ix_seller_turns_open_deadline', ['deadline'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_seller_turns_open_seller_deadline', ['seller_id', 'deadline'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_seller_turns_seller_started', ['seller_id', 'started_at'], unique=False)
        batch_op.create_index('ix_seller_turns_updated', ['updated_at'], unique=False)

    # Requests waiting on the seller right now: their turn is open from their last change.
    requests = sa.table(
        'return_requests',
        sa.column('id'), sa.column('seller_id'), sa.column('next_action'), sa.column('status'),
        sa.column('update_time'), sa.column('respond_by'), sa.column('needs_action', sa.Boolean()),
    )
    turns = sa.table(
        'seller_turns',
        *(sa.column(name) for name in ('seller_id', 'request_pk', 'action', 'start_status', 'started_at',
                                       'first_deadline', 'deadline', 'opened_by', 'recorded_at',
                                       'updated_at')),
    )
    waiting = sa.select(
        requests.c.seller_id, requests.c.id, sa.func.coalesce(requests.c.next_action, ''), requests.c.status,
        requests.c.update_time, requests.c.respond_by, requests.c.respond_by, sa.literal('sync'),
        sa.func.current_timestamp(), sa.func.current_timestamp(),
    ).where(requests.c.needs_action == sa.true())
    op.execute(turns.insert().from_select(
        ['seller_id', 'request_pk', 'action', 'start_status', 'started_at', 'first_deadline', 'deadline',
         'opened_by', 'recorded_at', 'updated_at'],
        waiting,
    ))


def downgrade():
    with op.batch_alter_table('seller_turns', schema=None) as batch_op:
        batch_op.drop_index('ix_seller_turns_updated')
        batch_op.drop_index('ix_seller_turns_seller_started')
        batch_op.drop_index('ix_seller_turns_open_seller_deadline')
        batch_op.drop_index('ix_seller_turns_open_deadline')
        batch_op.drop_index('ix_seller_turns_request')
        batch_op.drop_index('uq_seller_turns_open_request')
    op.drop_table('seller_turns')
