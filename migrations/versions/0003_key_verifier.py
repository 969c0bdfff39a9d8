"""Key verifier: an HMAC of the key under KEY_VERIFIER_SECRET, so bcrypt runs once per fleet.

Existing keys get none; each is checked with bcrypt once more and then given one.

Revision ID: 0003_key_verifier
Revises: 0002_api_keys
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_key_verifier"
down_revision = "0002_api_keys"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("verifier", sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("verifier")
