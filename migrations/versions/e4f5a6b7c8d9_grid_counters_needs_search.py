"""The returns grid answers "what must I answer next": counters per currency with refund totals and
the requests waiting on the seller, a partial index for "Needs your answer", the amount sort within a
currency, the reason filter's options as rows, and a folded (accent- and case-insensitive) search text

- return_tab_counts is rebuilt with one row per (shop, tab, currency): count, refund_cents, needs_count,
  needs_refund_cents — computed here from return_requests (the counters are derived data).
- return_reasons: every (seller, reason) the requests use, filled from return_requests.
- ix_return_requests_seller_needs_deadline: a partial index of the requests waiting on the seller.
- the amount sort indexes become (seller_id[, tab], currency, amount, id).
- return_requests.search_text is rewritten folded, with the tracking number (Python, in batches).

Revision ID: e4f5a6b7c8d9
Revises: e6f7a8b9c0d1
Create Date: 2026-12-03 10:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'e4f5a6b7c8d9'
down_revision = 'e6f7a8b9c0d1'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
BATCH = 5000
CENTS = 'CAST(ROUND(COALESCE(refund_total, 0) * 100) AS BIGINT)'
NEEDS = 'CASE WHEN needs_action THEN 1 ELSE 0 END'
_PLAIN = str.maketrans({'ø': 'o', 'đ': 'd', 'ł': 'l', 'ħ': 'h', 'ı': 'i', 'æ': 'ae', 'œ': 'oe', 'þ': 'th'})


def _fold(text):
    # A copy of connector_app.returns.search.fold as of this revision (migrations never import the app).
    if not text:
        return ''
    decomposed = unicodedata.normalize('NFKD', text.casefold())
    return ''.join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_PLAIN)


def _counts_table(new):
    columns = [
        sa.Column('tiktok_shop_id', sa.Integer(), nullable=False),
        sa.Column('tab', sa.String(length=32), nullable=False),
    ]
    if new:
        columns += [
            sa.Column('currency', sa.String(length=3), nullable=False),
            sa.Column('count', sa.Integer(), nullable=False),
            sa.Column('refund_cents', sa.BigInteger(), nullable=False),
            sa.Column('needs_count', sa.Integer(), nullable=False),
            sa.Column('needs_refund_cents', sa.BigInteger(), nullable=False),
        ]
    else:
        columns += [sa.Column('count', sa.Integer(), nullable=False)]
    key = ['tiktok_shop_id', 'tab', 'currency'] if new else ['tiktok_shop_id', 'tab']
    op.create_table(
        'return_tab_counts',
        *columns,
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_return_tab_counts_seller_id_sellers'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tiktok_shop_id'], ['tiktok_shops.id'],
                                name=op.f('fk_return_tab_counts_tiktok_shop_id_tiktok_shops'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint(*key, name=op.f('pk_return_tab_counts')),
    )
    with op.batch_alter_table('return_tab_counts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_return_tab_counts_seller_id'), ['seller_id'], unique=False)


def _drop_counts_table():
    with op.batch_alter_table('return_tab_counts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_return_tab_counts_seller_id'))
    op.drop_table('return_tab_counts')


def _fold_search_text():
    conn = op.get_bind()
    last = 0
    while True:
        requests = conn.execute(
            sa.text('SELECT id, request_id, order_id, tracking_number FROM return_requests '
                    'WHERE id > :last ORDER BY id LIMIT :n'),
            {'last': last, 'n': BATCH},
        ).all()
        if not requests:
            return
        first, last = requests[0][0], requests[-1][0]
        lines = {}
        for pk, sku, product, variant in conn.execute(
            sa.text('SELECT request_pk, seller_sku, product_name, sku_name FROM return_line_items '
                    'WHERE request_pk BETWEEN :a AND :b ORDER BY request_pk, id'),
            {'a': first, 'b': last},
        ):
            lines.setdefault(pk, []).extend((sku, product, variant))
        updates = []
        for pk, request_id, order_id, tracking in requests:
            parts = [request_id, order_id, tracking, *lines.get(pk, ())]
            updates.append({'pk': pk, 'text': ' '.join(_fold(p) for p in parts if p)[:4000]})
        conn.execute(sa.text('UPDATE return_requests SET search_text = :text WHERE id = :pk'), updates)


def upgrade():
    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_return_requests_seller_tab_amount')
        batch_op.drop_index('ix_return_requests_seller_amount')
        batch_op.create_index(
            'ix_return_requests_seller_currency_amount',
            ['seller_id', sa.text("coalesce(currency, '')"), sa.text('coalesce(refund_total, 0)'), 'id'],
            unique=False,
        )
        batch_op.create_index(
            'ix_return_requests_seller_tab_currency_amount',
            ['seller_id', 'tab', sa.text("coalesce(currency, '')"), sa.text('coalesce(refund_total, 0)'), 'id'],
            unique=False,
        )
        batch_op.create_index(
            'ix_return_requests_seller_needs_deadline',
            ['seller_id', sa.text('coalesce(respond_by, 4611686018427387904)'), 'id'],
            unique=False,
            sqlite_where=sa.text('needs_action = 1'),
            postgresql_where=sa.text('needs_action'),
        )

    _drop_counts_table()
    _counts_table(new=True)
    op.execute(
        'INSERT INTO return_tab_counts (seller_id, tiktok_shop_id, tab, currency, count, refund_cents, '
        'needs_count, needs_refund_cents) '
        f"SELECT seller_id, tiktok_shop_id, tab, COALESCE(currency, ''), COUNT(*), SUM({CENTS}), "
        f'SUM({NEEDS}), SUM({CENTS} * {NEEDS}) '
        "FROM return_requests GROUP BY seller_id, tiktok_shop_id, tab, COALESCE(currency, '')"
    )

    op.create_table(
        'return_reasons',
        sa.Column('id', BigId, nullable=False),
        sa.Column('reason', sa.String(length=255), nullable=False),
        sa.Column('reason_text', sa.Text(), nullable=True),
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_return_reasons_seller_id_sellers'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_reasons')),
        sa.UniqueConstraint('seller_id', 'reason', name='uq_return_reasons_seller_reason'),
    )
    op.execute(
        'INSERT INTO return_reasons (seller_id, reason, reason_text) '
        'SELECT seller_id, reason, MAX(reason_text) FROM return_requests '
        "WHERE reason IS NOT NULL AND reason <> '' GROUP BY seller_id, reason"
    )

    _fold_search_text()


def downgrade():
    op.drop_table('return_reasons')

    op.execute('CREATE TABLE return_tab_counts_old AS SELECT seller_id, tiktok_shop_id, tab, SUM(count) AS count '
               'FROM return_tab_counts GROUP BY seller_id, tiktok_shop_id, tab')
    _drop_counts_table()
    _counts_table(new=False)
    op.execute('INSERT INTO return_tab_counts (seller_id, tiktok_shop_id, tab, count) '
               'SELECT seller_id, tiktok_shop_id, tab, count FROM return_tab_counts_old')
    op.drop_table('return_tab_counts_old')

    with op.batch_alter_table('return_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_return_requests_seller_needs_deadline')
        batch_op.drop_index('ix_return_requests_seller_tab_currency_amount')
        batch_op.drop_index('ix_return_requests_seller_currency_amount')
        batch_op.create_index('ix_return_requests_seller_amount', ['seller_id', sa.text('coalesce(refund_total, 0)'), 'id'],
                              unique=False)
        batch_op.create_index('ix_return_requests_seller_tab_amount',
                              ['seller_id', 'tab', sa.text('coalesce(refund_total, 0)'), 'id'], unique=False)
