"""Users in plain Python: sign-up, sign-in, roles and deactivation.

Used by the sign-in pages, the admin API and console, and the ``flask users`` commands.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.database import write_transaction
from app.extensions import db
from app.hashing import BCRYPT_MAX_BYTES, check_secret, dummy_hash, hash_secret
from app.keys import signals
from app.models import ROLES, ApiKey, User
from app.models.user import normalize_email

MIN_PASSWORD_LENGTH = 8
MAX_EMAIL_LENGTH = 254
# Deliberately loose: one @, something on each side, a dot in the domain, no spaces or
# control characters. The only real check of an address is mail that arrives.
_EMAIL_PATTERN = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")


class AccountRefused(ValueError):
    """A refusal the person can fix; ``str()`` is the message to show them."""


def clean_email(email: str | None) -> str:
    """Return ``email`` normalized, or raise ``AccountRefused``."""
    email = normalize_email(email or "")
    if len(email) > MAX_EMAIL_LENGTH or not _EMAIL_PATTERN.fullmatch(email):
        raise AccountRefused("Enter a valid email address, such as ada@example.com.")
    return email


def check_password(password: str | None) -> bytes:
    """Return the password as UTF-8 bytes, or raise ``AccountRefused`` saying why not.

    Over 72 bytes is refused, never truncated: bcrypt would silently ignore the rest.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    encoded = password.encode("utf-8", errors="surrogatepass")
    if len(encoded) > BCRYPT_MAX_BYTES:
        raise AccountRefused(
            f"Passwords can be at most {BCRYPT_MAX_BYTES} bytes (UTF-8); this one has "
            f"{len(encoded)}. Use a shorter one."
        )
    return encoded


def check_role(role: object) -> str:
    """Return ``role`` if it is one of the roles, or raise ``AccountRefused``."""
    if not isinstance(role, str) or role not in ROLES:
        raise AccountRefused(f"Unknown role {role!r}: choose {', '.join(ROLES)}.")
    return role


def create_user(email: str, password: str, *, rounds: int, role: str = "standard") -> User:
    """Create a user; raise ``AccountRefused`` for bad input or a taken email."""
    email = clean_email(email)
    password_hash = hash_secret(check_password(password), rounds)
    user = User(email=email, password_hash=password_hash, role=check_role(role))
    try:
        with write_transaction() as session:
            session.add(user)
    except IntegrityError:
        # The email was already taken, which caused the commit to fail.
        raise AccountRefused(f"An account for {email} already exists.") from None
    return user


def create_first_admin(email: str, *, rounds: int) -> tuple[User, str] | None:
    """When there is no user at all, create an admin with a random password and return both."""
    if db.session.scalar(select(func.count(User.id))):
        return None
    password = secrets.token_urlsafe(18)
    return create_user(email, password, rounds=rounds, role="admin"), password


def authenticate(email: str | None, password: str | None, *, rounds: int) -> User | None:
    """The active user with this email and password, or None.

    An unknown email costs a bcrypt check too, so the answer takes as long either way.
    """
    try:
        user = get_user_by_email(clean_email(email))
    except AccountRefused:
        user = None  # not even an email (a NUL byte, say): no account can match it
    encoded = (password or "").encode("utf-8", errors="surrogatepass")
    if user is None:
        check_secret(encoded, dummy_hash(rounds))
        return None
    if not check_secret(encoded, user.password_hash) or not user.active:
        return None
    return user


def get_user(user_id: int) -> User | None:
    """The user with this id, or None."""
    return db.session.get(User, user_id)


def get_user_by_email(email: str) -> User | None:
    """The user with this email (compared case-insensitively), or None."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def require_user(email: str) -> User:
    """The user with this email, or raise ``AccountRefused``."""
    user = get_user_by_email(email)
    if user is None:
        raise AccountRefused(f"No user with email {normalize_email(email)}.")
    return user


def list_users() -> Sequence[tuple[User, int]]:
    """Every user with their number of active keys, oldest account first."""
    active_keys = (
        select(ApiKey.user_id, func.count(ApiKey.id).label("count"))
        .where(ApiKey.revoked_at.is_(None))
        .group_by(ApiKey.user_id)
        .subquery()
    )
    query = (
        select(User, func.coalesce(active_keys.c.count, 0))
        .outerjoin(active_keys, active_keys.c.user_id == User.id)
        .order_by(User.id)
    )
    return [(user, count) for user, count in db.session.execute(query)]


def update_user(
    user: User, *, role: str | None = None, active: bool | None = None, by: int | None = None
) -> User:
    """Change a user's role and/or active flag; takes effect on their next request.

    ``by`` is the admin making the change: admins cannot demote or deactivate themselves,
    so a slip cannot leave the service without an admin.
    """
    if role is not None:
        check_role(role)
    if active is not None and not isinstance(active, bool):
        raise AccountRefused("'active' must be true or false.")
    if by == user.id and (role not in (None, "admin") or active is False):
        raise AccountRefused("You cannot demote or deactivate yourself; ask another admin.")
    with write_transaction():
        if role is not None:
            user.role = role
        if active is not None:
            user.active = active
    signals.send_user_changed(user.id)
    return user
