"""Noticing a key used from a network it was never used from (IPv4 /24, IPv6 /48).

A key's first network is where it lives; each later one is recorded once, with an audit
event, and shown to the owner until acknowledged. Each process remembers the pairs it has
seen, so a network costs a database look only the first time a process sees it.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app import audit, notices
from app.addresses import parse_address
from app.audit import Actor
from app.audit.actions import AuditAction
from app.database import rows_changed, write_transaction
from app.extensions import db
from app.models import ApiKey, KeyNetwork
from app.models.columns import utcnow

log = logging.getLogger(__name__)

MAX_REMEMBERED = 20_000  # (key, network) pairs this process has seen, about 150 bytes each
# The prefix that makes a network of an address: an ISP customer's usual block.
IPV4_PREFIX = 24
IPV6_PREFIX = 48


MAX_NETWORKS_CACHED = 4096  # addresses whose network is kept parsed


@functools.lru_cache(maxsize=MAX_NETWORKS_CACHED)
def network_of(address: str) -> str | None:
    """The /24 (IPv4) or /48 (IPv6) holding ``address``, or None if it is no address.

    Cached: it runs on every API request, and parsing an address costs more than the rest
    of the bookkeeping together.
    """
    ip = parse_address(address)
    if ip is None:
        return None
    prefix = IPV4_PREFIX if ip.version == 4 else IPV6_PREFIX
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


class NetworkWatch:
    """The pairs this process has seen, and the recording of new ones."""

    def __init__(self) -> None:
        self._seen: set[tuple[int, str]] = set()
        self._lock = threading.Lock()

    def is_new_here(self, key_pk: int, network: str) -> bool:
        """Whether this process has not seen the key used from ``network`` yet (and now has)."""
        pair = (key_pk, network)
        if pair in self._seen:
            return False
        with self._lock:
            if len(self._seen) >= MAX_REMEMBERED:
                self._seen.clear()  # a bound, not an LRU: at worst one look more per pair
            self._seen.add(pair)
        return True

    def __len__(self) -> int:
        """How many (key, network) pairs this process remembers."""
        return len(self._seen)

    def warm_up(self) -> None:
        """Make the look-up ``record`` starts with once, before the first request.

        After a restart every pair is new to every worker, so each one's first request of
        each key makes it after its answer: the first, without this, also opens the
        database's pooled connection and compiles the statement, while the next request
        to that worker waits.
        """
        self._known(0, "")  # no key has the id 0

    def record(
        self,
        key_pk: int,
        key_id: str,
        owner_id: int,
        network: str,
        ip: str,
        user_agent: str,
        base_url: str | None = None,
    ) -> None:
        """Store the network for the key if it is new, with its event when it is news.

        News is mailed to the owner too (app/notices), its link under ``base_url``.
        """
        if self._known(key_pk, network):
            return
        try:
            with write_transaction() as session:
                first = not session.scalar(
                    select(func.count()).where(KeyNetwork.api_key_id == key_pk)
                )
                now = utcnow()
                session.add(
                    KeyNetwork(
                        api_key_id=key_pk,
                        network=network,
                        first_seen_at=now,
                        acknowledged_at=now if first else None,
                    )
                )
                session.flush()
                if not first:
                    audit.record(
                        AuditAction.KEY_NEW_NETWORK,
                        Actor.anonymous(ip, user_agent),
                        target=f"key:{key_id}",
                        subject_user_id=owner_id,
                        details={"network": network},
                    )
        except IntegrityError:
            return  # another worker recorded it first: one row, one event, one mail
        if not first:
            key = db.session.get(ApiKey, key_pk)
            if key is not None:
                notices.tell_new_network(key, network, base_url)

    @staticmethod
    def _known(key_pk: int, network: str) -> bool:
        """Whether the key has been seen from the network before (a row for the pair)."""
        known = db.session.scalar(
            select(KeyNetwork.network).where(
                KeyNetwork.api_key_id == key_pk, KeyNetwork.network == network
            )
        )
        return known is not None


class NewNetwork(NamedTuple):
    """A new network to show its key's owner."""

    key_id: str
    key_name: str
    key_prefix: str
    network: str
    first_seen_at: datetime


def unacknowledged_of(owner_id: int, key_pk: int | None = None) -> list[NewNetwork]:
    """The new networks of the owner's keys (or of one key) not acknowledged yet."""
    query = (
        select(
            ApiKey.key_id, ApiKey.name, ApiKey.prefix, KeyNetwork.network, KeyNetwork.first_seen_at
        )
        .join(ApiKey, ApiKey.id == KeyNetwork.api_key_id)
        .where(ApiKey.user_id == owner_id, KeyNetwork.acknowledged_at.is_(None))
        .order_by(KeyNetwork.first_seen_at)
    )
    if key_pk is not None:
        query = query.where(ApiKey.id == key_pk)
    return [NewNetwork(*row) for row in db.session.execute(query)]


def acknowledge(key_pk: int, network: str | None = None) -> int:
    """Mark the key's new networks (or one of them) as seen by the owner; how many."""
    statement = (
        update(KeyNetwork)
        .where(KeyNetwork.api_key_id == key_pk, KeyNetwork.acknowledged_at.is_(None))
        .values(acknowledged_at=utcnow())
    )
    if network is not None:
        statement = statement.where(KeyNetwork.network == network)
    with write_transaction():
        return rows_changed(statement)
