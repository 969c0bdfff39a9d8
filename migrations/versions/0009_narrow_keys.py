"""Keys as narrow as their job: description, permissions, networks, own limit, disable.

- ``api_keys.access`` widens to 16 characters (for ``restricted``).
- ``api_keys.description``, ``permissions``, ``allowed_networks``, ``rate_limit``,
  ``disabled_at``: all empty for existing keys, which keep working as before.

Revision ID: 0009_narrow_keys
Revises: 0008_account_security
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_narrow_keys"
down_revision = "0008_account_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.alter_column(
            "access",
            existing_type=sa.String(length=8),
            type_=sa.String(length=16),
            existing_nullable=False,
            existing_server_default="full",
        )
        batch.add_column(sa.Column("description", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("permissions", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("allowed_networks", sa.String(length=1000), nullable=True))
        batch.add_column(sa.Column("rate_limit", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("rate_limit")
        batch.drop_column("allowed_networks")
        batch.drop_column("permissions")
        batch.drop_column("description")
        batch.alter_column(
            "access",
            existing_type=sa.String(length=16),
            type_=sa.String(length=8),
            existing_nullable=False,
            existing_server_default="full",
        )
