"""Budgets by role, shared by a user's keys, and walls against guessing keys and passwords."""

from __future__ import annotations

import pytest

from app.keys.format import checksum, generate_key

from support.web import csrf_token


def me(client, key, **kwargs):
    return client.get("/api/me", headers={"X-API-Key": key}, **kwargs)


def spend(client, key, count):
    statuses = [me(client, key).status_code for _ in range(count)]
    assert statuses == [200] * count
    return statuses


@pytest.mark.parametrize(("role", "budget"), [("standard", 100), ("premium", 500), ("admin", 1000)])
def test_the_request_after_the_budget_is_429_until_the_window_moves(
    client, factory, clock, role, budget
):
    user = factory.user(role=role)
    _, key = factory.key(user)
    spend(client, key, budget)
    refused = me(client, key)
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert "Retry in" in refused.json["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["X-RateLimit-Limit"] == str(budget)
    assert refused.headers["X-RateLimit-Remaining"] == "0"

    clock.advance(30)
    assert me(client, key).status_code == 429  # a moving window: no reset at a boundary
    clock.advance(31)
    assert me(client, key).status_code == 200


def test_remaining_counts_down(client, factory):
    _, key = factory.key(factory.user())
    first, second = me(client, key), me(client, key)
    assert first.headers["X-RateLimit-Limit"] == "100"
    assert int(first.headers["X-RateLimit-Remaining"]) == 99
    assert int(second.headers["X-RateLimit-Remaining"]) == 98
    assert "Retry-After" not in first.headers  # only refusals say when to retry


def test_two_keys_of_one_user_share_the_budget(client, factory, clock):
    user = factory.user()
    _, first = factory.key(user, "first")
    _, second = factory.key(user, "second")
    spend(client, first, 60)
    spend(client, second, 40)
    assert me(client, first).status_code == 429
    assert me(client, second).status_code == 429


def test_other_users_are_not_affected(client, factory, clock):
    _, busy = factory.key(factory.user())
    _, calm = factory.key(factory.user())
    spend(client, busy, 100)
    assert me(client, busy).status_code == 429
    assert me(client, calm).status_code == 200


def test_promoting_a_user_raises_the_limit_on_the_next_request(client, factory, clock):
    user = factory.user()
    _, key = factory.key(user)
    spend(client, key, 100)
    assert me(client, key).status_code == 429
    factory.set_role(user, "premium")
    response = me(client, key)
    assert response.status_code == 200
    assert response.headers["X-RateLimit-Limit"] == "500"


def test_a_revoked_key_costs_its_owner_nothing(client, factory):
    user = factory.user()
    revoked_id, revoked = factory.key(user, "revoked")
    _, kept = factory.key(user, "kept")
    spend(client, revoked, 2)  # verified and remembered by now
    factory.revoke(revoked_id)
    assert me(client, revoked).status_code == 401
    assert me(client, revoked).status_code == 401
    assert int(me(client, kept).headers["X-RateLimit-Remaining"]) == 97


def wrong_secret_for(key_id: str) -> str:
    body = f"ck_{key_id}_{generate_key().value[16:-6]}"
    return body + checksum(body)


def guesses(client, factory, headers):
    """31 wrong secrets, spread over four real key ids."""
    ids = [factory.key(factory.user())[0] for _ in range(4)]
    for n in range(31):
        client.get("/api/me", headers={"X-API-Key": wrong_secret_for(ids[n % 4]), **headers(n)})


def test_wrong_secrets_from_an_address_hit_429_and_never_reach_bcrypt(
    client, factory, clock, bcrypt_calls
):
    key_id, _ = factory.key(factory.user())
    statuses = [me(client, wrong_secret_for(key_id)).status_code for _ in range(10)]
    other_id, _ = factory.key(factory.user())
    statuses += [me(client, wrong_secret_for(other_id)).status_code for _ in range(10)]
    third_id, _ = factory.key(factory.user())
    statuses += [me(client, wrong_secret_for(third_id)).status_code for _ in range(10)]
    assert statuses == [401] * 30
    refused = me(client, wrong_secret_for(third_id))
    assert refused.status_code == 429
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert bcrypt_calls == []  # a verifier tells a wrong secret from the key, no bcrypt
    clock.advance(61)
    assert me(client, wrong_secret_for(key_id)).status_code == 401


def test_malformed_unknown_and_revoked_keys_count_toward_no_budget(client, factory, clock):
    owner = factory.user()
    revoked_id, revoked = factory.key(owner, "old")
    factory.revoke(revoked_id)
    junk = ["x", "guess", generate_key().value, revoked]
    statuses = {me(client, junk[n % len(junk)]).status_code for n in range(100)}
    assert statuses == {401}
    # Another user's genuine keys, never used before, from the same address.
    other = factory.user()
    fresh = [factory.key(other, f"fresh {n}")[1] for n in range(5)]
    assert [me(client, key).status_code for key in fresh] == [200] * 5


def test_a_genuine_key_is_never_refused_for_its_addresses_failures(client, factory, clock):
    guesses(client, factory, lambda n: {})
    key_id, _ = factory.key(factory.user())
    assert me(client, wrong_secret_for(key_id)).status_code == 429  # guessing is throttled
    _, genuine = factory.key(factory.user())
    assert me(client, genuine).status_code == 200  # never used before, and no wait
    assert me(client, genuine).status_code == 200


def test_wrong_secrets_for_one_key_id_are_budgeted_across_addresses(
    client, factory, clock, bcrypt_calls
):
    key_id, key = factory.key(factory.user())
    factory.drop_verifier(key_id)  # a key from before verifiers: bcrypt would decide
    statuses = [
        me(client, wrong_secret_for(key_id), environ_base={"REMOTE_ADDR": f"127.0.0.{n}"})
        for n in range(10, 50)
    ]
    codes = [response.status_code for response in statuses]
    assert codes == [401] * 10 + [429] * 30  # FAILED_KEY_RATE_LIMIT_PER_KEY: 10 a minute
    assert len(bcrypt_calls) == 10  # 40 addresses bought no more than the key's budget
    # Its owner waits too, while the key has no verifier (once it has one, never again).
    assert me(client, key, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 429
    clock.advance(61)
    assert me(client, key, environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 200
    assert len(bcrypt_calls) == 11


def test_failures_are_counted_per_address(client, factory, clock):
    ids = [factory.key(factory.user())[0] for _ in range(4)]
    for n in range(31):
        me(client, wrong_secret_for(ids[n % 4]), environ_base={"REMOTE_ADDR": "10.0.0.1"})
    guess = wrong_secret_for(ids[0])
    assert me(client, guess, environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
    fresh_id = factory.key(factory.user())[0]
    other = me(client, wrong_secret_for(fresh_id), environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 401


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(client, factory, clock):
    guesses(client, factory, lambda n: {"X-Forwarded-For": f"192.0.2.{n}"})
    fresh_id = factory.key(factory.user())[0]
    spoofed = client.get(
        "/api/me",
        headers={"X-API-Key": wrong_secret_for(fresh_id), "X-Forwarded-For": "198.51.100.7"},
    )
    assert spoofed.status_code == 429  # every spoofed address was the same socket address


@pytest.mark.parametrize("config_overrides", [{"TRUSTED_PROXY_COUNT": 1}])
def test_x_forwarded_for_is_believed_from_a_trusted_proxy(client, factory, clock, config_overrides):
    guesses(client, factory, lambda n: {"X-Forwarded-For": "192.0.2.1"})
    fresh_id = factory.key(factory.user())[0]
    limited = client.get(
        "/api/me",
        headers={"X-API-Key": wrong_secret_for(fresh_id), "X-Forwarded-For": "192.0.2.1"},
    )
    assert limited.status_code == 429
    other = client.get(
        "/api/me",
        headers={"X-API-Key": wrong_secret_for(fresh_id), "X-Forwarded-For": "192.0.2.2"},
    )
    assert other.status_code == 401


def login_attempt(client, email, password="wrong password", address="127.0.0.1"):
    token = csrf_token(client)
    return client.post(
        "/en/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_five_wrong_passwords_from_one_address_get_429_there(client, factory, clock):
    user = factory.user("ada@example.com")
    statuses = [login_attempt(client, user.email).status_code for _ in range(5)]
    assert statuses == [422] * 5
    refused = login_attempt(client, user.email, password=user.password)
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.get_data(as_text=True)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another email from the same address is still fine.
    assert login_attempt(client, "other@example.com").status_code == 422
    clock.advance(61)
    assert login_attempt(client, user.email, password=user.password).status_code == 302


def test_a_stranger_cannot_lock_a_user_out(client, factory, clock):
    user = factory.user("ada@example.com")
    for _ in range(5):
        login_attempt(client, user.email, address="203.0.113.66")
    assert login_attempt(client, user.email, address="203.0.113.66").status_code == 429
    # The real user, from another address, right after.
    signed_in = login_attempt(client, user.email, password=user.password, address="192.0.2.10")
    assert signed_in.status_code == 302


def test_successful_sign_ins_cost_nothing(client, auth, factory, clock):
    user = factory.user("ada@example.com")
    for _ in range(8):
        assert login_attempt(client, user.email, password=user.password).status_code == 302
        auth.logout()
    statuses = [login_attempt(client, user.email).status_code for _ in range(5)]
    assert statuses == [422] * 5  # the five failures are all still allowed


def test_a_guessing_run_over_many_addresses_meets_429_but_not_the_usual_address(
    client, auth, factory, clock
):
    user = factory.user("ada@example.com")
    usual = "192.0.2.10"
    assert (
        login_attempt(client, user.email, password=user.password, address=usual).status_code == 302
    )
    auth.logout()
    # 50 wrong passwords, one from each of 50 addresses: under every per-address budget.
    statuses = [
        login_attempt(client, user.email, address=f"198.51.100.{n}").status_code for n in range(50)
    ]
    assert statuses == [422] * 50
    # The 51st guess, from yet another address: the per-email budget (50 an hour) says no.
    assert login_attempt(client, user.email, address="198.51.100.200").status_code == 429
    assert (
        login_attempt(client, user.email, password=user.password, address="203.0.113.5")
    ).status_code == 429  # a new address waits too
    # The user's own address is exempt, and the right password signs them in.
    signed_in = login_attempt(client, user.email, password=user.password, address=usual)
    assert signed_in.status_code == 302


def test_failed_sign_ins_per_address_over_the_budget_get_429(client, clock):
    statuses = [login_attempt(client, f"u{n}@example.com").status_code for n in range(20)]
    assert statuses == [422] * 20
    assert login_attempt(client, "u99@example.com").status_code == 429
    assert login_attempt(client, "u99@example.com", address="10.9.9.9").status_code == 422


def test_the_first_unknown_email_costs_no_extra_hash(app, client, monkeypatch):
    from app import hashing

    made = []
    monkeypatch.setattr(hashing, "hash_secret", lambda *a: made.append(a))
    assert login_attempt(client, "nobody@example.com").status_code == 422
    assert made == []  # the dummy hash was made when the app started


def test_a_route_limit_holds_on_pages_and_never_charges_the_api(app, client, factory):
    """Flask-Limiter checks every page as it registers itself; under /api it stands aside."""
    from flask import Blueprint

    from app.extensions import limiter

    _, key = factory.key(factory.user())
    for name, prefix in (("limited_page", "/limited"), ("limited_api", "/api/limited")):
        blueprint = Blueprint(name, __name__, url_prefix=prefix)
        blueprint.add_url_rule("/probe", "probe", lambda: {"ok": True})
        limiter.limit("2 per minute")(blueprint)
        app.register_blueprint(blueprint)

    pages = [client.get("/limited/probe").status_code for _ in range(3)]
    answers = [client.get("/api/limited/probe", headers={"X-API-Key": key}) for _ in range(3)]
    assert pages == [200, 200, 429]
    assert [answer.status_code for answer in answers] == [200] * 3
    # Only the key's own budget counted them, once each.
    assert [answer.headers["X-RateLimit-Remaining"] for answer in answers] == ["99", "98", "97"]
