"""Leaked keys and mailed notices.

- ``api_keys.leaked_at``, ``leak_url``: when and where a key was found in public (a
  secret-scanning report or the public revoke endpoint); the owner's console shows it.
- ``api_keys.expiry_notice_at``: when the "expires soon" mail was claimed for the key, so
  ``flask notices send`` mails it once, whichever host runs it.
- ``users.notify_expiry``, ``users.notify_new_network``: whether the user wants those mails.

Revision ID: 0010_leaks_and_notices
Revises: 0009_narrow_keys
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_leaks_and_notices"
down_revision = "0009_narrow_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("leaked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("leak_url", sa.String(length=2000), nullable=True))
        batch.add_column(sa.Column("expiry_notice_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("notify_expiry", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(
            sa.Column("notify_new_network", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_new_network")
        batch.drop_column("notify_expiry")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("expiry_notice_at")
        batch.drop_column("leak_url")
        batch.drop_column("leaked_at")
