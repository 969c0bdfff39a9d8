"""The API key row: a public key id, a bcrypt hash of the whole key, never the key itself."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.columns import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class ApiKey(db.Model):
    """A key a user created. Revoked keys stay, so the history of what existed is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(60))
    # HMAC of the key under KEY_VERIFIER_SECRET (app/keys/hmac_verifier.py); never shown anywhere.
    verifier: Mapped[str | None] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where that last use came from (the client address as TRUSTED_PROXY_COUNT decides).
    last_used_ip: Mapped[str | None] = mapped_column(String(45))
    last_used_user_agent: Mapped[str | None] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # None: never expires. A rotated key's is the end of its grace period.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # "full" (whatever the owner's role allows) or "read" (GET and HEAD only); never widened.
    access: Mapped[str] = mapped_column(String(8), default="full")
    # The key id of the key that replaced this one by rotation.
    replaced_by: Mapped[str | None] = mapped_column(String(16))

    user: Mapped[User] = relationship(back_populates="keys")

    def status_at(self, now: datetime) -> str:
        """``active``, ``expired`` or ``revoked`` at ``now``."""
        if self.revoked_at:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    @property
    def status(self) -> str:
        """``active``, ``expired`` or ``revoked`` now."""
        return self.status_at(utcnow())

    def to_dict(self) -> dict[str, object]:
        """The key as the API shows it: no secret, no hash, no verifier."""
        return {
            "id": self.key_id,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "last_used_at": _iso(self.last_used_at),
            "last_used_ip": self.last_used_ip,
            "status": self.status,
            "revoked_at": _iso(self.revoked_at),
            "expires_at": _iso(self.expires_at),
            "access": self.access,
            "replaced_by": self.replaced_by,
        }

    def __repr__(self) -> str:
        # Never the hash or the verifier: a repr can end up in a log.
        return f"<ApiKey {self.key_id} {self.status}>"


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
