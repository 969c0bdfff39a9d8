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
    # HMAC of the key under KEY_VERIFIER_SECRET (app/keys/verifier.py); never shown anywhere.
    verifier: Mapped[str | None] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="keys")

    @property
    def status(self) -> str:
        """``active`` or ``revoked``."""
        return "revoked" if self.revoked_at else "active"

    def to_dict(self) -> dict[str, object]:
        """The key as the API shows it: no secret, no hash."""
        return {
            "id": self.key_id,
            "name": self.name,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None,
            "status": self.status,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
        }

    def __repr__(self) -> str:
        # Never the hash or the verifier: a repr can end up in a log.
        return f"<ApiKey {self.key_id} {self.status}>"
