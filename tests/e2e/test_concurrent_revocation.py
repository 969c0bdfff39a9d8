"""Keys created and revoked while other threads use them, on 4 gunicorn workers.

People create keys in the console over HTTP, use each one, revoke most of them (in the
console, through the API with another of their keys, or as an admin), while other threads
keep calling the API with every key seen so far. Every call is timed on the test's clock,
so the claim can be checked exactly: a request sent after its key's revoke returned got
401, whichever worker served it; a request answered before the revoke was sent got 200;
nothing answered 500; and every key and every revoke is in the database afterwards.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import pytest
import requests
from e2e_support import (
    POSTGRES_ONLY,
    SQLITE_ONLY,
    TIMEOUT,
    UNLIMITED_ENV,
    ConsoleClient,
    Timed,
    key_header,
    key_id_of,
    run_concurrently,
    server_log_errors,
    timed_call,
)

pytestmark = [pytest.mark.gunicorn, pytest.mark.redis]


@dataclass
class Ledger:
    """What the test's threads did, on the test's monotonic clock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: dict[str, str] = field(default_factory=dict)  # key id -> full key
    owners: dict[str, str] = field(default_factory=dict)  # key id -> owner's email
    revoke_sent: dict[str, float] = field(default_factory=dict)
    revoke_done: dict[str, float] = field(default_factory=dict)
    calls: list[Timed] = field(default_factory=list)
    finished: threading.Event = field(default_factory=threading.Event)

    def created(self, key_id: str, key: str, email: str) -> None:
        """Note a new key; the hammering threads pick it up from now on."""
        with self.lock:
            self.keys[key_id] = key
            self.owners[key_id] = email

    def revoked(self, key_id: str, sent: float, done: float) -> None:
        """Note when the revoke of ``key_id`` was sent and when its answer came back."""
        with self.lock:
            self.revoke_sent[key_id] = sent
            self.revoke_done[key_id] = done

    def record(self, call: Timed) -> None:
        """Keep one timed API call for the final checks."""
        with self.lock:
            self.calls.append(call)

    def any_key(self, rng: random.Random) -> str | None:
        """A key seen so far, active or revoked."""
        with self.lock:
            return rng.choice(list(self.keys.values())) if self.keys else None


@dataclass
class Person:
    """A user, their signed-in console and a key of theirs that is never revoked."""

    email: str
    password: str
    console: ConsoleClient
    manager_key: str


