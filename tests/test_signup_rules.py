"""Sign-up that cannot impersonate: which emails and passwords are refused, and why.

Through the real sign-up form (and the CLI, which applies the same rules): guessable
passwords, passwords that are the email, invisible characters in an address.
"""

from __future__ import annotations

import html
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from support.factory import PASSWORD
from support.mail import outbox, post
from support.mail import sign_up as mailed_sign_up


def sign_up(client, email: str, password: str = PASSWORD):
    """Sign up through the form and the mailed link; the last answer."""
    return mailed_sign_up(client, email, password)


def assert_refused(response, message: str) -> None:
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))


# --- Passwords ------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["aaaaaaaa", "password", "12345678", "  Password  "])
def test_a_common_password_is_refused(client, password):
    assert_refused(sign_up(client, "ada@example.com", password), "That password is too common")


@pytest.mark.parametrize(
    "password",
    [
        "ada.lovelace@example.com",
        "ADA.LOVELACE@EXAMPLE.COM",
        "ada.lovelace",
        "my Ada.Lovelace 1815",
    ],
)
def test_a_password_that_is_or_contains_the_email_is_refused(client, password):
    response = sign_up(client, "Ada.Lovelace@example.com", password)
    assert_refused(response, "does not contain your email address")


def test_a_password_equal_to_a_short_email_is_refused(client):
    assert_refused(
        sign_up(client, "al@example.com", "al@example.com"), "does not contain your email"
    )


def test_a_name_under_three_letters_does_not_refuse_the_passwords_that_contain_it(client):
    assert sign_up(client, "jo@example.com", "jolly good fellow").status_code == 302


def test_cli_refuses_a_common_password_with_one_line(runner):
    result = runner.invoke(args=["users", "create", "ada@example.com", "--password", "aaaaaaaa"])
    assert result.exit_code != 0
    assert result.stderr.strip().splitlines() == [
        "Error: That password is too common. Choose one that is harder to guess."
    ]


def test_the_first_admin_gets_a_random_password_the_rules_accept(runner, auth):
    result = runner.invoke(args=["users", "bootstrap", "--email", "Root@Example.com"])
    assert result.exit_code == 0, result.output
    password = result.output.split("password:")[1].split()[0]
    assert auth.login(email="root@example.com", password=password).status_code == 302


# --- Emails: invisible characters and validation ----------------------------------------


