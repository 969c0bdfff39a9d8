"""A user's own events name the admin who acted, but not the admin's address or browser.

Admins reading everyone's events (/admin/audit, /api/admin/audit) still see everything.
"""

from __future__ import annotations

import json

from support.web import csrf_token

ADMIN_ADDRESS = "198.51.100.7"
ADMIN_BROWSER = "AdminBrowser/7.0 (Workstation)"
USER_ADDRESS = "203.0.113.5"


def _as_admin(client, admin_key: str) -> dict:
    return {
        "headers": {"X-API-Key": admin_key, "User-Agent": ADMIN_BROWSER},
        "environ_base": {"REMOTE_ADDR": ADMIN_ADDRESS},
    }


def _own_events(client, key: str) -> list[dict]:
    response = client.get("/api/audit", headers={"X-API-Key": key})
    assert response.status_code == 200
    return response.json["events"]


def test_a_role_change_shows_the_user_the_admin_but_not_where_from(client, factory):
    admin = factory.user("root@example.com", role="admin")
    _, admin_key = factory.key(admin)
    ada = factory.user("ada@example.com")
    _, ada_key = factory.key(ada)
    changed = client.patch(
        f"/api/admin/users/{ada.id}", json={"role": "premium"}, **_as_admin(client, admin_key)
    )
    assert changed.status_code == 200

    [role] = [e for e in _own_events(client, ada_key) if e["action"] == "user.role_changed"]
    assert role["actor"] == {"id": admin.id, "email": admin.email}
    assert role["ip"] is None and role["user_agent"] is None

    response = client.get(
        "/api/admin/audit", query_string={"action": "user.role_changed"},
        **_as_admin(client, admin_key),
    )  # fmt: skip
    [seen_by_admin] = response.json["events"]
    assert seen_by_admin["ip"] == ADMIN_ADDRESS
    assert seen_by_admin["user_agent"] == ADMIN_BROWSER


def test_the_users_own_address_is_still_shown_to_them(client, factory):
    ada = factory.user("ada@example.com")
    _, ada_key = factory.key(ada)
    client.post(
        "/en/login",
        data={"email": ada.email, "password": "not it", "csrf_token": csrf_token(client)},
        environ_base={"REMOTE_ADDR": USER_ADDRESS},
    )
    # A stranger trying the account is no user: the owner sees where the attempt came from.
    [failed] = [e for e in _own_events(client, ada_key) if e["action"] == "user.sign_in_failed"]
    assert failed["ip"] == USER_ADDRESS


def test_the_console_hides_the_admins_address_from_the_user(client, auth, factory):
    admin = factory.user("root@example.com", role="admin")
    _, admin_key = factory.key(admin)
    ada = factory.user("ada@example.com")
    key_id, _ = factory.key(ada)
    client.post(f"/api/admin/keys/{key_id}/revoke", **_as_admin(client, admin_key))
    client.patch(
        f"/api/admin/users/{ada.id}", json={"role": "premium"}, **_as_admin(client, admin_key)
    )
    auth.login(ada)
    for page in ("/en/activity", f"/en/api-keys/{key_id}"):
        text = client.get(page).get_data(as_text=True)
        assert admin.email in text, page
        assert ADMIN_ADDRESS not in text and "AdminBrowser" not in text, page


def test_admins_still_see_everything_in_the_console(client, auth, factory):
    admin = factory.user("root@example.com", role="admin")
    _, admin_key = factory.key(admin)
    ada = factory.user("ada@example.com")
    client.patch(
        f"/api/admin/users/{ada.id}", json={"role": "premium"}, **_as_admin(client, admin_key)
    )
    auth.login(admin)
    assert ADMIN_ADDRESS in client.get("/en/admin/audit").get_data(as_text=True)
    # The export for operators is the log itself.
    exported = client.application.test_cli_runner().invoke(args=["audit", "export"])
    lines = [json.loads(line) for line in exported.stdout.splitlines()]
    assert any(line["ip"] == ADMIN_ADDRESS for line in lines)
