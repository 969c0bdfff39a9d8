"""Keys found in public: GitHub's signed reports, the public revoke endpoint, the owner told."""

from __future__ import annotations

import hashlib
import json

import pytest

from app import create_app
from app.config_checks import problems
from app.keys.format import checksum, generate_key

from support.apps import BASE_CONFIG, dispose_engines
from support.databases import empty_postgres
from support.factory import Factory
from support.mail import outbox
from support.secret_scanning import Signer, report

GITHUB = "/api/leaks/github"
REVOKE = "/api/keys/revoke-leaked"
SIGNER = Signer()
MADE_UP = "ck_thisIsNotAKey_0123456789abcdefghijklmnopqrstuvwxyz"


@pytest.fixture
def config_overrides() -> dict:
    return {
        "SECRET_SCANNING_PUBLIC_KEYS": SIGNER.config(),
        "PUBLIC_URL": "https://keys.example.com",
    }


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def send_report(client, body: bytes, signer: Signer = SIGNER):
    return client.post(GITHUB, data=body, headers=signer.headers(body))


def works(client, key: str) -> bool:
    return client.get("/api/me", headers={"X-API-Key": key}).status_code == 200


def leaked_events(client, admin_key: str) -> list[dict]:
    answer = client.get("/api/admin/audit?action=key.leaked", headers={"X-API-Key": admin_key})
    return answer.json["events"]


def test_a_signed_report_labels_each_token_and_revokes_the_genuine_key(app, client, factory):
    owner = factory.user("ada@example.com")
    key_id, key = factory.key(owner, "Deploy bot")
    admin_key = factory.key(factory.user("root@example.com", role="admin"))[1]
    body = report(key, MADE_UP, url="https://github.com/octo/repo/blob/main/settings.py")

    answer = send_report(client, body)

    assert answer.status_code == 200
    assert answer.json == [
        {"token_hash": sha256(key), "token_type": "chameleon_api_key", "label": "true_positive"},
        {"token_hash": sha256(MADE_UP), "token_type": "chameleon_api_key",
         "label": "false_positive"},
    ]  # fmt: skip
    refused = client.get("/api/me", headers={"X-API-Key": key})
    assert refused.status_code == 401
    (event,) = leaked_events(client, admin_key)
    assert event["target"] == f"key:{key_id}"
    assert event["details"]["url"] == "https://github.com/octo/repo/blob/main/settings.py"
    assert event["details"]["source"] == "content"
    assert event["details"]["revoked"] is True
    (mail,) = [m for m in outbox(app) if m.to == "ada@example.com"]
    assert "Deploy bot" in mail.subject
    assert "settings.py" in mail.body
    assert f"https://keys.example.com/en/api-keys/{key_id}" in mail.body
    assert key not in mail.body and key not in mail.subject


def test_a_report_signed_by_another_key_is_refused_and_changes_nothing(client, factory):
    owner = factory.user()
    _, key = factory.key(owner)
    body = report(key)

    answer = send_report(client, body, Signer(identifier=SIGNER.identifier))

    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "invalid_signature"
    assert works(client, key)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"GITHUB-PUBLIC-KEY-IDENTIFIER": SIGNER.identifier},
        {"GITHUB-PUBLIC-KEY-IDENTIFIER": "unknown", "GITHUB-PUBLIC-KEY-SIGNATURE": "AAAA"},
        {"GITHUB-PUBLIC-KEY-IDENTIFIER": SIGNER.identifier, "GITHUB-PUBLIC-KEY-SIGNATURE": "%%"},
    ],
    ids=["unsigned", "no-signature", "unknown-identifier", "not-base64"],
)
def test_an_unsigned_or_garbled_report_is_refused(client, factory, headers):
    _, key = factory.key(factory.user())
    answer = client.post(GITHUB, data=report(key), headers=headers)
    assert answer.status_code == 401
    assert answer.json["error"]["code"] == "invalid_signature"
    assert works(client, key)


