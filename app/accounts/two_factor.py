"""A second factor: TOTP (RFC 6238: 6 digits, 30 seconds) with pyotp, and recovery codes.

- Enrolment: a new secret, sealed at rest (``sealed.py``), shown as a QR code (SVG drawn
  here by segno), as text and as its ``otpauth://`` URI; on only once a code from the app
  confirms it. Ten recovery codes are made then and shown once.
- A code is accepted for its 30 seconds and one step either side (clocks drift), and only
  once: the last step used is kept, and a later sign-in must use a later one.
- Turning it off needs the password and a code; an operator can reset it from the CLI.
Time is read from ``time.time`` (tests move it). The secret is never logged nor mailed.
"""

from __future__ import annotations

import hmac
import logging
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import or_, update

from app import audit
from app.accounts import recovery_codes
from app.accounts import security_messages as messages
from app.accounts.messages import AccountRefused
from app.accounts.password_changes import WrongPassword
from app.accounts.sealed import SealBroken, Sealer
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import rows_changed, write_transaction
from app.extensions import db
from app.hashing import check_secret
from app.mail import tell
from app.models import User
from app.models.columns import utcnow

log = logging.getLogger(__name__)

ISSUER = "Chameleon"
INTERVAL = 30
DIGITS = 6
DRIFT_STEPS = 1


class WrongCode(AccountRefused):
    """The code given was not right, or was already used (a guess, counted per user)."""


def sealer() -> Sealer:
    """The app's sealer, under ``SECRET_KEY`` and its fallbacks."""
    config = current_app.config
    return Sealer(config["SECRET_KEY"], config.get("SECRET_KEY_FALLBACKS") or ())


def pending_secret(user: User) -> str:
    """The secret being enrolled (made and stored now if there is none, or none readable)."""
    if user.has_two_factor:
        raise AccountRefused(messages.TWO_FACTOR_ALREADY_ON)
    if user.totp_secret:
        try:
            return sealer().open(user.totp_secret)
        except SealBroken:  # sealed under a secret key since dropped: enrol with a new one
            log.warning("User %s's enrolment restarts: its secret cannot be read", user.id)
    secret = pyotp.random_base32()
    with write_transaction():
        user.totp_secret = sealer().seal(secret)
    return secret


def restart_enrolment(user: User) -> None:
    """Forget a secret not yet confirmed (say, scanned into the wrong app)."""
    if user.has_two_factor:
        raise AccountRefused(messages.TWO_FACTOR_ALREADY_ON)
    with write_transaction():
        user.totp_secret = None


def provisioning_uri(user: User, secret: str) -> str:
    """The ``otpauth://`` URI authenticator apps read from the QR code."""
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    return totp.provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """``uri`` as a QR code: an SVG element, drawn on the server (no script, no image file)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=4, title=title)


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code ``code`` is (this one or a neighbour), or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)
    current = int(time.time()) // INTERVAL
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * INTERVAL), code):
            return step
    return None


def _spend_step(user: User, step: int) -> bool:
    """Record ``step`` as used, if it is later than the last one (in a write transaction)."""
    spent = rows_changed(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
    )
    return spent == 1


def confirm(user: User, code: str, actor: Actor) -> list[str]:
    """Turn the second factor on with a first code; the ten recovery codes, to show once."""
    secret = pending_secret(user)
    step = _matching_step(secret, code)
    with write_transaction():
        if step is None or not _spend_step(user, step):
            raise WrongCode(messages.WRONG_CODE)
        user.two_factor_enabled_at = utcnow()
        codes = recovery_codes.replace_all(user.id)
        audit.record(
            AuditAction.USER_TWO_FACTOR_ENABLED,
            actor,
            target=f"user:{user.id}",
            subject_user_id=user.id,
        )
    db.session.refresh(user)
    tell(user, "two_factor_enabled")
    return codes


def check_code(user: User, code: str, actor: Actor) -> bool:
    """Whether ``code`` is a fresh TOTP code or an unused recovery code (which it spends).

    A TOTP secret no configured key opens fails every TOTP code; recovery codes still work.
    """
    if not user.has_two_factor or not user.totp_secret:
        return False
    box = sealer()
    try:
        step = _matching_step(box.open(user.totp_secret), code)
    except SealBroken:  # the recovery codes, only hashed, still work
        log.error(
            "The second factor of user %s cannot be read: SECRET_KEY changed and the old one "
            "is not in SECRET_KEY_FALLBACKS. Reset it with 'flask users reset-two-factor'.",
            user.id,
        )
        step = None
    with write_transaction():
        if step is not None:
            if not _spend_step(user, step):
                return False
            if not box.is_current(user.totp_secret):
                user.totp_secret = box.reseal(user.totp_secret)  # a secret key was rotated
            return True
        if not recovery_codes.use(user.id, code):
            return False
        audit.record(
            AuditAction.USER_RECOVERY_CODE_USED,
            actor,
            target=f"user:{user.id}",
            subject_user_id=user.id,
            details={"remaining": recovery_codes.remaining(user.id)},
        )
    return True


def regenerate_codes(user: User, code: str, actor: Actor) -> list[str]:
    """New recovery codes (the old ones stop working), after a code proves the device."""
    if not check_code(user, code, actor):
        raise WrongCode(messages.WRONG_CODE)
    with write_transaction():
        codes = recovery_codes.replace_all(user.id)
        audit.record(
            AuditAction.USER_RECOVERY_CODES_REPLACED,
            actor,
            target=f"user:{user.id}",
            subject_user_id=user.id,
        )
    return codes


def disable(user: User, password: str, code: str, actor: Actor) -> None:
    """Turn the second factor off: the password and a code (or recovery code) are needed."""
    encoded = (password or "").encode("utf-8", "surrogatepass")
    if not check_secret(encoded, user.password_hash):
        raise WrongPassword(messages.WRONG_CURRENT_PASSWORD)
    if not check_code(user, code, actor):
        raise WrongCode(messages.WRONG_CODE)
    turn_off(user, actor)


def turn_off(user: User, actor: Actor) -> bool:
    """Remove the user's second factor (also the CLI's reset); whether there was one."""
    was_on = user.has_two_factor
    with write_transaction():
        user.totp_secret = None
        user.two_factor_enabled_at = None
        user.totp_last_step = None
        recovery_codes.remove_all(user.id)
        if was_on:
            audit.record(
                AuditAction.USER_TWO_FACTOR_DISABLED,
                actor,
                target=f"user:{user.id}",
                subject_user_id=user.id,
            )
    if was_on:
        tell(user, "two_factor_disabled")
    return was_on
