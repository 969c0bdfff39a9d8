"""The gate for PostgreSQL + Redis: one Redis round trip admits a request.

``admit.lua`` reads the key's cached record and its owner's (app/api/gate/records.py),
compares the presented key's verifier, checks revocation, the owner's active flag and
expiry, charges the owner's budget with limits' own moving-window scripts, and says
whether this minute's use is yet to be recorded, all in one ``EVALSHA``. The database is
read only when a record is missing or a tombstone says it just changed (then the script
runs once more, with the row). A key without a verifier under the current secret goes
through ``LocalGate``'s bcrypt path once. While Redis does not answer, ``LocalGate``
serves alone, counting the budgets in memory.

Against reading the row and then charging the budget with limits' calls (three round
trips), this is the PostgreSQL + Redis goal in make bench; see docs/performance.md.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from limits import WindowStats
from redis.commands.core import Script
from redis.exceptions import RedisError

from app.api.gate import Admission
from app.api.gate.local import TOUCH_SECONDS, LocalGate
from app.api.gate.records import RECORD_SECONDS, RecordCache, given
from app.keys.verification import AuthenticatedKey, KeyRejected
from app.ratelimit import parse_limit, rate_limit_headers
from app.ratelimit.counter import LimitCounter

_LUA = Path(__file__).with_name("admit.lua")
REFUSALS = {b"revoked", b"inactive_user", b"wrong_secret", b"expired"}


class RedisGate:
    """Admit requests through ``admit.lua``; ``LocalGate`` when Redis cannot."""

    def __init__(
        self,
        local: LocalGate,
        counter: LimitCounter,
        records: RecordCache,
        role_limits: Mapping[str, str],
        key_prefix: str,
    ) -> None:
        self.local = local
        self.verifier = local.verifier
        self.throttle = local.throttle
        self.counter = counter
        self.records = records
        self._role_limits = dict(role_limits)
        self._key_prefix = key_prefix
        self._script: Script | None = None
        self._fixed: list[str] = []

    def admit(self, presented: str, address: str) -> Admission:
        """Admit ``presented`` from ``address``, or raise (see app/api/auth.py)."""
        if not self.counter.storage_up():
            return self.local.admit(presented, address)
        verifier = self.verifier
        key_id = verifier.key_id_of(presented)
        if key_id in verifier.unknown:
            raise KeyRejected("unknown")
        presented_verifier = verifier.secret.make(presented)
        try:
            reply = self._run(key_id, presented_verifier, None)
            if reply[0] in (b"miss", b"stale"):
                record = verifier.find(key_id)  # the database decides; unknown raises
                reply = self._run(key_id, presented_verifier, given(record))
        except RedisError:
            self.counter.storage_failed()
            return self.local.admit(presented, address)
        self.counter.storage_answered()
        return self._answer(reply, key_id, presented, address)

    def warm_up(self) -> None:
        """Open the database and Redis connections and load admit.lua into Redis."""
        self.local.warm_up()
        self._prepare()
        self._script.registered_client.script_load(self._script.script)

    def _answer(self, reply: list, key_id: str, presented: str, address: str) -> Admission:
        status = reply[0]
        if status == b"ok":
            _, acquired, oldest, count, touched, pk, uid, name, email, role, access = reply
            role = role.decode()
            item = parse_limit(self._role_limits[role])
            expiry = item.get_expiry()
            reset = float(oldest) + expiry if oldest else time.time() + expiry
            stats = WindowStats(reset, item.amount - int(count))
            allowed = bool(acquired)
            headers = rate_limit_headers(item, stats, refused=not allowed)
            key = AuthenticatedKey(
                int(pk), key_id, name.decode(), int(uid), email.decode(), role, access.decode()
            )
            return Admission(key, allowed, headers, allowed and bool(touched))
        if status in REFUSALS:
            raise KeyRejected(status.decode(), key_pk=int(reply[1]), key_id=key_id)
        # b"unverified": no verifier under the current secret; bcrypt decides, once.
        record = self.verifier.find(key_id)
        key = self.verifier.verify_record(
            presented, record, lambda key_id: self.throttle.take_check(address, key_id)
        )
        return self.local.charge(key)

    def _run(self, key_id: str, presented_verifier: str, row: list[str] | None) -> list:
        if self._script is None:
            self._prepare()
        args = [
            self.records.user_prefix,
            presented_verifier,
            repr(time.time()),
            self.records.touch_name(key_id),
            int(TOUCH_SECONDS),
            RECORD_SECONDS,
            *self._fixed,
            *(row or ()),
        ]
        # redis-py sends EVALSHA, and EVAL once when Redis does not know the script (first
        # use, a restart, SCRIPT FLUSH).
        return self._script(keys=[self.records.key_name(key_id)], args=args)

    def _prepare(self) -> None:
        """admit.lua (with limits' scripts pasted in) and the per-role arguments."""
        storage = self.counter.storage
        text = (
            _LUA.read_text()
            .replace(
                "--[[ limits: acquire_moving_window.lua ]]",
                _text(storage.lua_acquire_moving_window.script),
            )
            .replace("--[[ limits: moving_window.lua ]]", _text(storage.lua_moving_window.script))
        )
        fixed: list[str] = [str(len(self._role_limits))]
        for role, limit in self._role_limits.items():
            item = parse_limit(limit)
            name = storage.prefixed_key(item.key_for(self._key_prefix, "api", "user:\x00"))
            head, tail = name.split("\x00")
            fixed += [role, head, tail, str(item.amount), str(item.get_expiry())]
        self._script = storage.get_connection().register_script(text)
        self._fixed = fixed


def _text(script: str | bytes) -> str:
    # redis-py keeps a registered script as it was given; limits gives it bytes.
    return script.decode() if isinstance(script, bytes) else script