def test_a_body_changed_after_signing_is_refused(client, factory):
    _, key = factory.key(factory.user())
    signed = report(MADE_UP)
    answer = client.post(GITHUB, data=report(key), headers=SIGNER.headers(signed))
    assert answer.status_code == 401
    assert works(client, key)


@pytest.mark.parametrize(
    "body", [b"{not json", b'{"token": "x"}', b'[{"type": "x"}]', b"[1]"],
    ids=["not-json", "not-a-list", "no-token", "not-an-object"],
)  # fmt: skip
def test_a_signed_report_that_is_not_the_format_is_a_400(client, body):
    answer = send_report(client, body)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "bad_request"


def test_a_second_report_of_the_same_key_tells_the_owner_once(app, client, factory):
    owner = factory.user("ada@example.com")
    _, key = factory.key(owner)
    for _ in range(2):
        assert send_report(client, report(key)).json[0]["label"] == "true_positive"
    assert len([m for m in outbox(app) if m.to == "ada@example.com"]) == 1


def test_under_notify_a_leaked_key_keeps_working_and_its_owner_is_told(app, client, factory):
    app.config["LEAKED_KEY_ACTION"] = "notify"
    owner = factory.user("ada@example.com")
    _, key = factory.key(owner, "Flagged")
    admin_key = factory.key(factory.user("root@example.com", role="admin"))[1]

    assert send_report(client, report(key)).json[0]["label"] == "true_positive"

    assert works(client, key)
    (event,) = leaked_events(client, admin_key)
    assert event["details"]["revoked"] is False
    (mail,) = [m for m in outbox(app) if m.to == "ada@example.com"]
    assert "still works" in mail.body


def test_the_owner_sees_the_leak_in_the_console(client, factory, auth):
    owner = factory.user("ada@example.com")
    key_id, key = factory.key(owner, "Deploy bot")
    send_report(client, report(key, url="https://github.com/octo/repo/blob/main/leak.py"))
    auth.login(owner)
    page = client.get("/en/api-keys").get_data(as_text=True)
    assert "found in public" in page
    assert "https://github.com/octo/repo/blob/main/leak.py" in page
    key_page = client.get(f"/en/api-keys/{key_id}").get_data(as_text=True)
    assert "https://github.com/octo/repo/blob/main/leak.py" in key_page


def test_revoke_leaked_revokes_genuine_keys_and_answers_the_same_for_junk(app, client, factory):
    owner = factory.user("ada@example.com")
    _, key = factory.key(owner)
    admin_key = factory.key(factory.user("root@example.com", role="admin"))[1]

    genuine = client.post(REVOKE, json={"keys": [key, "junk"]})
    junk = client.post(REVOKE, json={"keys": [generate_key().value, "junk"]})

    assert (genuine.status_code, genuine.json) == (202, {"received": 2})
    assert (junk.status_code, junk.json) == (202, {"received": 2})
    assert not works(client, key)
    (event,) = leaked_events(client, admin_key)
    assert event["details"]["source"] == "report"
    assert [m.to for m in outbox(app)] == ["ada@example.com"]


def test_revoke_leaked_revokes_even_where_github_reports_only_notify(app, client, factory):
    app.config["LEAKED_KEY_ACTION"] = "notify"
    _, key = factory.key(factory.user("ada@example.com"))
    assert client.post(REVOKE, json={"keys": [key]}).status_code == 202
    assert not works(client, key)


def test_revoke_leaked_takes_at_most_100_keys(client):
    answer = client.post(REVOKE, json={"keys": ["x"] * 101})
    assert answer.status_code == 400
    assert answer.json["error"]["message"].startswith("keys: ")


