"""The kinds of request driven at the fleet, and driving one with wrk.

API keys are picked with a Zipf distribution (a few hot, most idle) over the valid keys of
1,000 callers drawn from the whole data set, so the hot owners meet their real role
budgets and get 429s; refusals mix unknown, revoked and expired keys and bad checksums;
console pages carry a signed-in session.

The API's traffic has the same shape at every size: as many callers, with about nine valid
keys each, the same ranks. Only the tables grow under it. A Zipf over all valid keys spread the
same requests over ever more owners as the data set grew, so fewer of them met a budget
(429s went from 47% of the answers at 10,000 keys to 29% at 1,000,000, and a 429 costs much
less than a 200): the CPU per request measured the traffic, not the data.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path
from string import Template

from dataset import ADMIN_ID, BUSIEST_OWNER_ID, Built
from fixtures import bad_checksum, unknown_keys

ZIPF_S = 1.1
SAMPLED = 4000  # requests prepared per kind; wrk cycles over them
CONNECTIONS = 8
ACTIVE_OWNERS = 1_000  # the API's callers at every size (the admin and the console's owner aside)


@dataclass
class Kind:
    """One kind of request: a name and the (path, headers) wrk cycles over."""

    name: str
    requests: list[tuple[str, dict[str, str]]]


def zipf_sample(keys: list[str], count: int, rng: random.Random) -> list[str]:
    """``count`` keys, key ``r`` (by rank) chosen in proportion to 1 / r ** ZIPF_S."""
    weights = list(itertools.accumulate(1 / (rank**ZIPF_S) for rank in range(1, len(keys) + 1)))
    return rng.choices(keys, cum_weights=weights, k=count)


def kinds(built: Built, user_cookie: str, admin_cookie: str, seed: int = 33) -> list[Kind]:
    """The kinds measured, in the order they run."""
    rng = random.Random(seed)
    owners = sorted(set(built.valid_owners) - {ADMIN_ID, BUSIEST_OWNER_ID})
    active = set(rng.sample(owners, min(ACTIVE_OWNERS, len(owners))))
    ranked = [key for key, owner in zip(built.valid, built.valid_owners, strict=True)
              if owner in active]  # fmt: skip
    api = [("/api/me", {"X-API-Key": key}) for key in zipf_sample(ranked, SAMPLED, rng)]
    refused_keys = (
        rng.sample(built.revoked, min(50, len(built.revoked)))
        + rng.sample(built.expired, min(50, len(built.expired)))
        + [bad_checksum(key) for key in built.valid[:50]]
        + unknown_keys(50)
    )
    rng.shuffle(refused_keys)
    refused = [("/api/me", {"X-API-Key": key}) for key in refused_keys]
    user = {"Cookie": user_cookie}
    admin = {"Cookie": admin_cookie}
    return [
        Kind("livez", [("/livez", {})]),
        Kind("api valid (Zipf)", api),
        Kind("api refused keys", refused),
        Kind("console key list", [("/en/api-keys", user)]),
        Kind("console key page", [(f"/en/api-keys/{built.key_of_owner}", user)]),
        Kind("console admin audit", [("/en/admin/audit", admin)]),
    ]


def drive(url: str, kind: Kind, seconds: int, workdir: Path) -> dict:
    """Run wrk on ``kind`` for ``seconds``; its requests, latencies and statuses."""
    entries = ", ".join(
        "{" + _lua(path) + ", {" + ", ".join(
            f"[{_lua(name)}] = {_lua(value)}" for name, value in headers.items()
        ) + "}}"
        for path, headers in kind.requests
    )  # fmt: skip
    template = Template((Path(__file__).parent / "traffic.lua").read_text())
    script = workdir / "traffic.lua"
    script.write_text(template.substitute(requests=entries))
    command = ["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{seconds}s", "-s", str(script),
               "--timeout", "10s", url]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_RESULT "))
    return json.loads(line.removeprefix("BENCH_RESULT "))


def _lua(text: str) -> str:
    return json.dumps(text)  # a JSON string of ASCII is a valid Lua string
