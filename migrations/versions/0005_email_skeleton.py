"""Email skeletons: what look-alike addresses share, unique, so only the first can sign up.

Existing accounts get theirs computed from their emails, by the application's own code.
Where two existing accounts already look alike, the older keeps the true skeleton and each
later one gets a placeholder, logged with its id, so the upgrade never fails and an admin
can decide what to do with them.

Revision ID: 0005_email_skeleton
Revises: 0004_user_sessions
Create Date: 2026-11-30
"""

import logging

import sqlalchemy as sa
from alembic import op

from app.accounts.emails import clean_email, email_skeleton
from app.accounts.messages import AccountRefused

revision = "0005_email_skeleton"
down_revision = "0004_user_sessions"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("email", sa.String()),
    sa.column("email_skeleton", sa.String()),
)


def _skeletons(connection):
    """Each user's id and skeleton, oldest account first."""
    seen = {}
    rows = connection.execute(sa.select(users.c.id, users.c.email).order_by(users.c.id))
    for user_id, email in rows.all():
        try:
            email = clean_email(email)  # as sign-up would store it today
        except AccountRefused:
            pass  # an address sign-up now refuses: its skeleton still catches look-alikes
        skeleton = email_skeleton(email)
        if skeleton in seen:
            log.warning(
                "users %s and %s have emails that look alike; user %s keeps a placeholder "
                "skeleton. Review them with 'flask users list'.",
                seen[skeleton],
                user_id,
                user_id,
            )
            # Never a sha256 in hex, so it matches no address's skeleton.
            skeleton = f"look-alike of user {seen[skeleton]}: {user_id}"
        else:
            seen[skeleton] = user_id
        yield user_id, skeleton


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email_skeleton", sa.String(length=64), nullable=True))

    connection = op.get_bind()
    for user_id, skeleton in list(_skeletons(connection)):
        connection.execute(
            users.update().where(users.c.id == user_id).values(email_skeleton=skeleton)
        )

    # On SQLite this copies the table (env.py checks foreign keys after it, not during).
    with op.batch_alter_table("users") as batch:
        batch.alter_column("email_skeleton", existing_type=sa.String(length=64), nullable=False)
        batch.create_index(op.f("ix_users_email_skeleton"), ["email_skeleton"], unique=True)


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_index(op.f("ix_users_email_skeleton"))
        batch.drop_column("email_skeleton")
