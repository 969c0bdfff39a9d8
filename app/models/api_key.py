"""The API key row: a public key id, a bcrypt hash of the whole key, never the key itself."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.keys.access import KeyAccess
from app.keys.allowed_networks import network_list
from app.keys.permissions import parse_permissions
from app.keys.status import KeyStatus
from app.models.columns import (
    IP_LENGTH,
    USER_AGENT_LENGTH,
    UTCDateTime,
    enum_type,
    iso_or_none,
    utcnow,
)

if TYPE_CHECKING:
    from app.models.user import User

# Wide enough for any access's value.
ACCESS_LENGTH = 16
# A report's URL is kept up to this long (GitHub's are far shorter).
LEAK_URL_LENGTH = 2000


class ApiKey(Model):
    """A key a user created. Revoked keys stay, so the history of what existed is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True, index=True)
    # Indexed with the key's row id (below): an owner's keys newest first, a page at a time.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(60))
    # HMAC of the key under KEY_VERIFIER_SECRET (app/keys/hmac_verifier.py); never shown anywhere.
    verifier: Mapped[str | None] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Where that last use came from (the client address as TRUSTED_PROXY_COUNT decides).
    last_used_ip: Mapped[str | None] = mapped_column(String(IP_LENGTH))
    last_used_user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # None: never expires. A rotated key's is the end of its grace period.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    access: Mapped[KeyAccess] = mapped_column(
        enum_type(KeyAccess, ACCESS_LENGTH), default=KeyAccess.FULL
    )
    # The key id of the key that replaced this one by rotation.
    replaced_by: Mapped[str | None] = mapped_column(String(16), index=True)
    description: Mapped[str | None] = mapped_column(String(500))
    # A restricted key's permissions, "endpoint=write,keys=read,..." (app/keys/permissions.py).
    permissions: Mapped[str | None] = mapped_column(String(64))
    # "127.0.0.2/32,2001:db8::/32"; None: from anywhere (app/keys/allowed_networks.py).
    allowed_networks: Mapped[str | None] = mapped_column(String(1000))
    # The key's own limit, "10 per minute", on top of its owner's budget (app/keys/own_limit.py).
    rate_limit: Mapped[str | None] = mapped_column(String(40))
    # Set while the key is disabled (reversible, unlike revoked_at).
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Found in public (app/keys/leaks.py): when, and where the report said.
    leaked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leak_url: Mapped[str | None] = mapped_column(String(LEAK_URL_LENGTH))
    # When `flask notices send` claimed this key's "expires soon" mail (app/notices).
    expiry_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="keys")

    def status_at(self, now: datetime) -> KeyStatus:
        """The key's status at ``now``."""
        if self.revoked_at:
            return KeyStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return KeyStatus.EXPIRED
        if self.disabled_at is not None:
            return KeyStatus.DISABLED
        return KeyStatus.ACTIVE

    @property
    def status(self) -> KeyStatus:
        """The key's status now."""
        return self.status_at(utcnow())

    def to_dict(self) -> dict[str, object]:
        """The key as the API shows it: no secret, no hash, no verifier."""
        return {
            "id": self.key_id,
            "name": self.name,
            "description": self.description,
            "prefix": self.prefix,
            "created_at": self.created_at.isoformat(),
            "last_used_at": iso_or_none(self.last_used_at),
            "last_used_ip": self.last_used_ip,
            "status": self.status,
            "revoked_at": iso_or_none(self.revoked_at),
            "expires_at": iso_or_none(self.expires_at),
            "access": self.access,
            "permissions": (
                dict(parse_permissions(self.permissions))
                if self.access == KeyAccess.RESTRICTED
                else None
            ),
            "allowed_networks": network_list(self.allowed_networks),
            "rate_limit": self.rate_limit,
            "replaced_by": self.replaced_by,
        }

    def __repr__(self) -> str:
        # Never the hash or the verifier: a repr can end up in a log.
        return f"<ApiKey {self.key_id} {self.status}>"


# An owner's keys newest first (app/keys/key_list.py): an index range that stops at a page;
# without it an owner's page scanned every newer key of every owner. Sorted by last use, the
# owner's keys are found here and sorted: the cost of one owner's keys, not of the table.
Index("ix_api_keys_user_id_id", ApiKey.user_id, ApiKey.id.desc())
