"""The verifier-secret rotation figures: a fleet moved onto a new ``KEY_VERIFIER_SECRET``.

Follows the runbook (docs/operations.md, "Rotate KEY_VERIFIER_SECRET") on four workers with
PostgreSQL + Redis. 40 keys made under the old secret are used once on a fleet that has the
new secret as a fallback (step 2); that fleet is stopped and one on the new secret, the old
one as its fallback, starts (step 3): the latency of each key's first request there and the
fleet's bcrypt checks. Then, as mid-rollout, a host still on the old secret serves beside it
and every key alternates between the two: their bcrypt checks (none expected on either).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fixtures import Dataset
from restart import bcrypt_checks, check, first_requests
from servers import Server, start_server

KEYS = 40
WORKERS = 4
ALTERNATIONS = 2  # requests per key on each host, taking turns
# Throwaway secrets for this run only (at least 32 bytes, as the app requires).
OLD_SECRET = "benchmark verifier secret, the one in use so far"
NEW_SECRET = "benchmark verifier secret, the one rotated in now"


def measure_rotation(dataset: Dataset, redis_url: str, workdir: Path) -> dict[str, Any]:
    """Rotate the verifier secret under 40 keys; first requests after it, and bcrypt counts."""
    from app.extensions import db
    from app.keys import service
    from app.keys.hmac_verifier import VerifierSecret
    from app.models import User

    old = VerifierSecret(OLD_SECRET)
    with dataset.app.app_context():
        owner = db.session.scalars(db.select(User)).first()
        keys = [
            service.create_key(owner, f"rotation {n}", rounds=12, verifier=old, max_active=1000)[1]
            for n in range(KEYS)
        ]

    def serve(name: str, secret: str, fallback: str) -> Server:
        settings = {
            "FLASK_KEY_VERIFIER_SECRET": secret,
            "FLASK_KEY_VERIFIER_SECRET_FALLBACKS": json.dumps([fallback]),
        }
        return start_server(
            name, dataset.url, redis_url, workdir, None, workers=WORKERS, settings=settings
        )

    before = serve("rotation-step-2", OLD_SECRET, NEW_SECRET)
    try:
        for key in keys:
            check(before.get("/api/me", key))
    finally:
        before.stop()

    rotated = serve("rotation-step-3", NEW_SECRET, OLD_SECRET)
    try:
        first = first_requests(rotated, keys)
        bcrypt_after_rotation = bcrypt_checks(rotated)
        not_yet_restarted = serve("rotation-old-host", OLD_SECRET, NEW_SECRET)
        try:
            for _ in range(ALTERNATIONS):
                for key in keys:
                    check(rotated.get("/api/me", key))
                    check(not_yet_restarted.get("/api/me", key))
            bcrypt_alternating = bcrypt_checks(rotated) - bcrypt_after_rotation
            bcrypt_alternating += bcrypt_checks(not_yet_restarted)
        finally:
            not_yet_restarted.stop()
    finally:
        rotated.stop()
    return {
        "workers": WORKERS,
        "keys": KEYS,
        "first_request_after_rotation_ms": first,
        "bcrypt_checks_after_rotation": bcrypt_after_rotation,
        "alternating_requests": 2 * ALTERNATIONS * KEYS,
        "bcrypt_checks_alternating": bcrypt_alternating,
    }
