"""Usage per key and day, networks per key, where a key was last used from, the audit log.

Revision ID: 0007_usage_and_audit
Revises: 0006_key_lifecycle
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_usage_and_audit"
down_revision = "0006_key_lifecycle"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("last_used_ip", sa.String(length=45), nullable=True))
        batch.add_column(sa.Column("last_used_user_agent", sa.String(length=200), nullable=True))
    op.create_table(
        "key_usage",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_key_usage_api_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("api_key_id", "day", name=op.f("pk_key_usage")),
    )
    op.create_table(
        "key_networks",
        sa.Column("api_key_id", sa.Integer(), nullable=False),
        sa.Column("network", sa.String(length=50), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"], ["api_keys.id"], name=op.f("fk_key_networks_api_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("api_key_id", "network", name=op.f("pk_key_networks")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("target", sa.String(length=100), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_audit_events_actor_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_user_id"], ["users.id"], name=op.f("fk_audit_events_subject_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_action_id", "audit_events", ["action", "id"])
    op.create_index(op.f("ix_audit_events_actor_user_id"), "audit_events", ["actor_user_id"])
    op.create_index(
        op.f("ix_audit_events_subject_user_id"), "audit_events", ["subject_user_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_audit_events_subject_user_id"), table_name="audit_events")
    op.drop_index(op.f("ix_audit_events_actor_user_id"), table_name="audit_events")
    op.drop_index("ix_audit_events_action_id", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("key_networks")
    op.drop_table("key_usage")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("last_used_user_agent")
        batch.drop_column("last_used_ip")
