"""Example answers, shown in /openapi.json and /docs (a test holds each to its schema)."""

from __future__ import annotations

KEY_ID = "pu3PIUFLujWU"
USER = {"id": 42, "email": "ada@example.com"}

ECHO = {
    "ok": True,
    "user": {**USER, "role": "premium"},
    "key": {"id": KEY_ID, "name": "Mobile App"},
    "received": {"key": "value"},
}
ME = {**USER, "role": "premium", "rate_limit": "500 per minute"}

KEY = {
    "id": KEY_ID,
    "name": "Mobile App",
    "description": "Orders from the iOS and Android apps.",
    "prefix": f"ck_{KEY_ID[:8]}",
    "created_at": "2026-11-02T09:14:03.512044+00:00",
    "last_used_at": "2026-11-29T17:40:11.020931+00:00",
    "last_used_ip": "203.0.113.7",
    "status": "active",
    "revoked_at": None,
    "expires_at": None,
    "access": "restricted",
    "permissions": {"endpoint": "write", "keys": "read", "audit": "none", "admin": "none"},
    "allowed_networks": ["203.0.113.0/24", "2001:db8::/32"],
    "rate_limit": "10 per minute",
    "replaced_by": None,
}
DISABLED_KEY = {**KEY, "status": "disabled"}
REVOKED_KEY = {**KEY, "status": "revoked", "revoked_at": "2026-11-30T08:00:00.000000+00:00"}
KEY_PAGE = {"keys": [KEY], "next_cursor": None}
OWNED_KEY_PAGE = {"keys": [{**KEY, "user": USER}], "next_cursor": None}

USAGE = {
    "key": KEY_ID,
    "days": [
        {"date": f"2026-11-{day:02d}", "requests": (day * 37) % 140, "refused": day % 4}
        for day in range(1, 31)
    ],
}

AUDIT_PAGE = {
    "events": [
        {
            "id": 1017,
            "at": "2026-11-30T08:00:00.000000+00:00",
            "action": "key.revoked",
            "actor": USER,
            "target": f"key:{KEY_ID}",
            "ip": "203.0.113.7",
            "user_agent": "curl/8.5.0",
            "details": {"name": "Mobile App"},
        }
    ],
    "next_cursor": "WzEwMTdd",
}

USER_ROW = {**USER, "role": "premium", "active": True, "created_at": "2026-10-01T12:00:00+00:00"}
USER_PAGE = {"users": [{**USER_ROW, "active_keys": 3}], "next_cursor": None}
USER_CHANGES = {
    "role": {"summary": "Change the role", "value": {"role": "premium"}},
    "deactivate": {"summary": "Deactivate", "value": {"active": False}},
}

# A key in the right shape with a right checksum, as someone might find one.
FOUND_KEY = "ck_pu3PIUFLujWU_Ta1sexDq8Z5mOy8cQnoFCs3Vhs7J2MrW12jEss"
LEAK_REPORT = [
    {
        "token": FOUND_KEY,
        "type": "chameleon_api_key",
        "url": "https://github.com/octo-org/octo-repo/blob/main/config.py#L3",
        "source": "content",
    }
]
LEAK_FINDINGS = [
    {
        "token_hash": "52d11a3814ebdb913182cbf7965d5da3942ccaa5f06ba0bd6f4fdf0214c1a3bc",
        "token_type": "chameleon_api_key",
        "label": "true_positive",
    }
]
REVOKE_LEAKED = {"keys": [FOUND_KEY]}
