"""Sign-up that cannot impersonate: which emails and passwords are refused, and why.

Through the real sign-up form (and the CLI, which applies the same rules): guessable
passwords, passwords that are the email, invisible characters in an address.
"""

from __future__ import annotations

import pytest

from support.factory import PASSWORD
from support.web import csrf_token


def sign_up(client, email: str, password: str = PASSWORD):
    """Post the sign-up form; return the response."""
    token = csrf_token(client, "/signup")
    return client.post("/signup", data={"email": email, "password": password, "csrf_token": token})


def assert_refused(response, message: str) -> None:
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


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
    assert "ada@bücher.example" in client.get("/api-keys").get_data(as_text=True)
    auth.logout()
    assert auth.login(email="ada@xn--bcher-kva.example", password=PASSWORD).status_code == 302
    auth.logout()
    assert auth.login(email="ADA@BÜCHER.EXAMPLE", password=PASSWORD).status_code == 302


def test_an_email_is_stored_in_nfc_so_either_spelling_signs_in(client, auth):
    decomposed = "Jose\u0301@example.com"  # e + combining acute, as some keyboards send it
    assert sign_up(client, decomposed).status_code == 302
    auth.logout()
    assert auth.login(email="jos\u00e9@example.com", password=PASSWORD).status_code == 302
