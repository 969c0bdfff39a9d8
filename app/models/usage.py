"""Per-key usage by UTC day, and the networks each key has been used from."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.columns import UTCDateTime


class KeyUsage(Model):
    """How many requests presented a key on a day, and how many of them were refused."""

    __tablename__ = "key_usage"

    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    # Indexed on its own for the retention sweep (app/usage/store.py): old days by date.
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    requests: Mapped[int] = mapped_column(default=0)
    refused: Mapped[int] = mapped_column(default=0)


class KeyNetwork(Model):
    """A network (IPv4 /24, IPv6 /48) a key was used from; new ones are shown to the owner."""

    __tablename__ = "key_networks"

    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), primary_key=True)
    network: Mapped[str] = mapped_column(String(50), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The first network a key is used from is where it lives, not news: born acknowledged.
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
