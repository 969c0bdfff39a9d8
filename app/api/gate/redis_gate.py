"""``RedisGate`` (PostgreSQL + Redis): one Redis round trip admits a request.

One ``EVALSHA`` of admit.lua reads the key's and its owner's cached records (records.py),
checks them, charges the owner's budget with our own moving window (windows.py) and says
whether this minute's use is yet to be recorded. On a miss the key's row is read from the
database and the script runs once more with it. With ``KEY_VERIFIER_SECRET_FALLBACKS``, the
presented key's verifier under each fallback travels too: the script admits a key whose
verifier was made under one, and the verifier is then rewritten under the current secret.
A key with no verifier under a known secret goes through bcrypt once (``LocalGate``'s path,
charged in the same window). While Redis does not answer, ``LocalGate`` serves, counting
budgets in this process's share.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import cast

from flask import Flask
from limits import RateLimitItem
from limits.storage import RedisStorage
from redis import Redis
from redis.commands.core import Script
from redis.exceptions import RedisError

from app.api.budget import KEY, OWNER, SCOPE, ApiBudget, describe
from app.api.gate import Admission
from app.api.gate.local import TOUCH_SECONDS, LocalGate
from app.api.gate.records import RECORD_SECONDS, RecordCache
from app.api.gate.windows import WINDOW_LUA, RedisWindows, stats
from app.keys import signals
from app.keys.allowed_networks import address_hex
from app.keys.hmac_verifier import TAG_LENGTH
from app.keys.record import FIELDS, KEY_FIELDS, OWNER_FIELDS, from_text, to_text
from app.keys.verification import AddressNotAllowed, KeyRejected
from app.ratelimit import parse_rate_limit
from app.ratelimit.counter import LimitCounter

ADMIT_LUA = (Path(__file__).parent / "admit.lua").read_text()
REFUSALS = {b"revoked", b"inactive_user", b"wrong_secret", b"expired", b"disabled"}


class RedisGate:
    """Admit requests through admit.lua; ``LocalGate`` while Redis does not answer."""

    def __init__(
        self,
        local: LocalGate,
        counter: LimitCounter,
        records: RecordCache,
        windows: RedisWindows,
        role_limits: Mapping[str, str],
    ) -> None:
        self.local = local
        self.verifier = local.verifier
        self.throttle = local.throttle
        self.counter = counter
        self.records = records
        self._limits = {role: parse_rate_limit(limit) for role, limit in role_limits.items()}
        self.renewing = bool(self.verifier.secret.fallbacks)
        self.text = admit_script(
            records, windows, self._limits, len(self.verifier.secret.fallbacks)
        )
        self._script: Script | None = None

    def admit(self, presented: str, address: str) -> Admission:
        """Admit ``presented`` from ``address``, or raise (see app/api/key_hook.py)."""
        counter = self.counter
        if not counter.storage_up():
            return self.local.admit(presented, address)
        verifier = self.verifier
        key_id = verifier.key_id_of(presented)
        if key_id in verifier.unknown:
            raise KeyRejected("unknown", key_id=key_id)
        script = self._script or self.prepare()
        keys = [self.records.key_name(key_id), self.records.touch_name(key_id)]
        now = time.time()
        args = [verifier.secret.make(presented), repr(now), "", address_hex(address)]
        if self.renewing:  # only then: without fallbacks, a request computes one HMAC
            args += verifier.secret.make_under_fallbacks(presented)
        try:
            reply = script(keys=keys, args=args)
            if reply[0] == b"miss":
                args[2] = reply[1]  # the generation, read before the row is
                args += to_text(verifier.find(key_id))
                reply = script(keys=keys, args=args)
        except RedisError:
            counter.storage_failed()
            return self.local.admit(presented, address)
        counter.storage_answered()
        if reply[0] == b"ok":
            _, granted, count, oldest, touched, own_count, own_oldest, *values = reply
            key = from_text(values)
            items = [self._limits[key.role]]
            windows = [stats(items[0], now, count, oldest)]
            if key.rate_limit:
                items.append(parse_rate_limit(key.rate_limit))
                windows.append(stats(items[1], now, int(own_count), own_oldest))
            allowed = granted == 1
            _, headers, own = describe(items, windows, allowed, key.rate_limit)
            # Admitted under a fallback: its verifier under the current secret is args[0],
            # written once the answer has gone (app/api/bookkeeping.py), not while it waits.
            renew = args[0] if self.renewing and key.verifier != args[0] else None
            return Admission(key, allowed, headers, allowed and touched == 1, own, renew)
        if reply[0] == b"address_not_allowed":
            raise AddressNotAllowed(from_text(reply[1:]), address)
        if reply[0] in REFUSALS:
            raise KeyRejected(reply[0].decode(), key_pk=int(reply[1]), key_id=key_id)
        # b"unverified": no verifier under a known secret; bcrypt decides, once.
        record = verifier.find(key_id)
        key = verifier.verify_record(
            presented,
            record,
            lambda key_id, last: self.throttle.take_check(address, key_id, last),
            address=address,
        )
        return self.local.charge(key)

    def warm_up(self) -> None:
        """Open the database and Redis connections and load admit.lua into Redis."""
        self.local.warm_up()
        script = self.prepare()
        script.registered_client.script_load(script.script)

    def prepare(self) -> Script:
        """admit.lua, registered with the storage's Redis client (redis-py sends EVALSHA)."""
        self._script = self.records.client().register_script(self.text)
        return self._script


