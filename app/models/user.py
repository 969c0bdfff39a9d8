"""The user: an email (and its skeleton), a bcrypt password hash, a role and an active flag."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import BigInteger, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.columns import EMAIL_LENGTH, UTCDateTime, enum_type, utcnow
from app.roles import Role

if TYPE_CHECKING:
    from app.models.api_key import ApiKey

# Wide enough for any role's value.
ROLE_LENGTH = 16


def normalize_email(email: str) -> str:
    """Return ``email`` trimmed and in lower case.

    Sign-up stores addresses in this form once they are validated (app/accounts/emails.py).
    """
    return email.strip().lower()


class User(UserMixin, Model):
    """A person who signs in to the console and owns API keys."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalized, so the unique index is case-insensitive on every database.
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    # A hash of the email's confusable skeleton (app/accounts/emails.py). Unique, so two
    # addresses that display alike cannot both have an account, even when they sign up at
    # the same moment.
    email_skeleton: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(60))
    role: Mapped[Role] = mapped_column(enum_type(Role, ROLE_LENGTH), default=Role.STANDARD)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the role rose: the user's full keys gained power; shown until dismissed.
    role_raised_from: Mapped[Role | None] = mapped_column(enum_type(Role, ROLE_LENGTH))
    role_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The console locale the user last used: the language of the mail they are sent.
    locale: Mapped[str | None] = mapped_column(String(8))
    # TOTP (app/accounts/two_factor.py): the secret, encrypted; on once confirmed. The last
    # time step accepted, so a code seen by someone else cannot be used again.
    totp_secret: Mapped[str | None] = mapped_column(String(200))
    two_factor_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Mail the user may turn off on /account; leaks and account changes always go out.
    notify_expiry: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_new_network: Mapped[bool] = mapped_column(default=True, server_default=true())

    keys: Mapped[list[ApiKey]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:
        """Tell Flask-Login whether this user may sign in."""
        return self.active

    @property
    def has_two_factor(self) -> bool:
        """Whether signing in needs a second factor (a confirmed TOTP)."""
        return self.two_factor_enabled_at is not None

    @property
    def is_admin(self) -> bool:
        """Whether the user has the admin role."""
        return self.role == Role.ADMIN

    def to_dict(self, key_count: int | None = None) -> dict[str, object]:
        """The user as the admin API shows it: never the password hash."""
        data: dict[str, object] = {
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "active": self.active,
            "created_at": self.created_at.isoformat(),
        }
        if key_count is not None:
            data["active_keys"] = key_count
        return data

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"
