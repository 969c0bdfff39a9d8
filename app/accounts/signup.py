"""Sign-up that confirms the address by mail and tells nobody whether it has an account.

``check_sign_up`` checks what it can without looking at other accounts (the address's
form, the password rules); ``request_sign_up`` then hashes the password in every case, and
either mails the new address a link, or mails an existing account's owner that someone
tried to sign up with it. The caller answers the same either way.

Following the link asks for the password chosen at sign-up: whoever owns the mailbox but
did not sign up cannot finish an account a stranger started for their address. Only then
are the look-alike and taken-address rules applied (``create_user``): by that point the
person has shown the address is theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from app.accounts import clean_email, create_user, get_user_by_email, links
from app.accounts import security_messages as messages
from app.accounts.password_changes import LinkGone, WrongPassword
from app.accounts.passwords import check_password
from app.audit import Actor
from app.database import write_transaction
from app.hashing import check_secret, hash_secret
from app.mail import compose, send_later, tell
from app.models import User
from app.models.one_time_link import LinkPurpose, OneTimeLink

__all__ = ["LinkGone", "check_sign_up", "confirm_sign_up", "pending_sign_up", "request_sign_up"]


def check_sign_up(email: str | None, password: str | None) -> tuple[str, bytes]:
    """The cleaned address and the password's bytes, or raise ``AccountRefused``.

    Only what the form itself got wrong (``accounts.messages``): never anything about
    other accounts.
    """
    email = clean_email(email)
    return email, check_password(password, email=email)


def request_sign_up(
    email: str,
    password: bytes,
    *,
    rounds: int,
    locale: str,
    link_for: Callable[[str], str],
    sign_in_url: str,
    reset_url: str,
) -> None:
    """Mail a confirmation link (or, for a taken address, a notice).

    ``email`` and ``password`` as ``check_sign_up`` gave them.
    """
    hashed = hash_secret(password, rounds)
    existing = get_user_by_email(email)
    if existing is not None:
        if existing.active:
            tell(existing, "signup_existing", sign_in_url=sign_in_url, reset_url=reset_url)
        return
    with write_transaction():
        token = links.issue(LinkPurpose.SIGN_UP, email=email, password_hash=hashed, locale=locale)
    send_later(compose("signup_confirm", email, locale, email=email, link=link_for(token)))


def pending_sign_up(token: str) -> OneTimeLink | None:
    """The sign-up a link (unused and unexpired) would finish, else None."""
    return links.find(LinkPurpose.SIGN_UP, token)


def confirm_sign_up(token: str, password: str | None, *, rounds: int, actor: Actor) -> User:
    """Make the account a sign-up link is for, once its password is given again.

    Raises ``LinkGone``; ``WrongPassword``, which leaves the link usable; or
    ``AccountRefused`` for a taken or look-alike address, which uses it up (that answer
    will not change).
    """
    link = pending_sign_up(token)
    if link is None or link.password_hash is None:
        raise LinkGone(token)
    encoded = (password or "").encode("utf-8", "surrogatepass")
    if not check_secret(encoded, link.password_hash):
        raise WrongPassword(messages.LINK_PASSWORD_WRONG)
    email, locale, password_hash = link.email, link.locale, link.password_hash
    with write_transaction():
        if links.redeem(LinkPurpose.SIGN_UP, token) is None:
            raise LinkGone(token)
    # The link holds the hash of this very password: bcrypt need not run again.
    user = create_user(email, None, rounds=rounds, actor=actor, password_hash=password_hash)
    with write_transaction():
        user.locale = locale
    return user
