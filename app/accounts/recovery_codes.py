"""Recovery codes: ten one-use codes that stand in for a lost TOTP device.

Each code is 16 characters of a 32-letter alphabet (80 random bits from ``secrets``), shown
once as four groups. Only its SHA-256 is stored. A slow hash (bcrypt) is for secrets people
choose, which are guessable; 80 random bits are not, so a plain hash is as safe here,
needs no secret that a key rotation could lose, and checking a code costs nothing.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, func, select, update

from app.database import rows_changed
from app.extensions import db
from app.models import RecoveryCode
from app.models.columns import utcnow

COUNT = 10
# 32 letters and digits, without i, l, o and 1: read off a screen or paper unmistakably.
ALPHABET = "abcdefghjkmnpqrstuvwxyz023456789"
LENGTH = 16


def normalize(code: str) -> str:
    """``code`` as typed, without spaces or dashes, in lower case."""
    return "".join(char for char in code.lower() if char not in " -\t")


def looks_like_code(code: str) -> bool:
    """Whether ``code`` (normalized) has a recovery code's shape."""
    return len(code) == LENGTH and all(char in ALPHABET for char in code)


def hash_of(code: str) -> str:
    """What the database keeps of a (normalized) code."""
    return hashlib.sha256(code.encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, LENGTH, 4))


def replace_all(user_id: int) -> list[str]:
    """New codes for the user, the old ones gone (in the caller's write transaction)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_code() for _ in range(COUNT)]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user_id, code_hash=hash_of(normalize(code))))
    return codes


def use(user_id: int, code: str) -> bool:
    """Spend one unused code (in the caller's write transaction); whether it was one."""
    code = normalize(code)
    if not looks_like_code(code):
        return False
    spent = rows_changed(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == hash_of(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
    return spent == 1


def remaining(user_id: int) -> int:
    """How many of the user's codes are still unused."""
    query = select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
    )
    return db.session.scalar(query) or 0


def remove_all(user_id: int) -> None:
    """Delete the user's codes (the second factor is off)."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
