"""Login records, email verification, seller ids never reused

- ``login_sessions``: one row per login (its token is in the session and remember cookies).
- ``sellers.email_verified_at``.
- ``login_failures`` is dropped: login attempts are now counted by Flask-Limiter in Redis.
- SQLite: ``sellers`` and ``login_sessions`` become AUTOINCREMENT tables, so a deleted seller's id is
  never handed to a new account (PostgreSQL sequences never reuse ids anyway). Rebuilding ``sellers``
  drops the old table; foreign keys are switched off for the copy so the drop does not cascade to the
  sellers' rows (SQLite honours the pragma outside a transaction, which is where this runs on an
  existing database; on a fresh one the tables are empty).

Existing logins end: their cookies carry no login record. Sellers log in once again.

Revision ID: c7a41e2f9d13
Revises: b2c3d4e5f6a7
Create Date: 2026-12-01 23:20:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c7a41e2f9d13'
down_revision = 'b2c3d4e5f6a7'
branch_labels = None
depends_on = None


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _rebuild_sellers(autoincrement: bool) -> None:
    bind = op.get_bind()
    if not _sqlite():
        return
    bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
    try:
        with op.batch_alter_table('sellers', recreate='always',
                                  table_kwargs={'sqlite_autoincrement': autoincrement}) as batch_op:
            pass
    finally:
        bind.exec_driver_sql('PRAGMA foreign_keys=ON')


def upgrade():
    with op.batch_alter_table('sellers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', sa.DateTime(timezone=True), nullable=True))
    _rebuild_sellers(autoincrement=True)

    op.create_table('login_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_login_sessions_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_sessions')),
    sa.UniqueConstraint('token', name=op.f('uq_login_sessions_token')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_sessions_seller_id'), ['seller_id'], unique=False)

    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index('ix_login_failures_remote_addr_created_at')
        batch_op.drop_index('ix_login_failures_email_key_created_at')
    op.drop_table('login_failures')


def downgrade():
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_login_failures_seller_id_sellers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index('ix_login_failures_email_key_created_at', ['email_key', 'created_at'], unique=False)
        batch_op.create_index('ix_login_failures_remote_addr_created_at', ['remote_addr', 'created_at'], unique=False)

    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_sessions_seller_id'))
    op.drop_table('login_sessions')

    _rebuild_sellers(autoincrement=False)
    with op.batch_alter_table('sellers', schema=None) as batch_op:
        batch_op.drop_column('email_verified_at')
