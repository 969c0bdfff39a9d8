"""Console sessions live on the server: signing out, or out of everywhere else, ends them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.auth import sessions
from app.models.columns import utcnow

from support.web import AuthActions, csrf_token


def copy_of_cookie(client, other):
    """Give ``other`` a copy of ``client``'s session cookie, as a thief would take it."""
    cookie = client.get_cookie("session")
    other.set_cookie("session", cookie.value)


def test_a_copied_cookie_is_dead_once_its_session_signed_out(app, client, auth, factory):
    user = factory.user()
    auth.login(user)
    thief = app.test_client()
    copy_of_cookie(client, thief)
    # The copy works while signed in, long enough to take the page's form token too.
    token = csrf_token(thief, "/en/api-keys")
    auth.logout()
    after = thief.get("/en/api-keys")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/en/login")
    # Nor can it create a key, token and all: the post is sent to sign in, nothing is made.
    posted = thief.post("/en/api-keys", data={"name": "stolen", "csrf_token": token})
    assert posted.status_code == 302
    assert posted.headers["Location"].startswith("/en/login")
    with app.app_context():
        from app.keys.key_list import keys_page

        assert keys_page(owner_id=user.id, limit=10).rows == []


def test_sign_out_of_all_other_sessions_ends_them_and_keeps_this_one(app, factory):
    user = factory.user()
    laptop, phone = app.test_client(), app.test_client()
    AuthActions(laptop).login(user)
    AuthActions(phone).login(user)
    thief = app.test_client()
    copy_of_cookie(phone, thief)
    token = csrf_token(laptop, "/en/account")
    response = laptop.post("/en/account/sessions/end-others", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Signed out of 1 other session" in laptop.get("/en/account").get_data(as_text=True)
    assert phone.get("/en/api-keys").status_code == 302
    assert thief.get("/en/api-keys").status_code == 302
    assert laptop.get("/en/api-keys").status_code == 200


def test_the_account_page_lists_where_you_are_signed_in(client, auth, factory):
    auth.login(factory.user())
    page = client.get("/en/account", headers={"User-Agent": "TestBrowser/1.0"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "(this one)" in text
    assert "127.0.0.1" in text


def test_sign_in_starts_a_new_session_every_time(client, auth, factory):
    user = factory.user()
    auth.login(user)
    with client.session_transaction() as session:
        first = session["sid"]
    auth.logout()
    auth.login(user)
    with client.session_transaction() as session:
        assert session["sid"] != first


@pytest.mark.parametrize(
    ("idle", "since_sign_in"),
    [(timedelta(hours=12, seconds=1), timedelta(hours=12, seconds=1)), (None, timedelta(days=7))],
    ids=["idle 12 hours", "7 days after sign-in"],
)
def test_sessions_expire_and_the_sign_in_page_says_so(
    client, auth, factory, monkeypatch, idle, since_sign_in
):
    auth.login(factory.user())
    now = utcnow()
    if idle is None:
        # Used every 11 hours for a week: never idle, still ended at 7 days.
        for hours in range(11, 7 * 24, 11):
            monkeypatch.setattr(sessions, "utcnow", lambda h=hours: now + timedelta(hours=h))
            assert client.get("/en/api-keys").status_code == 200
    monkeypatch.setattr(sessions, "utcnow", lambda: now + since_sign_in)
    response = client.get("/en/api-keys")
    assert response.status_code == 302
    assert "expired=1" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session expired" in page


@pytest.mark.parametrize("change", ["role", "deactivate"])
def test_a_role_change_or_deactivation_ends_the_users_sessions(client, auth, factory, change):
    user = factory.user()
    auth.login(user)
    if change == "role":
        factory.set_role(user, "premium")
    else:
        factory.deactivate(user)
    assert client.get("/en/api-keys").status_code == 302


def test_a_cookie_from_before_server_sessions_must_sign_in_again(client, factory):
    factory.user()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
    assert client.get("/en/api-keys").status_code == 302


def test_every_page_and_answer_says_no_store(client, auth, factory):
    auth.login(factory.user())
    for path in ("/en/login", "/en/api-keys", "/en/api-keys/create", "/en/account", "/api/me"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path
    with client.get("/static/css/app.css") as static:
        assert static.headers.get("Cache-Control") != "no-store"


def test_sessions_over_for_90_days_are_pruned_in_batches(app, client, auth, runner, factory):
    from app.extensions import db
    from app.models import UserSession

    user = factory.user()
    auth.login(user)  # a living session, which must survive
    lifetime = timedelta(seconds=app.config["SESSION_LIFETIME"])
    now = utcnow()
    with app.app_context():
        for days, ended in (
            (1, True),
            (80, True),
            (91, False),
            (91, True),
            (95, True),
            (400, True),
        ):
            began = now - lifetime - timedelta(days=days)
            db.session.add(
                UserSession(token_hash=f"{days}-{ended}", user_id=user.id, created_at=began,
                            last_seen_at=began, ended_at=began if ended else None)
            )  # fmt: skip
        db.session.commit()
        assert sessions.prune_old(lifetime, batch=2) == 4
        kept = db.session.scalars(db.select(UserSession.token_hash).order_by(UserSession.id))
        assert list(kept)[1:] == ["1-True", "80-True"]
    assert client.get("/en/api-keys").status_code == 200
    pruned = runner.invoke(args=["sessions", "prune"])
    assert pruned.exit_code == 0
    assert "Deleted 0 session(s)" in pruned.output