def admit_script(
    records: RecordCache,
    windows: RedisWindows,
    limits: Mapping[str, RateLimitItem],
    fallbacks: int = 0,
) -> str:
    """admit.lua, after the constants it reads (from ``KeyRecord`` and the settings).

    ``fallbacks``: how many verifiers under fallback secrets each call passes.
    """
    budgets = []
    for role, limit in limits.items():
        head, tail = windows.name_around(SCOPE, limit)
        budget = [
            lua_string(head + OWNER),
            lua_string(tail),
            str(limit.amount),
            str(limit.get_expiry()),
        ]
        budgets.append(f"[{lua_string(role)}] = {{{', '.join(budget)}}}")
    constants = {
        "FIELDS": _lua_list(field.name for field in FIELDS),
        "KEY_FIELDS": _lua_list(KEY_FIELDS),
        "OWNER_FIELDS": _lua_list(OWNER_FIELDS),
        "USERS": lua_string(records.user_name("")),
        "GENERATION": lua_string(records.generation),
        "SEQUENCE": lua_string(windows.sequence),
        "KEY_BUDGET": lua_string(windows.name_around(SCOPE, next(iter(limits.values())))[0] + KEY),
        "BUDGETS": "{" + ", ".join(budgets) + "}",
        "RECORD_SECONDS": str(RECORD_SECONDS),
        "TOUCH_SECONDS": str(int(TOUCH_SECONDS)),
        "TAG_LENGTH": str(TAG_LENGTH),
        "FALLBACKS": str(fallbacks),
    }
    header = "".join(f"local {name} = {value}\n" for name, value in constants.items())
    return header + WINDOW_LUA + ADMIT_LUA


def lua_string(text: str) -> str:
    """``text`` as a Lua string literal: its UTF-8 bytes, all but letters and digits escaped.

    Byte by byte, as redis-py encodes the names Python writes, so both spell a key alike.
    """
    escaped = (chr(b) if chr(b).isalnum() and b < 128 else f"\\{b:03d}" for b in text.encode())
    return '"' + "".join(escaped) + '"'


def _lua_list(names: Iterable[str]) -> str:
    return "{" + ", ".join(lua_string(name) for name in names) + "}"


def redis_gate(app: Flask, local: LocalGate, counter: LimitCounter) -> RedisGate:
    """``app``'s Redis gate, its budgets in our window, and the receivers of its changes."""
    prefix = app.config["RATELIMIT_KEY_PREFIX"]

    def client() -> Redis:
        # The storage admit.lua runs on (app/api/key_hook.py picks this gate only for it).
        storage = cast(RedisStorage, counter.storage)
        return cast(Redis, storage.get_connection())

    records = RecordCache(client, prefix)
    windows = RedisWindows(client, prefix)
    local = LocalGate(local.verifier, local.throttle, ApiBudget(counter, windows))
    local.verifier.on_verifier_written = records.drop_key
    # Before the commit: no tombstone, no change. After it: cache the new state afresh.
    signals.key_changing.connect(lambda _, key_id: records.tombstone_key(key_id), app)
    signals.user_changing.connect(lambda _, user_id: records.tombstone_user(user_id), app)
    signals.key_changed.connect(lambda _, key_id: records.drop_key(key_id), app)
    signals.user_changed.connect(lambda _, user_id: records.drop_user(user_id), app)
    return RedisGate(local, counter, records, windows, app.config["ROLE_RATE_LIMITS"])
