"""Users in plain Python: sign-up, sign-in, roles and deactivation.

Used by the sign-in pages, the admin API and console, and the ``flask users`` commands.
The rules for emails and passwords live in ``emails.py`` and ``passwords.py``; every
refusal's wording in ``messages.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app.accounts import messages
from app.accounts.emails import MAX_EMAIL_LENGTH, clean_email, email_skeleton
from app.accounts.messages import AccountRefused
from app.accounts.passwords import MIN_PASSWORD_LENGTH, check_password, random_password
from app.database import write_transaction
from app.extensions import db
from app.hashing import check_secret, dummy_hash, hash_secret
from app.keys import signals
from app.models import ROLES, ApiKey, User
from app.models.user import normalize_email

__all__ = [
    "MAX_EMAIL_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "AccountRefused",
    "authenticate",
    "check_password",
    "check_role",
    "clean_email",
    "create_first_admin",
    "create_user",
    "get_user",
    "get_user_by_email",
    "list_users",
    "require_user",
    "update_user",
]


def check_role(role: object) -> str:
    """Return ``role`` if it is one of the roles, or raise ``AccountRefused``."""
    if not isinstance(role, str) or role not in ROLES:
        raise AccountRefused(messages.UNKNOWN_ROLE.format(role=role, roles=", ".join(ROLES)))
    return role


def create_user(email: str, password: str, *, rounds: int, role: str = "standard") -> User:
    """Create a user; raise ``AccountRefused`` for bad input, or an email taken or looked like."""
    email = clean_email(email)
    encoded = check_password(password, email=email)
    role = check_role(role)
    skeleton = email_skeleton(email)
    _refuse_if_taken(email, skeleton)  # before bcrypt, which is the slow part
    user = User(
        email=email,
        email_skeleton=skeleton,
        password_hash=hash_secret(encoded, rounds),
        role=role,
    )
    try:
        with write_transaction() as session:
            session.add(user)
    except IntegrityError:
        # Another sign-up took the email, or one like it, since we looked: the unique
        # indexes let only one of them commit.
        _refuse_if_taken(email, skeleton)
        raise
    return user


def _refuse_if_taken(email: str, skeleton: str) -> None:
    """Raise ``AccountRefused`` if an account has this email or one that looks like it."""
    taken = db.session.scalars(
        select(User.email).where(or_(User.email == email, User.email_skeleton == skeleton))
    ).all()
    if email in taken:
        raise AccountRefused(messages.EMAIL_TAKEN.format(email=email))
    if taken:
        raise AccountRefused(messages.LOOKALIKE_EMAIL)


def create_first_admin(email: str, *, rounds: int) -> tuple[User, str] | None:
    """When there is no user at all, create an admin with a random password and return both."""
    if db.session.scalar(select(func.count(User.id))):
        return None
    password = random_password(clean_email(email))
    return create_user(email, password, rounds=rounds, role="admin"), password


def authenticate(email: str | None, password: str | None, *, rounds: int) -> User | None:
    """The active user with this email and password, or None.

    An unknown email costs a bcrypt check too, so the answer takes as long either way.
    """
    email = email or ""
    try:
        user = _user_by_email(email, clean_email(email))
    except AccountRefused:
        # Not an address sign-up would take (a NUL byte, an invisible character): no
        # account can be signed in to with it.
        user = None
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
    try:
        cleaned = clean_email(email)
    except AccountRefused:
        cleaned = None  # an account from before the rules may still have it
    return _user_by_email(email, cleaned)


def _user_by_email(email: str, cleaned: str | None) -> User | None:
    # As sign-up stores it, then as it was stored before addresses were validated
    # (trimmed and lower-cased only), so accounts from then are still found.
    user = None
    if cleaned is not None:
        user = db.session.scalar(select(User).where(User.email == cleaned))
    legacy = normalize_email(email)
    if user is None and legacy != cleaned:
        user = db.session.scalar(select(User).where(User.email == legacy))
    return user


def require_user(email: str) -> User:
    """The user with this email, or raise ``AccountRefused``."""
    user = get_user_by_email(email)
    if user is None:
        raise AccountRefused(messages.NO_USER.format(email=normalize_email(email)))
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
        raise AccountRefused(messages.ACTIVE_NOT_BOOLEAN)
    takes_admin_away = role not in (None, "admin") or active is False
    if by == user.id and takes_admin_away:
        raise AccountRefused(messages.CANNOT_DEMOTE_SELF)
    with write_transaction() as session:
        if takes_admin_away:
            # Lock the active admins' rows (PostgreSQL; SQLite's write transaction is alone
            # already), so two admins demoting each other at once cannot both count the
            # other as the admin who stays.
            admins = session.scalars(
                select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update()
            ).all()
            session.refresh(user)
            if user.id in admins and len(admins) <= 1:
                raise AccountRefused(messages.LAST_ADMIN)
        if role is not None:
            user.role = role
        if active is not None:
            user.active = active
    signals.send_user_changed(user.id)
    return user
