"""Key lifecycle: expiry, rotation (replaced_by), access; the role-raise notice.

Existing keys never expire and keep full access, as before.

Revision ID: 0006_key_lifecycle
Revises: 0005_email_skeleton
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_key_lifecycle"
down_revision = "0005_email_skeleton"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("access", sa.String(length=8), nullable=False, server_default="full")
        )
        batch.add_column(sa.Column("replaced_by", sa.String(length=16), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role_raised_from", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("role_raised_at", sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role_raised_at")
        batch.drop_column("role_raised_from")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("replaced_by")
        batch.drop_column("access")
        batch.drop_column("expires_at")
