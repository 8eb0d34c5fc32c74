"""drop indexes that no query needs

return_requests.seller_id / tiktok_shop_id, return_line_items.seller_id / request_pk and
return_status_changes.seller_id each lead a composite index already. The extra copies cost every
sync write, and without table statistics SQLite's planner chose them over the composite index a
lookup by request id needs, turning each page's lookup into a scan of the seller's rows.
return_requests (seller_id, respond_by, id) and (seller_id, order_id) serve no query: the deadline
sort uses its coalesce() expression index and the search ORs order ids with a substring match.

Revision ID: 4c1d0e7a9b2f
Revises: bed66faa51e9
Create Date: 2026-11-27 03:40:00

"""
from alembic import op


revision = '4c1d0e7a9b2f'
down_revision = 'bed66faa51e9'
branch_labels = None
depends_on = None

DROPPED = {
    'return_requests': [('ix_return_requests_seller_id', ['seller_id']),
                        ('ix_return_requests_tiktok_shop_id', ['tiktok_shop_id']),
                        ('ix_return_requests_seller_respond_by', ['seller_id', 'respond_by', 'id']),
                        ('ix_return_requests_seller_order', ['seller_id', 'order_id'])],
    'return_line_items': [('ix_return_line_items_seller_id', ['seller_id']),
                          ('ix_return_line_items_request_pk', ['request_pk'])],
    'return_status_changes': [('ix_return_status_changes_seller_id', ['seller_id'])],
}


def upgrade():
    for table, indexes in DROPPED.items():
        for name, _ in indexes:
            op.drop_index(name, table_name=table)


def downgrade():
    for table, indexes in DROPPED.items():
        for name, columns in indexes:
            op.create_index(name, table, columns, unique=False)
