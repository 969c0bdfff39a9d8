"""A data set at size, written with COPY: users, keys, a year of audit events, 90 days of usage.

No bcrypt per key: every key shares one hash (requests never read it, they compare the
verifier), and each key's verifier is made with the app's own ``VerifierSecret.make``. The
audit events form a valid hash chain (``app.audit.chain.event_hash``), so ``audit verify``
reads all of them.
"""

from __future__ import annotations

import random
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import psycopg
from flask import Flask

from app.accounts.emails import email_skeleton
from app.audit.chain import GENESIS, event_hash
from app.hashing import hash_secret
from app.keys import verifier_secret
from app.keys.format import (
    BASE62,
    DISPLAY_PREFIX_LENGTH,
    KEY_ID_LENGTH,
    KEY_PREFIX,
    SECRET_LENGTH,
    NewKey,
    checksum,
)

PASSWORD = "scale benchmark password"
ADMIN_EMAIL = "admin@scale.example.com"
ADMIN_ID, BUSIEST_OWNER_ID = 1, 2  # the admin; the owner whose keys the console pages show
# Shares of keys; the rest are active, full access, never expiring.
REVOKED, EXPIRED, READ_ONLY = 0.10, 0.05, 0.20
ROLES = (("admin", 0.01), ("premium", 0.19), ("standard", 0.80))
USED_KEYS = 0.05  # keys with a row a day for the last 95 days (5 of them past retention)
USAGE_DAYS = 95


@dataclass
class Built:
    """What the load needs from the data set."""

    valid: list[str] = field(default_factory=list)  # by popularity rank: Zipf picks the first
    valid_owners: array[int] = field(default_factory=lambda: array("l"))  # each one's owner
    revoked: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    busiest_owner_email: str = ""
    key_of_owner: str = ""  # a key id of that owner, for the key's page
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)


def build(app: Flask, dsn: str, keys: int, users: int, seed: int = 33) -> Built:
    """Fill the (migrated, empty) database at ``dsn`` with ``keys`` keys over ``users`` users."""
    started = time.monotonic()
    rng = random.Random(seed)
    secret = verifier_secret(app)
    shared_hash = hash_secret(PASSWORD.encode(), 4)  # one bcrypt for every key and user
    now = datetime.now(UTC).replace(tzinfo=None)
    built = Built()
    roles = rng.choices([r for r, _ in ROLES], [w for _, w in ROLES], k=users)
    roles[ADMIN_ID - 1] = "admin"
    with psycopg.connect(dsn) as connection, connection.cursor() as cursor:
        with cursor.copy(
            "COPY users (id, email, email_skeleton, password_hash, role, active, created_at)"
            " FROM STDIN"
        ) as copy:
            for n in range(1, users + 1):
                email = ADMIN_EMAIL if n == ADMIN_ID else f"user{n}@scale.example.com"
                made = now - timedelta(days=365, seconds=-n)
                copy.write_row(
                    (n, email, email_skeleton(email), shared_hash, roles[n - 1], True, made)
                )
        # The busiest owner holds a full page's worth of keys and more.
        owners = [BUSIEST_OWNER_ID] * min(150, keys // 10) + [
            1 + rng.randrange(users) for _ in range(keys)
        ]
        events: list[tuple] = []
        with cursor.copy(
            "COPY api_keys (id, key_id, user_id, name, key_hash, verifier, prefix, created_at,"
            " last_used_at, revoked_at, expires_at, access) FROM STDIN"
        ) as copy:
            for n in range(1, keys + 1):
                new = _key(rng)
                owner = owners[n - 1]
                made = now - timedelta(seconds=rng.randrange(365 * 86400))
                draw = rng.random()
                revoked = made + timedelta(days=1) if draw < REVOKED else None
                expired = draw < REVOKED + EXPIRED
                expires = now - timedelta(days=1) if expired and not revoked else None
                access = "read" if rng.random() < READ_ONLY else "full"
                verifier = secret.make(new.value)
                prefix = new.prefix
                copy.write_row((n, new.key_id, owner, f"key {n}", shared_hash, verifier, prefix,
                                made, None, revoked, expires, access))  # fmt: skip
                if revoked:
                    built.revoked.append(new.value)
                elif expires:
                    built.expired.append(new.value)
                else:
                    built.valid.append(new.value)
                    built.valid_owners.append(owner)
                if owner == BUSIEST_OWNER_ID and not built.key_of_owner:
                    built.key_of_owner = new.key_id
                events.append((made, "key.created", owner, f"key:{new.key_id}"))
                if revoked:
                    events.append((revoked, "key.revoked", owner, f"key:{new.key_id}"))
        built.busiest_owner_email = f"user{BUSIEST_OWNER_ID}@scale.example.com"
        events.sort()
        _copy_events(cursor, events)
        _copy_usage(cursor, rng, keys, now.date())
        cursor.execute("SELECT setval('users_id_seq', %s)", (users,))
        cursor.execute("SELECT setval('api_keys_id_seq', %s)", (keys,))
        for table in ("users", "api_keys", "audit_events", "key_usage"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            built.rows[table] = cursor.fetchone()[0]
        connection.commit()
        connection.autocommit = True
        cursor.execute("VACUUM ANALYZE")
    # Popularity unrelated to age: the keys (and their owners alike) in a random order.
    order = list(range(len(built.valid)))
    rng.shuffle(order)
    built.valid = [built.valid[n] for n in order]
    built.valid_owners = array("l", (built.valid_owners[n] for n in order))
    built.seconds = time.monotonic() - started
    return built


def _key(rng: random.Random) -> NewKey:
    """A key of the app's format (its checksum), drawn from a seeded generator.

    ``generate_key`` draws every character from the OS: half the build's time.
    """
    key_id = "".join(rng.choices(BASE62, k=KEY_ID_LENGTH))
    body = f"{KEY_PREFIX}{key_id}_{''.join(rng.choices(BASE62, k=SECRET_LENGTH))}"
    value = body + checksum(body)
    return NewKey(value=value, key_id=key_id, prefix=value[:DISPLAY_PREFIX_LENGTH])


def _copy_events(cursor: psycopg.Cursor, events: list[tuple]) -> None:
    prev = GENESIS
    with cursor.copy(
        "COPY audit_events (id, at, action, actor_user_id, actor_email, ip, user_agent, target,"
        " subject_user_id, details, prev_hash, hash) FROM STDIN"
    ) as copy:
        for n, (at, action, owner, target) in enumerate(events, 1):
            email = f"user{owner}@scale.example.com"
            event = SimpleNamespace(
                id=n, at=at.replace(tzinfo=UTC), action=action, actor_user_id=owner,
                actor_email=email, ip="192.0.2.1", user_agent="scale", target=target,
                subject_user_id=owner, details="{}",
            )  # fmt: skip
            digest = event_hash(event, prev)  # type: ignore[arg-type]
            copy.write_row((n, at, action, owner, email, "192.0.2.1", "scale", target, owner,
                            "{}", prev, digest))  # fmt: skip
            prev = digest


def _copy_usage(cursor: psycopg.Cursor, rng: random.Random, keys: int, today: date) -> None:
    with cursor.copy("COPY key_usage (api_key_id, day, requests, refused) FROM STDIN") as copy:
        for key in rng.sample(range(1, keys + 1), int(keys * USED_KEYS)):
            for age in range(USAGE_DAYS):
                requests = rng.randrange(1, 500)
                copy.write_row((key, today - timedelta(age), requests, requests // 20))
