"""Keys found in public: which reported tokens are ours, and what a leak does to a key.

A report names tokens (GitHub's secret scanning, or anyone through the public revoke
endpoint). A token is *genuine* when it is the whole of one of our keys: well formed, its
checksum right, its key id known, and its secret proved (by the fast verifier, else bcrypt).
A genuine key still in use (active, or disabled: enabling it must not bring a leaked
key back) is revoked through ``revoke_key`` (so every worker and host refuses
it at once), or under ``LEAKED_KEY_ACTION = "notify"`` only flagged; either way once,
audited as ``key.leaked``, and its owner told (app/notices).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update

from app import audit, notices
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import write_transaction
from app.extensions import db
from app.hashing import check_secret
from app.keys import service
from app.keys.format import parse_key
from app.keys.hmac_verifier import Verdict, VerifierSecret
from app.keys.leak import Leak
from app.keys.status import KeyStatus
from app.keys.verification import CheckBudget
from app.models import ApiKey
from app.models.columns import utcnow

# How long the owner's key list shows a leaked key that was revoked (one still in use is
# shown for as long as it is).
LEAK_NOTICE_DAYS = 30


class LeakAction(StrEnum):
    """What a confirmed leak does to an active key (``LEAKED_KEY_ACTION``)."""

    REVOKE = "revoke"
    NOTIFY = "notify"


@dataclass(frozen=True)
class Finding:
    """One reported token: its SHA-256, and whether it is one of our keys."""

    token_hash: str
    genuine: bool


def token_hash(token: str) -> str:
    """The SHA-256 (hex) of a reported token, as GitHub's answer names it."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def genuine_key(
    token: str, verifier: VerifierSecret, may_check_hash: CheckBudget | None = None
) -> ApiKey | None:
    """The key ``token`` is, when it is one of ours in full; else None.

    ``may_check_hash`` (as for ``X-API-Key``, app/keys/verification.py) is asked before a
    bcrypt check and charges it; None (a signed report): no budget.
    """
    parsed = parse_key(token)
    if parsed is None:
        return None  # a typo or a made-up token: no database read
    key = service.get_key(parsed.key_id, owner_id=None)
    if key is None:
        return None
    verdict = verifier.judge(token, key.verifier)
    if verdict is Verdict.UNKNOWN:
        # A key older than any known verifier secret: only bcrypt can tell.
        if may_check_hash is not None and not may_check_hash(key.key_id, key.last_used_ip):
            return None  # out of checks: told apart no better than a made-up token
        return key if check_secret(token.encode("ascii"), key.key_hash) else None
    return key if verdict in (Verdict.MATCH, Verdict.RENEW) else None


def handle_report(
    token: str,
    leak: Leak,
    *,
    verifier: VerifierSecret,
    action: LeakAction,
    actor: Actor,
    may_check_hash: CheckBudget | None = None,
) -> Finding:
    """Act on one reported token; say whether it was one of ours (see ``genuine_key``)."""
    key = genuine_key(token, verifier, may_check_hash)
    # A disabled key is only paused: left alone, enabling it would bring the leak back.
    if key is not None and key.status in (KeyStatus.ACTIVE, KeyStatus.DISABLED):
        act_on_leak(key, leak, action=action, actor=actor)
    return Finding(token_hash(token), key is not None)


def act_on_leak(key: ApiKey, leak: Leak, *, action: LeakAction, actor: Actor) -> bool:
    """Revoke (or flag) a genuine key found in public; whether this report changed it.

    A key already revoked or flagged is left as it is, and its owner is not told again.
    """
    if action == LeakAction.REVOKE:
        before = key.revoked_at
        changed = service.revoke_key(key.key_id, owner_id=None, actor=actor, leak=leak)
        done = changed is not None and before is None and changed.leaked_at is not None
    else:
        done = _flag(key, leak, actor)
    if done:
        fresh = service.get_key(key.key_id, owner_id=None)
        if fresh is not None:
            notices.tell_leak(fresh, revoked=action == LeakAction.REVOKE)
    return done


def _flag(key: ApiKey, leak: Leak, actor: Actor) -> bool:
    """Mark the key as found in public, once, without revoking it."""
    statement = (
        update(ApiKey)
        .where(ApiKey.id == key.id, ApiKey.leaked_at.is_(None), ApiKey.revoked_at.is_(None))
        .values(leaked_at=utcnow(), leak_url=leak.stored_url)
        .returning(ApiKey.user_id, ApiKey.name)
    )
    with write_transaction() as session:
        flagged = session.execute(statement).first()
        if flagged is not None:
            audit.record(
                AuditAction.KEY_LEAKED,
                actor,
                target=f"key:{key.key_id}",
                subject_user_id=flagged.user_id,
                details={"name": flagged.name, **leak.details(revoked=False)},
            )
    return flagged is not None


def leaks_to_show(owner_id: int, now: datetime) -> list[ApiKey]:
    """The owner's leaked keys their key list shows: still in use, or recently revoked."""
    query = (
        select(ApiKey)
        .where(
            ApiKey.user_id == owner_id,
            ApiKey.leaked_at.is_not(None),
            or_(
                ApiKey.revoked_at.is_(None),
                ApiKey.leaked_at > now - timedelta(days=LEAK_NOTICE_DAYS),
            ),
        )
        .order_by(ApiKey.leaked_at.desc())
    )
    return list(db.session.scalars(query))
