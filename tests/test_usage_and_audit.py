"""Per-key usage, where a key was last used from, new networks, and the hash-chained audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, update

from app.extensions import db
from app.models import AuditEvent

from support.web import AuthActions


def api(client, key, path="/api/me", headers=None, **kwargs):
    # buffered: read to the end and closed, as a server does before after-answer work.
    headers = {"X-API-Key": key, **(headers or {})}
    return client.get(path, headers=headers, buffered=True, **kwargs)


def flush(app):
    app.extensions["usage_counter"].flush()


def today(days):
    return next(day for day in days if day["date"] == datetime.now(UTC).date().isoformat())


@pytest.fixture
def ada(factory):
    return factory.user("ada@example.com")


def test_requests_and_refusals_are_counted_per_key_and_day(app, client, factory, ada):
    key_id, key = factory.key(ada)
    _, other = factory.key(ada, "other")
    for _ in range(7):
        assert api(client, key).status_code == 200
    flush(app)
    days = api(client, other, f"/api/keys/{key_id}/usage").json
    assert days["key"] == key_id
    assert len(days["days"]) == 30
    assert days["days"][0]["date"] < days["days"][-1]["date"]  # oldest first
    assert today(days["days"]) == {"date": today(days["days"])["date"], "requests": 7, "refused": 0}
    factory.revoke(key_id)
    for _ in range(3):
        assert api(client, key).status_code == 401
    flush(app)
    counted = today(api(client, other, f"/api/keys/{key_id}/usage").json["days"])
    assert counted["refused"] == 3
    assert counted["requests"] == 10


def test_usage_of_another_users_key_is_404(client, factory, ada):
    _, key = factory.key(ada)
    stranger_key_id, _ = factory.key(factory.user("eve@example.com"))
    assert api(client, key, f"/api/keys/{stranger_key_id}/usage").status_code == 404


def test_counts_from_two_processes_add_up(app, client, factory, ada, database_url):
    from app import create_app

    from support.apps import BASE_CONFIG, dispose_engines

    key_id, key = factory.key(ada)
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    try:
        for _ in range(4):
            api(client, key)
            api(other.test_client(), key)
        flush(app)
        flush(other)
    finally:
        dispose_engines(other)
    assert today(api(client, key, f"/api/keys/{key_id}/usage").json["days"])["requests"] >= 8


def test_last_used_shows_where_from(client, factory, ada):
    _, key = factory.key(ada)
    api(client, key, headers={"User-Agent": "deploy-bot/2.1"})
    listed = api(client, key, "/api/keys").json["keys"][0]
    assert listed["last_used_ip"] == "127.0.0.1"
    assert listed["last_used_at"] is not None


@pytest.mark.parametrize("config_overrides", [{"TRUSTED_PROXY_COUNT": 1}])
def test_a_new_network_is_recorded_once(app, client, factory, ada, config_overrides):
    key_id, key = factory.key(ada)
    for _ in range(3):
        api(client, key)  # its first network: where it lives, not news
    for _ in range(5):
        api(client, key, headers={"X-Forwarded-For": "203.0.113.7"})
    events = api(client, key, "/api/audit").json["events"]
    new_networks = [event for event in events if event["action"] == "key.new_network"]
    assert len(new_networks) == 1
    assert new_networks[0]["target"] == f"key:{key_id}"
    assert new_networks[0]["details"] == {"network": "203.0.113.0/24"}
    assert new_networks[0]["ip"] == "203.0.113.7"


def audit_of(client, key, path="/api/audit", **params):
    response = api(client, key, path, query_string=params)
    assert response.status_code == 200, response.json
    return response.json


def test_changes_leave_events_with_actor_and_address(app, client, runner, factory, auth):
    admin = factory.user("root@example.com", role="admin")
    _, admin_key = factory.key(admin)
    ada = factory.user("ada@example.com")
    auth.login(email=ada.email, password="not it")  # a failed sign-in
    auth.login(ada)  # a good one
    key_id, _ = factory.key(ada)
    rotated = runner.invoke(args=["keys", "rotate", key_id])
    new_id = rotated.stdout.splitlines()[-1][3:15]
    client.patch(f"/api/admin/users/{ada.id}", headers={"X-API-Key": admin_key},
                 json={"role": "premium"})  # fmt: skip
    client.post(f"/api/admin/keys/{new_id}/revoke", headers={"X-API-Key": admin_key})
    client.patch(f"/api/admin/users/{ada.id}", headers={"X-API-Key": admin_key},
                 json={"active": False})  # fmt: skip
    events = audit_of(client, admin_key, "/api/admin/audit", user=ada.id)["events"]
    by_action = {event["action"]: event for event in reversed(events)}
    assert {
        "user.created", "user.sign_in_failed", "user.signed_in", "key.created", "key.rotated",
        "user.role_changed", "key.revoked", "user.deactivated",
    } <= set(by_action)  # fmt: skip
    failed = by_action["user.sign_in_failed"]
    assert failed["actor"] == {"id": None, "email": ada.email} and failed["ip"] == "127.0.0.1"
    assert by_action["user.signed_in"]["actor"]["id"] == ada.id
    assert by_action["key.rotated"]["details"]["replaced_by"] == new_id
    assert by_action["key.rotated"]["actor"]["email"] == "cli"
    role = by_action["user.role_changed"]
    assert role["actor"] == {"id": admin.id, "email": admin.email}
    # The rotated key (in its grace period) and its replacement: two full keys.
    assert role["details"] == {"from": "standard", "to": "premium", "full_keys_gaining_power": 2}
    assert role["ip"] == "127.0.0.1"
    assert by_action["key.revoked"]["target"] == f"key:{new_id}"
    text = json.dumps(events)
    assert "correct horse" not in text and "not it" not in text  # no password, ever


def test_users_see_their_own_events_and_admins_see_all(client, factory):
    admin = factory.user("root@example.com", role="admin")
    _, admin_key = factory.key(admin)
    ada = factory.user("ada@example.com")
    _, ada_key = factory.key(ada)
    factory.key(factory.user("eve@example.com"))
    own = audit_of(client, ada_key)["events"]
    assert {event["action"] for event in own} == {"user.created", "key.created"}
    assert "eve@example.com" not in json.dumps(own)
    everything = audit_of(client, admin_key, "/api/admin/audit")["events"]
    assert "eve@example.com" in json.dumps(everything)
    assert [e["id"] for e in everything] == sorted((e["id"] for e in everything), reverse=True)
    refused = api(client, ada_key, "/api/admin/audit")
    assert refused.status_code == 403
    created = audit_of(client, admin_key, "/api/admin/audit", action="user.created")["events"]
    assert {event["action"] for event in created} == {"user.created"}
    assert api(client, admin_key, "/api/admin/audit?action=nonsense").status_code == 400


def test_admin_audit_filters_by_actor_and_time(client, factory):
    admin = factory.user("root@example.com", role="admin")
    _, admin_key = factory.key(admin)
    ada = factory.user("ada@example.com")
    factory.key(ada)
    by_ada = audit_of(client, admin_key, "/api/admin/audit", actor=ada.id)["events"]
    assert by_ada and {event["actor"]["email"] for event in by_ada} == {"ada@example.com"}
    assert {event["action"] for event in by_ada} == {"user.created", "key.created"}
    everything = audit_of(client, admin_key, "/api/admin/audit")["events"]
    newest = everything[0]["at"]
    since = audit_of(client, admin_key, "/api/admin/audit", since=newest)["events"]
    assert since and all(event["at"] >= newest for event in since)
    assert (
        audit_of(client, admin_key, "/api/admin/audit", until="2000-01-01T00:00:00Z")["events"]
        == []
    )
    bad = api(client, admin_key, "/api/admin/audit", query_string={"since": "yesterday"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "bad_request"


# "\u00b2" is "²" and "\u0661" an Arabic-Indic one: str.isdigit() says yes to both.
@pytest.mark.parametrize("user", ["x", "-1", "\u00b2", "\u0661", "99999999999"])
def test_admin_audit_filter_by_a_user_that_is_no_user_id_is_400(client, factory, user):
    _, admin_key = factory.key(factory.user("root@example.com", role="admin"))
    response = api(client, admin_key, "/api/admin/audit", query_string={"user": user})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1001",
        "limit=x",
        "limit=-5",
        "limit=\u00b2",
        "limit=\u0661\u0662",
        "cursor=!!",
        "cursor=WyJ4Il0",
    ],
)
def test_a_bad_page_is_400(client, factory, ada, query):
    _, key = factory.key(ada)
    for path in ("/api/keys", "/api/audit"):
        response = api(client, key, f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        assert response.json["error"]["code"] == "bad_request"


def test_pages_follow_their_cursor_to_the_end(client, factory, ada):
    _, key = factory.key(ada)
    for n in range(4):
        factory.key(ada, f"key {n}")
    seen, cursor = [], None
    while True:
        page = api(client, key, "/api/keys", query_string={"limit": 2, "cursor": cursor}).json
        seen += [item["id"] for item in page["keys"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5


def verify(runner):
    return runner.invoke(args=["audit", "verify"])


def tamper(app, statement):
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


@pytest.mark.parametrize("how", ["update", "delete"])
def test_audit_verify_names_the_event_changed_or_removed(app, runner, factory, ada, how):
    for n in range(3):
        factory.key(ada, f"key {n}")
    intact = verify(runner)
    assert intact.exit_code == 0, intact.output
    assert "intact" in intact.stdout
    if how == "update":
        tamper(app, update(AuditEvent).where(AuditEvent.id == 3).values(action="key.revoked"))
    else:
        tamper(app, delete(AuditEvent).where(AuditEvent.id == 3))
    broken = verify(runner)
    assert broken.exit_code == 1
    assert "event 3" in broken.stderr
    assert ("changed" if how == "update" else "removed") in broken.stderr


def test_audit_verify_and_export_read_in_batches_and_find_a_break_in_a_later_one(
    app, runner, factory, ada, monkeypatch
):
    monkeypatch.setattr("app.audit.queries.EXPORT_BATCH", 2)
    for n in range(6):
        factory.key(ada, f"key {n}")
    exported = runner.invoke(args=["audit", "export"])
    assert [json.loads(line)["id"] for line in exported.stdout.splitlines()] == list(range(1, 8))
    assert exported.stderr == ""  # no progress bar when stderr is not a terminal
    tamper(app, update(AuditEvent).where(AuditEvent.id == 6).values(target="key:other"))
    broken = verify(runner)
    assert broken.exit_code == 1
    assert "event 6 was changed" in broken.stderr


def test_usage_older_than_90_days_is_pruned_in_batches(app, factory, ada):
    from datetime import UTC, datetime, timedelta

    from app.models import ApiKey, KeyUsage
    from app.usage import store

    key_id, _ = factory.key(ada)
    today = datetime.now(UTC).date()
    with app.app_context():
        pk = db.session.scalar(db.select(ApiKey.id).where(ApiKey.key_id == key_id))
        for age in (0, 89, 91, 92, 93, 200, 365):
            db.session.add(KeyUsage(api_key_id=pk, day=today - timedelta(age), requests=1))
        db.session.commit()
        assert store.prune_old_days(batch=2) == 5
        kept = db.session.scalars(db.select(KeyUsage.day).order_by(KeyUsage.day)).all()
        assert kept == [today - timedelta(89), today]


def test_audit_export_writes_json_lines(runner, factory, ada):
    factory.key(ada)
    exported = runner.invoke(args=["audit", "export"])
    assert exported.exit_code == 0
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert [line["action"] for line in lines] == ["user.created", "key.created"]
    assert all(len(line["hash"]) == 64 for line in lines)
    later = runner.invoke(args=["audit", "export", "--since", "2999-01-01"])
    assert later.stdout == ""
    for since in ("yesterday", "0001-01-01T00:00:00+01:00"):
        bad = runner.invoke(args=["audit", "export", "--since", since])
        assert bad.exit_code == 1 and len(bad.stderr.strip().splitlines()) == 1


def test_a_rolled_back_change_leaves_no_event(app, factory, ada):
    from app.keys import service, verifier_secret
    from app.models import User

    with app.app_context():
        owner = db.session.get(User, ada.id)
        with pytest.raises(service.TooManyKeys):
            service.create_key(
                owner, "over the cap", rounds=4, verifier=verifier_secret(app), max_active=0
            )
        assert (
            db.session.scalar(db.select(db.func.count()).where(AuditEvent.action == "key.created"))
            == 0
        )


def test_the_role_raise_notice_comes_and_goes(app, client, factory, ada):
    AuthActions(client).login(ada)
    factory.key(ada, "old full key")
    factory.set_role(ada, "admin")
    AuthActions(client).login(ada)  # the role change ended the session
    page = client.get("/en/api-keys").get_data(as_text=True)
    assert "old full key" in page and "now acts as admin" in page


def test_every_audit_action_reads_as_a_sentence_in_the_console():
    from app.audit.actions import AuditAction
    from app.console.event_words import ABOUT_KEY, ABOUT_USER

    worded = {*ABOUT_KEY, *ABOUT_USER, AuditAction.USER_ROLE_CHANGED}
    assert set(AuditAction) - worded == set()
