"""The ``flask users`` and ``flask keys`` commands: good paths and one-line refusals."""

from __future__ import annotations

import pytest

from app.keys.access import KeyAccess
from app.keys.format import parse_key
from app.roles import Role


def run(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input)


def assert_refused(result, fragment: str) -> None:
    """Exit non-zero with one clear line on stderr."""
    assert result.exit_code != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_users_create_list_set_role_deactivate(runner):
    result = run(
        runner,
        "users",
        "create",
        "Ada@Example.com",
        "--role",
        "premium",
        "--password",
        "long enough pw",
    )
    assert result.exit_code == 0, result.output
    assert "ada@example.com" in result.output

    listed = run(runner, "users", "list")
    assert "ada@example.com\tpremium\tactive\t0 active keys" in listed.output

    assert run(runner, "users", "set-role", "ada@example.com", "admin").exit_code == 0
    assert "\tadmin\t" in run(runner, "users", "list").output

    # The one admin stays: deactivating (or demoting) them is refused, in one line.
    refused = run(runner, "users", "deactivate", "ada@example.com")
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        "Error: There must always be an active admin; promote another user first."
    )
    run(runner, "users", "create", "root@example.com", "--role", "admin", "--password", "x" * 12)
    assert run(runner, "users", "deactivate", "ADA@example.com").exit_code == 0
    assert "\tdeactivated\t" in run(runner, "users", "list").output


def test_users_create_prompts_for_the_password(runner, client, auth):
    result = run(
        runner, "users", "create", "ada@example.com", input="long enough pw\nlong enough pw\n"
    )
    assert result.exit_code == 0, result.output
    assert auth.login(email="ada@example.com", password="long enough pw").status_code == 302


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("users", "create", "not-an-email", "--password", "long enough pw"), "valid email"),
        (("users", "create", "a@example.com", "--password", "short"), "at least 8"),
        (
            (
                "users",
                "create",
                "a@example.com",
                "--role",
                "wizard",
                "--password",
                "long enough pw",
            ),
            "Unknown role",
        ),
        (("users", "set-role", "nobody@example.com", "admin"), "No user"),
        (("users", "set-role", "taken@example.com", "wizard"), "Unknown role"),
        (("users", "deactivate", "nobody@example.com"), "No user"),
        (
            ("users", "create", "taken@example.com", "--password", "long enough pw"),
            "already exists",
        ),
        (("keys", "create", "nobody@example.com", "--name", "x"), "No user"),
        (("keys", "create", "taken@example.com", "--name", "   "), "name"),
        (("keys", "create", "taken@example.com", "--name", "x" * 101), "at most 100"),
        (("keys", "create", "taken@example.com", "--name", "x", "--access", "write"), "access"),
        (("keys", "list", "nobody@example.com"), "No user"),
        (("keys", "revoke", "AAAAAAAAAAAA"), "No key"),
        (("keys", "revoke", "../../etc"), "No key"),
    ],
)
def test_bad_input_exits_nonzero_with_one_line(runner, factory, args, fragment):
    factory.user("taken@example.com")
    assert_refused(run(runner, *args), fragment)


@pytest.mark.parametrize(
    ("command", "values"),
    [(("users", "create"), Role), (("users", "set-role"), Role), (("keys", "create"), KeyAccess)],
)
def test_help_offers_every_declared_value(runner, command, values):
    help_text = run(runner, *command, "--help").output
    assert "|".join(values) in help_text


def test_keys_create_prints_the_key_alone_as_the_last_line(runner, factory, client):
    factory.user("ada@example.com")
    result = run(runner, "keys", "create", "ada@example.com", "--name", "Nightly backup")
    assert result.exit_code == 0, result.output
    key = result.stdout.splitlines()[-1]
    assert key == key.strip()
    parsed = parse_key(key)
    assert parsed is not None
    assert client.get("/api/me", headers={"X-API-Key": key}).status_code == 200


def test_keys_list_and_revoke(runner, factory, client):
    user = factory.user("ada@example.com")
    key_id, secret = factory.key(user, "Mobile App")
    listed = run(runner, "keys", "list", "ada@example.com")
    assert key_id in listed.output
    assert "Mobile App" in listed.output
    assert "active" in listed.output
    assert secret not in listed.output
    assert "$2b$" not in listed.output

    result = run(runner, "keys", "revoke", key_id)
    assert result.exit_code == 0
    assert "revoked" in run(runner, "keys", "list").output
    assert client.get("/api/me", headers={"X-API-Key": secret}).status_code == 401


def test_bootstrap_creates_the_first_admin_once(runner, auth):
    first = run(runner, "users", "bootstrap")
    assert first.exit_code == 0
    password = first.output.split("password:")[1].split()[0]
    assert "admin@example.com" in first.output
    second = run(runner, "users", "bootstrap")
    assert second.exit_code == 0
    assert second.output == ""  # printed once, never again
    assert auth.login(email="admin@example.com", password=password).status_code == 302


def test_db_upgrade_brings_a_new_database_to_the_latest_schema(tmp_path):
    from app import create_app

    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    users = app.test_cli_runner().invoke(args=["users", "list"])
    assert users.exit_code == 0
