"""``flask keys create`` with what narrows a key, ``keys disable``/``enable``, and rotation."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.audit.actions import AuditAction
from app.extensions import db
from app.keys import service
from app.keys.changes import KeyEdit
from app.keys.rules import KeyRefused
from app.models import ApiKey, AuditEvent


def run(runner, *args):
    return runner.invoke(args=list(args))


def one_line_refusal(result, words):
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert words in lines[0]


@pytest.fixture
def ada(factory):
    return factory.user("ada@example.com")


def key_row(app, name):
    with app.app_context():
        return db.session.scalar(select(ApiKey).where(ApiKey.name == name))


def events(app, action):
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        return [(row.target, json.loads(row.details)) for row in rows]


def test_keys_create_takes_everything_that_narrows_a_key(app, runner, client, ada):
    made = run(
        runner, "keys", "create", ada.email, "--name", "Webhook",
        "--permissions", "endpoint=write,keys=read",
        "--allow", "127.0.0.0/8", "--allow", "2001:db8::/32",
        "--rate-limit", "10 per minute", "--description", "Order webhooks.",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    key = made.stdout.splitlines()[-1]
    row = key_row(app, "Webhook")
    assert row.access == "restricted"  # implied by --permissions
    assert row.permissions == "endpoint=write,keys=read,audit=none,admin=none"
    assert row.allowed_networks == "127.0.0.0/8,2001:db8::/32"
    assert row.rate_limit == "10 per minute"
    assert row.description == "Order webhooks."
    assert client.post("/api/endpoint", headers={"X-API-Key": key}).status_code == 200
    listed = run(runner, "keys", "list", ada.email).stdout
    assert "\trestricted\t" in listed
    assert "permissions endpoint=write,keys=read,audit=none,admin=none" in listed
    assert "from 127.0.0.0/8 2001:db8::/32" in listed
    assert "limit 10 per minute" in listed


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (["--allow", "10.0.0.300"], "is not an IP address or CIDR range"),
        (["--rate-limit", "lots"], "is not a rate limit"),
        (["--rate-limit", "1000 per minute"], "more than the owner's role allows"),
        (["--access", "restricted", "--permissions", "billing=read"], "is not a resource"),
        (["--permissions", "keys=root"], "is not a level"),
        (["--access", "full", "--permissions", "keys=read"], "for restricted keys"),
        (["--description", "x" * 501], "at most 500"),
        (["--access", "sometimes"], "Choose the key's access"),
    ],
)
def test_bad_input_exits_1_with_one_line_and_makes_no_key(app, runner, ada, options, words):
    result = run(runner, "keys", "create", ada.email, "--name", "Bad", *options)
    one_line_refusal(result, words)
    assert key_row(app, "Bad") is None


def test_disable_and_enable_from_the_cli(app, runner, client, factory, ada):
    key_id, key = factory.key(ada, "Paused")
    disabled = run(runner, "keys", "disable", key_id)
    assert disabled.exit_code == 0, disabled.output
    assert "is disabled" in disabled.stdout
    assert client.get("/api/me", headers={"X-API-Key": key}).json["error"]["code"] == (
        "disabled_api_key"
    )
    assert "\tdisabled\t" in run(runner, "keys", "list", ada.email).stdout
    enabled = run(runner, "keys", "enable", key_id)
    assert enabled.exit_code == 0, enabled.output
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 200
    assert [target for target, _ in events(app, AuditAction.KEY_DISABLED)] == [f"key:{key_id}"]
    assert [target for target, _ in events(app, AuditAction.KEY_ENABLED)] == [f"key:{key_id}"]


def test_a_revoked_key_cannot_be_enabled_from_the_cli(runner, factory, ada):
    key_id, _ = factory.key(ada)
    factory.revoke(key_id)
    one_line_refusal(run(runner, "keys", "enable", key_id), "A revoked key cannot be enabled")
    one_line_refusal(run(runner, "keys", "enable", "AAAAAAAAAAAA"), "No key with id")


def test_rotation_carries_everything_that_narrows_the_key(app, runner, factory, ada):
    key_id, _ = factory.key(
        ada, "Narrow", access="restricted", permissions="audit=read",
        description="Reads the audit log.", allowed_networks=["192.0.2.0/24"],
        rate_limit="5 per minute",
    )  # fmt: skip
    factory.app_call(service.disable_key, key_id, owner_id=None)
    rotated = run(runner, "keys", "rotate", key_id, "--grace", "0s")
    assert rotated.exit_code == 0, rotated.output
    with app.app_context():
        old = db.session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
        new = db.session.scalar(select(ApiKey).where(ApiKey.key_id == old.replaced_by))
        for field in ("access", "permissions", "description", "allowed_networks", "rate_limit"):
            assert getattr(new, field) == getattr(old, field), field
        assert new.status == "disabled"


def test_an_edit_is_audited_naming_what_changed_and_a_widening_is_refused(app, factory, ada):
    key_id, _ = factory.key(ada, "Edited", access="restricted", permissions="keys=read")
    edit = KeyEdit(name="Renamed", rate_limit="3 per minute", permissions="keys=none")
    factory.app_call(service.edit_key, key_id, edit, owner_id=None)
    ((target, details),) = events(app, AuditAction.KEY_EDITED)
    assert target == f"key:{key_id}"
    assert set(details["changed"]) == {"name", "rate_limit", "permissions"}
    assert details["changed"]["name"] == {"from": "Edited", "to": "Renamed"}
    with pytest.raises(KeyRefused, match="widening them needs a new key"):
        factory.app_call(service.edit_key, key_id, KeyEdit(permissions="keys=write"), owner_id=None)
    assert key_row(app, "Renamed").permissions == "endpoint=none,keys=none,audit=none,admin=none"
    assert len(events(app, AuditAction.KEY_EDITED)) == 1
