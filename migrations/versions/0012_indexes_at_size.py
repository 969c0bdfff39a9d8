"""Indexes the console's queries and the usage sweep need at a million keys.

docs/performance.md ("At size") shows each query's plan before and after.

- ``api_keys (user_id, id DESC)`` replaces ``ix_api_keys_user_id``: the key list, newest
  first, reads one page of the owner's keys instead of every newer key of every owner.
- ``api_keys.replaced_by``: a key's page names the key that replaced it.
- ``audit_events (target, id)``: a key's page shows its newest events.
- ``key_usage.day``: the retention sweep finds old days without reading the whole table.

Revision ID: 0012_indexes_at_size
Revises: 0010_leaks_and_notices
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_indexes_at_size"
down_revision = "0010_leaks_and_notices"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_api_keys_user_id", table_name="api_keys")
    op.create_index("ix_api_keys_user_id_id", "api_keys", ["user_id", sa.text("id DESC")])
    op.create_index("ix_api_keys_replaced_by", "api_keys", ["replaced_by"])
    op.create_index("ix_audit_events_target_id", "audit_events", ["target", "id"])
    op.create_index("ix_key_usage_day", "key_usage", ["day"])


def downgrade():
    op.drop_index("ix_key_usage_day", table_name="key_usage")
    op.drop_index("ix_audit_events_target_id", table_name="audit_events")
    op.drop_index("ix_api_keys_replaced_by", table_name="api_keys")
    op.drop_index("ix_api_keys_user_id_id", table_name="api_keys")
    op.create_index("ix_api_keys_user_id", "api_keys", ["user_id"])
