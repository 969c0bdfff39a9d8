"""Users in plain Python: sign-up, sign-in, roles and deactivation.

The rules for emails and passwords live in ``emails.py`` and ``passwords.py``; every
refusal's wording in ``messages.py``.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.accounts import messages
from app.accounts.changes import UserChange, check_role, dismiss_role_notice, update_user
from app.accounts.emails import clean_email, email_skeleton
from app.accounts.messages import AccountRefused
from app.accounts.passwords import MIN_PASSWORD_LENGTH, check_password, random_password
from app.accounts.user_list import users_page
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.extensions import db
from app.hashing import check_secret, dummy_hash, hash_secret
from app.models import User
from app.models.user import normalize_email
from app.roles import Role

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "AccountRefused",
    "UserChange",
    "authenticate",
    "check_password",
    "check_role",
    "clean_email",
    "create_first_admin",
    "create_user",
    "dismiss_role_notice",
    "get_user",
    "get_user_by_email",
    "record_failed_sign_in",
    "require_user",
    "update_user",
    "users_page",
]


def create_user(
    email: str,
    password: str | None,
    *,
    rounds: int,
    role: Role | str = Role.STANDARD,
    actor: Actor | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a user; raise ``AccountRefused`` for bad input, or an email taken or looked like.

    ``actor`` made the account: the CLI (``Actor.system()``), an admin, or, without a user
    of its own, the person signing up from the actor's address. ``password_hash``, the
    bcrypt hash of a password the rules already accepted for this email (a sign-up link
    holds one), is kept instead of hashing ``password`` again.
    """
    email = clean_email(email)
    encoded = None if password_hash else check_password(password, email=email)
    role = check_role(role)
    skeleton = email_skeleton(email)
    _refuse_if_taken(email, skeleton)  # before bcrypt, which is the slow part
    if encoded is not None:
        password_hash = hash_secret(encoded, rounds)
    user = User(
        email=email,
        email_skeleton=skeleton,
        password_hash=password_hash,
        role=role,
    )
    try:
        with write_transaction() as session:
            session.add(user)
            session.flush()
            if actor is None or (actor.user_id is None and not actor.email):
                ip, agent = (actor.ip, actor.user_agent) if actor else ("", "")
                actor = Actor.for_user(user, ip, agent)  # they made their own account
            audit.record(
                AuditAction.USER_CREATED,
                actor,
                target=f"user:{user.id}",
                subject_user_id=user.id,
                details={"email": email, "role": role},
            )
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
        raise AccountRefused(messages.EMAIL_TAKEN % {"email": email})
    if taken:
        raise AccountRefused(messages.LOOKALIKE_EMAIL)


def create_first_admin(email: str, *, rounds: int) -> tuple[User, str] | None:
    """When there is no user at all, create an admin with a random password and return both."""
    if db.session.scalar(select(func.count(User.id))):
        return None
    password = random_password(clean_email(email))
    created = create_user(email, password, rounds=rounds, role=Role.ADMIN, actor=Actor.system())
    return created, password


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


def record_failed_sign_in(email: str, actor: Actor) -> None:
    """Record a failed sign-in: the email as it was typed (never the password)."""
    user = get_user_by_email(email)
    with write_transaction():
        audit.record(
            AuditAction.USER_SIGN_IN_FAILED,
            Actor.anonymous(actor.ip, actor.user_agent, email=email),
            target=f"user:{user.id}" if user is not None else "",
            subject_user_id=user.id if user is not None else None,
        )


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
    if "\x00" in legacy:
        return user  # no stored email holds a NUL (and PostgreSQL cannot even compare one)
    if user is None and legacy != cleaned:
        user = db.session.scalar(select(User).where(User.email == legacy))
    return user


def require_user(email: str) -> User:
    """The user with this email, or raise ``AccountRefused``."""
    user = get_user_by_email(email)
    if user is None:
        raise AccountRefused(messages.NO_USER % {"email": normalize_email(email)})
    return user
