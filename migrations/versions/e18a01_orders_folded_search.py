"""orders.search_text folded (case- and accent-insensitive, like returns): rewritten in batches

Revision ID: e18a01
Revises: d0e1f2a3b4c5
Create Date: 2026-12-08 02:20:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = 'e18a01'
down_revision = 'd0e1f2a3b4c5'
branch_labels = None
depends_on = None

BATCH = 5000
_PLAIN = str.maketrans({'ø': 'o', 'đ': 'd', 'ł': 'l', 'ħ': 'h', 'ı': 'i', 'æ': 'ae', 'œ': 'oe', 'þ': 'th'})


def _fold(text):
    # A copy of connector_app.returns.search.fold as of this revision (migrations never import the app).
    if not text:
        return ''
    decomposed = unicodedata.normalize('NFKD', text.casefold())
    return ''.join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_PLAIN)


def _rewrite(fold_line):
    conn = op.get_bind()
    last = 0
    while True:
        orders = conn.execute(
            sa.text('SELECT id, order_id, tracking_number FROM orders WHERE id > :last ORDER BY id LIMIT :n'),
            {'last': last, 'n': BATCH},
        ).all()
        if not orders:
            return
        first, last = orders[0][0], orders[-1][0]
        lines = {}
        for pk, sku, product, variant, tracking in conn.execute(
            sa.text('SELECT order_pk, seller_sku, product_name, sku_name, tracking_number FROM order_lines '
                    'WHERE order_pk BETWEEN :a AND :b ORDER BY order_pk, id'),
            {'a': first, 'b': last},
        ):
            lines.setdefault(pk, []).extend((sku, product, variant, tracking))
        updates = []
        for pk, order_id, tracking in orders:
            parts = [order_id, tracking, *lines.get(pk, ())]
            updates.append({'pk': pk, 'text': fold_line(parts)})
        conn.execute(sa.text('UPDATE orders SET search_text = :text WHERE id = :pk'), updates)


def upgrade():
    _rewrite(lambda parts: ' '.join(_fold(p) for p in parts if p)[:4000])


def downgrade():
    _rewrite(lambda parts: ' '.join(p for p in parts if p).lower())