def test_revoke_leaked_is_limited_per_address(app, client):
    app.config["REVOKE_LEAKED_RATE_LIMIT"] = "2 per minute"
    answers = [client.post(REVOKE, json={"keys": []}) for _ in range(3)]
    assert [a.status_code for a in answers] == [202, 202, 429]
    refused = answers[-1]
    assert refused.json["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers.getlist("X-RateLimit-Limit") == ["2"]
    assert answers[0].headers["X-RateLimit-Remaining"] == "1"
    other = client.post(REVOKE, json={"keys": []}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert other.status_code == 202


def test_neither_endpoint_asks_for_a_key(client):
    assert client.post(REVOKE, json={"keys": []}).status_code == 202
    assert "X-RateLimit-Limit" in client.post(REVOKE, json={"keys": []}).headers
    assert send_report(client, json.dumps([]).encode()).json == []


@pytest.mark.redis
def test_on_postgresql_and_redis_a_reported_key_is_refused_by_every_worker(postgres_url, redis_url):
    empty_postgres(postgres_url)
    config = {
        **BASE_CONFIG,
        "SQLALCHEMY_DATABASE_URI": postgres_url,
        "RATELIMIT_STORAGE_URI": redis_url,
        "SECRET_SCANNING_PUBLIC_KEYS": SIGNER.config(),
    }
    workers = [create_app(config) for _ in range(2)]
    try:
        serving, reported_to = (worker.test_client() for worker in workers)
        _, key = Factory(workers[0]).key(Factory(workers[0]).user())
        assert works(serving, key)  # its record is cached in Redis now
        assert send_report(reported_to, report(key)).json[0]["label"] == "true_positive"
        assert serving.get("/api/me", headers={"X-API-Key": key}).status_code == 401
    finally:
        for worker in workers:
            dispose_engines(worker)


def test_config_check_names_a_bad_secret_scanning_key():
    problems_found = problems(
        {
            "SECRET_SCANNING_PUBLIC_KEYS": {"abc": "not a pem"},
            "LEAKED_KEY_ACTION": "delete",
            "PUBLIC_URL": "keys.example.com",
        }
    )
    assert set(problems_found) == {
        "SECRET_SCANNING_PUBLIC_KEYS",
        "LEAKED_KEY_ACTION",
        "PUBLIC_URL",
    }
    assert problems({"SECRET_SCANNING_PUBLIC_KEYS": SIGNER.config()}) == {}


def test_revoke_leaked_still_answers_while_the_limiter_storage_is_away(database_url):
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
        }
    )
    try:
        answer = app.test_client().post(REVOKE, json={"keys": ["junk"]})
    finally:
        dispose_engines(app)
    assert (answer.status_code, answer.json) == (202, {"received": 1})


def test_a_disabled_key_reported_as_leaked_is_revoked_so_enabling_it_cannot_bring_it_back(
    app, client, factory
):
    from app.keys.changes import disable_key, enable_key

    owner = factory.user("ada@example.com")
    key_id, key = factory.key(owner, "Paused")
    factory.app_call(disable_key, key_id, owner_id=None)

    assert send_report(client, report(key)).json[0]["label"] == "true_positive"

    assert [m.to for m in outbox(app)] == ["ada@example.com"]
    with pytest.raises(Exception, match="revoked"):
        factory.app_call(enable_key, key_id, owner_id=None)
    assert not works(client, key)


def test_revoke_leaked_spends_the_failed_check_budget_on_keys_only_bcrypt_can_tell(
    client, factory, bcrypt_calls
):
    # Guesses at a key that still needs bcrypt cost a check each: through this endpoint as
    # through X-API-Key, or 100 keys a request would buy 100 bcrypt checks unbudgeted.
    key_id, _ = factory.key(factory.user())
    factory.needs_bcrypt(key_id)
    guesses = []
    for _ in range(30):
        body = f"ck_{key_id}_{generate_key().value[16:-6]}"
        guesses.append(body + checksum(body))
    assert client.post(REVOKE, json={"keys": guesses}).status_code == 202
    assert len(bcrypt_calls) == 10  # FAILED_KEY_RATE_LIMIT_PER_KEY: 10 per minute
