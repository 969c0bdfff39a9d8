"""Indexes the queries need at a million keys (docs/performance.md, "At size").

- ``key_usage.day``: the retention sweep finds old days without reading the whole table.

Revision ID: 0012_indexes_at_size
Revises: 0008_account_security
Create Date: 2026-12-06
"""

from alembic import op

revision = "0012_indexes_at_size"
down_revision = "0008_account_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(op.f("ix_key_usage_day"), "key_usage", ["day"])


def downgrade():
    op.drop_index(op.f("ix_key_usage_day"), table_name="key_usage")