@pytest.mark.parametrize(
    "invisible",
    ["\u200b", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u202e", "\u034f", "\u180e", "\U000e0041"],
    ids=["zero-width space", "ZWJ", "word joiner", "soft hyphen", "BOM", "RTL override",
         "combining grapheme joiner", "Mongolian vowel separator", "tag A"],
)  # fmt: skip
def test_an_email_with_an_invisible_character_is_refused(client, invisible):
    response = sign_up(client, f"ad{invisible}min@example.com")
    assert_refused(response, "cannot contain invisible or formatting characters")


def test_cli_refuses_an_email_with_a_zero_width_space(runner):
    result = runner.invoke(
        args=["users", "create", "ad\u200bmin@example.com", "--password", "long enough pw"]
    )
    assert result.exit_code != 0
    assert "invisible or formatting characters" in result.stderr


@pytest.mark.parametrize(
    "email", ["ada@example.test", "ada@localhost", '"ada"@example.com', "ada@example..com"]
)
def test_an_invalid_email_gets_our_message_not_the_librarys(client, email):
    response = sign_up(client, email)
    assert_refused(response, "Enter a valid email address, such as ada@example.com.")
    assert "@-sign" not in response.get_data(as_text=True)  # email-validator's wording


def test_an_idn_domain_signs_up_and_signs_in_in_either_spelling(client, auth):
    assert sign_up(client, "Ada@Bücher.example").status_code == 302
    assert "ada@bücher.example" in client.get("/en/api-keys").get_data(as_text=True)
    auth.logout()
    assert auth.login(email="ada@xn--bcher-kva.example", password=PASSWORD).status_code == 302
    auth.logout()
    assert auth.login(email="ADA@BÜCHER.EXAMPLE", password=PASSWORD).status_code == 302


def test_an_email_is_stored_in_nfc_so_either_spelling_signs_in(client, auth):
    decomposed = "Jose\u0301@example.com"  # e + combining acute, as some keyboards send it
    assert sign_up(client, decomposed).status_code == 302
    auth.logout()
    assert auth.login(email="jos\u00e9@example.com", password=PASSWORD).status_code == 302


# --- Look-alikes of an existing account ---------------------------------------------------

CYRILLIC_A = "\u0430"


@pytest.mark.parametrize(
    "lookalike",
    [
        f"{CYRILLIC_A}dmin@example.com",  # a Cyrillic a
        "adm\u0456n@example.com",  # a Ukrainian i
        "admin@ex\u0430mple.com",  # in the domain
        "\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427@example.com",  # bold maths letters
        "adrnin@example.com",  # r n reads as m
    ],
)
def test_an_email_that_looks_like_an_existing_account_is_refused(client, factory, lookalike):
    factory.user("admin@example.com", role="admin")
    response = sign_up(client, lookalike)
    assert_refused(response, "That email looks too much like an existing account's.")
    assert "admin@example.com" not in response.get_data(as_text=True).replace(lookalike, "")


def test_a_look_alike_is_refused_from_the_cli_too(runner, factory):
    factory.user("admin@example.com", role="admin")
    result = runner.invoke(
        args=["users", "create", f"{CYRILLIC_A}dmin@example.com", "--password", "long enough pw"]
    )
    assert result.exit_code != 0
    assert "looks too much like an existing account" in result.stderr


def test_the_same_email_in_capitals_gets_no_second_account_and_its_owner_is_told(app, factory):
    factory.user("admin@example.com", role="admin")
    client = app.test_client()
    answer = post(client, "/en/signup", {"email": "ADMIN@example.com", "password": PASSWORD})
    assert answer.status_code == 200
    (notice,) = outbox(app)
    assert notice.to == "admin@example.com"
    assert "/signup/confirm/" not in notice.body


def test_a_non_latin_email_is_welcome_when_nothing_looks_like_it(app):
    # Mixed scripts alone are not refused: only a look-alike of an account that exists.
    assert sign_up(app.test_client(), f"{CYRILLIC_A}dmin@example.com").status_code == 302
    assert sign_up(app.test_client(), "пользователь@пример.рф").status_code == 302


def test_the_unique_skeleton_refuses_the_second_look_alike_even_inserted_directly(app):
    from sqlalchemy.exc import IntegrityError

    from app.accounts.emails import email_skeleton
    from app.extensions import db
    from app.models import User

    with app.app_context():
        for email in ("admin@example.com", f"{CYRILLIC_A}dmin@example.com"):
            db.session.add(
                User(email=email, email_skeleton=email_skeleton(email), password_hash="x")
            )
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_look_alikes_signing_up_at_once_get_one_account_and_clear_refusals(app):
    from app import accounts

    emails = [
        "admin@example.com",
        f"{CYRILLIC_A}dmin@example.com",
        "adm\u0456n@example.com",
        "adrnin@example.com",
        "ADMIN@example.com",
        f"{CYRILLIC_A}dm\u0456n@example.com",
    ]
    start = threading.Barrier(len(emails))

    def sign_up_now(email: str) -> str:
        with app.app_context():
            start.wait()
            try:
                accounts.create_user(email, PASSWORD, rounds=6)
            except accounts.AccountRefused as refused:
                return str(refused)
            return "created"

    with ThreadPoolExecutor(len(emails)) as pool:
        outcomes = list(pool.map(sign_up_now, emails))
    assert outcomes.count("created") == 1, outcomes
    for outcome in outcomes:
        assert outcome == "created" or "looks too much like" in outcome or "already" in outcome


# --- Accounts from before these rules -------------------------------------------------------

ZERO_WIDTH_ADMIN = "ad\u200bmin@example.com"


def insert_users_as_before(app, *emails: str) -> None:
    """Rows as sign-up stored them before email validation (migration 0004's schema)."""
    from sqlalchemy import text

    from app.extensions import db
    from app.hashing import hash_secret

    password_hash = hash_secret(PASSWORD.encode(), 4)
    with app.app_context():
        for email in emails:
            db.session.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, active, created_at) "
                    "VALUES (:email, :hash, 'standard', :active, CURRENT_TIMESTAMP)"
                ),
                {"email": email, "hash": password_hash, "active": True},
            )
        db.session.execute(
            text(
                "INSERT INTO api_keys (key_id, user_id, name, key_hash, prefix, created_at) "
                "VALUES ('AAAAAAAAAAAA', 2, 'old key', 'x', 'ck_AAAA', CURRENT_TIMESTAMP)"
            )
        )
        db.session.commit()


def test_the_migration_gives_existing_accounts_skeletons_and_keeps_their_look_alikes(
    app, client, auth, capsys
):
    import flask_migrate

    from app.accounts.emails import email_skeleton
    from app.extensions import db
    from app.models import ApiKey, User

    with app.app_context():
        flask_migrate.downgrade(revision="0004_user_sessions")
    insert_users_as_before(app, "admin@example.com", ZERO_WIDTH_ADMIN, "ada@xn--bcher-kva.example")
    with app.app_context():
        flask_migrate.upgrade()
        skeletons = dict(db.session.execute(select(User.email, User.email_skeleton)).all())
        assert db.session.scalar(select(ApiKey.user_id)) == 2  # the copy kept every key
    assert skeletons["admin@example.com"] == email_skeleton("admin@example.com")
    # The look-alike already there keeps its account, under a placeholder, and is named.
    assert skeletons[ZERO_WIDTH_ADMIN] == "look-alike of user 1: 2"
    assert "users 1 and 2 have emails that look alike" in capsys.readouterr().err
    # Stored before IDNA normalization: found in either spelling, and its look-alikes too.
    assert skeletons["ada@xn--bcher-kva.example"] == email_skeleton("ada@bücher.example")
    assert auth.login(email="ada@xn--bcher-kva.example", password=PASSWORD).status_code == 302
    auth.logout()
    assert_refused(sign_up(client, "ada@b\u00fccher.example"), "looks too much like")


def test_an_old_account_with_an_invisible_character_cannot_sign_in(app, auth):
    import flask_migrate

    with app.app_context():
        flask_migrate.downgrade(revision="0004_user_sessions")
    insert_users_as_before(app, "admin@example.com", ZERO_WIDTH_ADMIN)
    with app.app_context():
        flask_migrate.upgrade()
    response = auth.login(email=ZERO_WIDTH_ADMIN, password=PASSWORD)
    assert response.status_code == 422
    assert "Wrong email or password." in response.get_data(as_text=True)
