"""Paging through a list on a real gunicorn while rows are being added: each key exactly once.

The cursor names the last key of the page before, not an offset (app/paging.py), so keys
created meanwhile, newer than every key already listed, can neither repeat a key nor push
one off the next page.
"""

from __future__ import annotations

import threading

import pytest
import requests
from e2e_support import TIMEOUT, key_header, wait_for

pytestmark = [pytest.mark.gunicorn]

KEYS = 250
PAGE = 100
CAP = 10_000  # MAX_ACTIVE_KEYS_PER_USER for this test's user: it is not what is tested


def test_paging_250_keys_100_at_a_time_returns_each_once_while_keys_are_created(
    gunicorn, database_url, factory
):
    user = factory.user()
    caller_id, caller = factory.key(user, "caller", max_active=CAP)
    listed = {caller_id} | {
        factory.key(user, f"key {n}", max_active=CAP)[0] for n in range(KEYS - 1)
    }
    server = gunicorn(database_url)
    created: list[str] = []
    paging_done = threading.Event()

    def keep_creating() -> None:
        while not paging_done.is_set():
            created.append(factory.key(user, f"new {len(created)}", max_active=CAP)[0])

    creator = threading.Thread(target=keep_creating)
    creator.start()
    seen: list[str] = []
    sizes: list[int] = []
    try:
        cursor = None
        while True:
            # New keys land before every page, the first one included.
            wanted = 3 * (len(sizes) + 1)
            wait_for(lambda n=wanted: len(created) >= n, 30, "keys being created")
            page = requests.get(
                f"{server.url}/api/keys",
                params={"limit": PAGE, "cursor": cursor},
                headers=key_header(caller),
                timeout=TIMEOUT,
            )
            assert page.status_code == 200, page.text
            body = page.json()
            seen += [key["id"] for key in body["keys"]]
            sizes.append(len(body["keys"]))
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        paging_done.set()
        creator.join(timeout=30)

    assert len(seen) == len(set(seen)), "a key was listed twice"
    assert listed <= set(seen), "a key that existed all along was left out"
    # Anything else listed is a key made while paging (before the first page was read).
    assert set(seen) - listed <= set(created)
    # Full pages of 100 (250 keys and those made before the first page: 3 pages), then the rest.
    assert len(sizes) >= 3 and set(sizes[:-1]) == {PAGE} and 0 < sizes[-1] <= PAGE