class Scenario:
    """The create, use, revoke and hammer threads against one server."""

    def __init__(self, base_url: str, admin_key: str, revoke_ways: tuple[str, ...]) -> None:
        self.base_url = base_url
        self.admin_key = admin_key
        self.revoke_ways = revoke_ways
        self.ledger = Ledger()

    def call(self, http: requests.Session, key: str, *, method: str = "GET") -> Timed:
        """Call the API with ``key`` and record the call."""
        path = "/api/me" if method == "GET" else "/api/endpoint"
        record, _ = timed_call(http, method, self.base_url + path, key)
        self.ledger.record(record)
        return record

    def revoke(self, http: requests.Session, person: Person, key_id: str, how: str) -> None:
        """Revoke ``key_id`` one of the ways a user or admin can; check the answer."""
        if how in {"console", "console-htmx"}:
            response = person.console.revoke_key(key_id, htmx=how == "console-htmx")
            assert response.status_code == (200 if how == "console-htmx" else 302)
            return
        if how == "api":
            url, key = f"{self.base_url}/api/keys/{key_id}/revoke", person.manager_key
        else:
            url, key = f"{self.base_url}/api/admin/keys/{key_id}/revoke", self.admin_key
        response = http.post(url, headers=key_header(key), timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "revoked"

    def create_use_revoke(self, person: Person, names: list[str]) -> None:
        """One person's tab: for each name create a key, use it, revoke most of them."""
        with requests.Session() as http:
            for number, name in enumerate(names):
                key_id, key = person.console.create_key(name, htmx=number % 2 == 0)
                self.ledger.created(key_id, key, person.email)
                assert self.call(http, key, method="POST").status == 200
                how = self.revoke_ways[number % len(self.revoke_ways)]
                if how == "keep":
                    continue
                sent = time.monotonic()
                self.revoke(http, person, key_id, how)
                self.ledger.revoked(key_id, sent, time.monotonic())
                record = self.call(http, key)
                assert (record.status, record.code) == (401, "invalid_api_key")

    def hammer(self, seed: int) -> None:
        """Call the API with random known keys until the people are done."""
        rng = random.Random(seed)
        with requests.Session() as http:
            while not self.ledger.finished.is_set():
                key = self.ledger.any_key(rng)
                if key is None:
                    time.sleep(0.01)
                    continue
                self.call(http, key, method=rng.choice(["GET", "POST"]))

    def run(self, tabs: list[tuple[Person, list[str]]], hammers: int) -> None:
        """Run every tab and the hammering threads at once; re-raise any thread's failure."""

        def tab(person: Person, names: list[str]):
            def run_tab() -> None:
                try:
                    self.create_use_revoke(person, names)
                finally:
                    with self.ledger.lock:
                        self.pending -= 1
                        if self.pending == 0:
                            self.ledger.finished.set()

            return run_tab

        self.pending = len(tabs)
        calls = [tab(person, names) for person, names in tabs]
        calls += [lambda seed=seed: self.hammer(seed) for seed in range(hammers)]
        run_concurrently(calls, threads=len(calls))

    def check_timeline(self) -> Counter:
        """Every call's answer against the revoke times; return how the calls fell."""
        ledger = self.ledger
        seen = Counter()
        for call in ledger.calls:
            done = ledger.revoke_done.get(call.key_id)
            sent = ledger.revoke_sent.get(call.key_id)
            if done is not None and call.sent > done:
                assert (call.status, call.code) == (401, "invalid_api_key"), call
                seen["after revoke"] += 1
            elif sent is None or call.answered < sent:
                assert (call.status, call.code) == (200, None), call
                seen["before revoke"] += 1
            else:
                # In flight while the revoke was: served before it took effect, or after.
                assert (call.status, call.code) in {(200, None), (401, "invalid_api_key")}, call
                seen["during revoke"] += 1
        return seen


def sign_in_people(server_url: str, factory, count: int) -> list[Person]:
    """Make ``count`` users, each signed in to the console and holding a manager key."""
    people = []
    for _ in range(count):
        user = factory.user()
        _, manager_key = factory.key(user, "Manager")
        console = ConsoleClient(server_url)
        console.login(user.email, user.password)
        people.append(Person(user.email, user.password, console, manager_key))
    return people


def tabs_for(people: list[Person], tabs_per_person: int, keys_per_tab: int):
    """Give each person several tabs (their own connections, one session), each with names."""
    tabs = []
    for person in people:
        for tab in range(tabs_per_person):
            console = person.console if tab == 0 else person.console.fork()
            names = [f"{person.email} tab {tab} key {n}" for n in range(keys_per_tab)]
            tabs.append((Person(person.email, person.password, console, person.manager_key), names))
    return tabs


def close_tabs(tabs: list[tuple[Person, list[str]]]) -> None:
    """Close every tab's connections."""
    for person, _ in tabs:
        person.console.close()


def check_nothing_lost(scenario: Scenario, people: list[Person], admin_key: str) -> None:
    """Every created key is listed, for its owner and the admin, with its revoke recorded."""
    ledger = scenario.ledger
    with requests.Session() as http:
        response = http.get(
            f"{scenario.base_url}/api/admin/keys", headers=key_header(admin_key), timeout=TIMEOUT
        )
        assert response.status_code == 200
        listed = {key["id"]: key for key in response.json()["keys"]}
        for key_id, email in ledger.owners.items():
            assert key_id in listed, f"key {key_id} of {email} was lost"
            entry = listed[key_id]
            assert entry["user"]["email"] == email
            if key_id in ledger.revoke_done:
                assert entry["status"] == "revoked", entry
                assert datetime.fromisoformat(entry["revoked_at"]).tzinfo is not None
            else:
                assert entry["status"] == "active", entry
                assert entry["revoked_at"] is None
        for person in people:
            response = http.get(
                f"{scenario.base_url}/api/keys",
                headers=key_header(person.manager_key),
                timeout=TIMEOUT,
            )
            assert response.status_code == 200
            mine = {key["id"] for key in response.json()["keys"]}
            expected = {k for k, email in ledger.owners.items() if email == person.email}
            assert mine == expected | {key_id_of(person.manager_key)}
            # Listed, never shown again: no full key and no hash in the list.
            assert "key_hash" not in response.text and "$2b$" not in response.text
            for key_id in expected:
                assert ledger.keys[key_id] not in response.text


def run_scenario(gunicorn, database_url, factory, redis_url, *, people, revoke_ways, hammers):
    """Four workers on Redis; people create and revoke keys in tabs while others hammer."""
    admin = factory.user(role="admin")
    _, admin_key = factory.key(admin, "Admin")
    server = gunicorn(
        database_url, workers=4, env={"FLASK_RATELIMIT_STORAGE_URI": redis_url, **UNLIMITED_ENV}
    )
    signed_in = sign_in_people(server.url, factory, people)
    scenario = Scenario(server.url, admin_key, revoke_ways=revoke_ways)
    tabs = tabs_for(signed_in, tabs_per_person=2, keys_per_tab=5)
    try:
        scenario.run(tabs, hammers=hammers)
    finally:
        close_tabs(tabs)
    return server, signed_in, scenario, admin_key


@POSTGRES_ONLY
def test_revocation_under_load_on_postgresql(gunicorn, database_url, factory, redis_url):
    server, people, scenario, admin_key = run_scenario(
        gunicorn,
        database_url,
        factory,
        redis_url,
        people=3,
        revoke_ways=("console", "api", "admin", "console-htmx", "keep"),
        hammers=4,
    )
    seen = scenario.check_timeline()
    assert len(scenario.ledger.keys) == 30
    assert len(scenario.ledger.revoke_done) == 24
    # The claim was really put to the test: beyond each tab's own call right after each
    # revoke (24), the hammering threads used keys already revoked, on any worker.
    assert seen["after revoke"] >= 24 + 10, seen
    assert seen["before revoke"] >= 30, seen
    check_nothing_lost(scenario, people, admin_key)
    assert not server_log_errors(server.log()), server.log()[-5000:]


@SQLITE_ONLY
def test_fifty_concurrent_creates_and_revokes_on_sqlite(gunicorn, database_url, factory, redis_url):
    server, people, scenario, admin_key = run_scenario(
        gunicorn,
        database_url,
        factory,
        redis_url,
        people=5,
        revoke_ways=("console", "keep", "console-htmx"),
        hammers=2,
    )
    seen = scenario.check_timeline()
    assert len(scenario.ledger.keys) == 50
    assert len(scenario.ledger.revoke_done) == 30
    assert seen["after revoke"] >= 30 + 10, seen
    check_nothing_lost(scenario, people, admin_key)
    # The console shows each person every key of theirs, revoked ones as revoked.
    with ConsoleClient(server.url) as console:
        person = people[0]
        console.login(person.email, person.password)
        page = console.keys_page()
    for key_id, email in scenario.ledger.owners.items():
        if email == person.email:
            state = "revoked" if key_id in scenario.ledger.revoke_done else "active"
            assert f'id="key-{key_id}" class="key-row key-{state}"' in page
    log = server.log()
    assert "database is locked" not in log
    assert not server_log_errors(log), log[-5000:]
