"""job_outbox: jobs enqueued after their transaction commits, retried while the queue is unreachable

Revision ID: a1f0c2d3e4b5
Revises: 9e3b5a1c7d40
Create Date: 2026-12-01 23:00:00

"""

from alembic import op
import sqlalchemy as sa


revision = "a1f0c2d3e4b5"
down_revision = "9e3b5a1c7d40"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("func", sa.String(length=200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_outbox")),
        sa.UniqueConstraint("job_id", name=op.f("uq_job_outbox_job_id")),
    )


def downgrade():
    op.drop_table("job_outbox")
