"""The console in English, Spanish, German and Chinese: URLs, negotiation, catalogs, formats.

Two tests keep the next feature from shipping English-only by accident: every page of the
console is rendered in a pseudo-language that brackets each translated string, and any
letter left outside the brackets (but the user's own data) is a string nobody marked; and
every marked string must have a translation in every catalog.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations

from app import PROJECT_ROOT
from app.i18n import formatting

from support.web import AuthActions, csrf_token

TRANSLATIONS = PROJECT_ROOT / "app" / "translations"
LOCALES = ("es", "de", "zh")


# --- URLs and negotiation -------------------------------------------------------------


def test_a_path_without_a_locale_redirects_keeping_the_query(client):
    response = client.get("/api-keys?status=revoked&q=a%20b")
    assert response.status_code == 302
    assert response.headers["Location"] == "/en/api-keys?status=revoked&q=a%20b"


def test_other_methods_redirect_with_308(client):
    response = client.post("/login", data={"email": "x"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/en/login"


def test_an_unknown_locale_is_404(client):
    assert client.get("/xx/api-keys").status_code == 404
    assert client.get("/fr/login").status_code == 404


def test_the_cookie_then_accept_language_then_english_choose(client):
    assert client.get("/login").headers["Location"] == "/en/login"
    accept = {"Accept-Language": "de-CH, de;q=0.9, en;q=0.5"}
    assert client.get("/login", headers=accept).headers["Location"] == "/de/login"
    client.get("/zh/login")  # a page served in Chinese remembers it
    assert client.get("/login", headers=accept).headers["Location"] == "/zh/login"


def test_sign_in_keeps_the_locale_and_next(client, factory):
    user = factory.user()
    client.get("/es/login")
    page = client.get("/api-keys")
    assert page.headers["Location"] == "/es/api-keys"
    signed_out = client.get("/es/api-keys")
    assert signed_out.headers["Location"] == "/es/login?next=/es/api-keys"
    token = csrf_token(client, "/es/login")
    signed_in = client.post(
        "/es/login?next=/es/api-keys",
        data={"email": user.email, "password": user.password, "csrf_token": token},
    )
    assert signed_in.headers["Location"] == "/es/api-keys"


@pytest.mark.parametrize("locale", ["en", *LOCALES])
def test_html_lang_and_alternates_name_every_language(client, locale):
    page = client.get(f"/{locale}/login").get_data(as_text=True)
    assert f'<html lang="{locale}">' in page
    for code in ("en", *LOCALES):
        assert f'hreflang="{code}" href="/{code}/login"' in page


def test_the_api_health_and_metrics_are_not_localized(client):
    for path, status in (("/api/me", 401), ("/livez", 200), ("/healthz", 200)):
        assert client.get(path).status_code == status, path
    assert client.get("/de/api/me").status_code == 404
    missing = client.get("/api/me", headers={"Accept-Language": "de"})
    assert missing.json["error"]["message"] == "Missing X-API-Key header"


# --- Dates and numbers ----------------------------------------------------------------

MOMENT = datetime(2026, 11, 26, 13, 43, 52, tzinfo=UTC)
EXPECTED = {
    "en": ("Nov 26, 2026", "3 minutes ago", "12,345"),
    "es": ("26 nov 2026", "hace 3 minutos", "12.345"),
    "de": ("26.11.2026", "vor 3 Minuten", "12.345"),
    "zh": ("2026年11月26日", "3分钟前", "12,345"),
}


@pytest.mark.parametrize("locale", sorted(EXPECTED))
def test_dates_relative_times_and_numbers_follow_the_locale(app, locale):
    date, ago, number = EXPECTED[locale]
    with app.test_request_context(f"/{locale}/login"):
        app.preprocess_request()
        flask_babel.refresh()
        assert formatting.short_date(MOMENT) == date
        assert formatting.time_ago(MOMENT, now=MOMENT + timedelta(minutes=3)) == ago
        assert formatting.number(12345) == number
        assert "2026" in formatting.full_timestamp(MOMENT)
        assert "UTC" in formatting.full_timestamp(MOMENT)


@pytest.mark.parametrize(
    ("cookie", "zone", "hour"),
    [
        ("Europe/Berlin", "Europe/Berlin", "3:05"),  # 14:05 UTC is 15:05 in Berlin in winter
        ("America/New_York", "America/New_York", "9:05"),
        (None, "UTC", "2:05"),  # no JavaScript: nobody said
        ("../../etc/passwd", "UTC", "2:05"),
        ("localtime", "UTC", "2:05"),  # zoneinfo has it, but it is no place
        ("Not/A_Zone", "UTC", "2:05"),
    ],
)
def test_times_are_in_the_zone_the_browser_named_else_utc(app, cookie, zone, hour):
    headers = {"Cookie": f"tz={cookie}"} if cookie else {}
    with app.test_request_context("/en/login", headers=headers):
        app.preprocess_request()
        flask_babel.refresh()
        shown = formatting.full_timestamp(MOMENT.replace(hour=14, minute=5, second=0))
        assert shown.endswith(f"({zone})")
        assert f" {hour}:00" in shown


def test_a_junk_time_zone_cookie_fails_no_page(client, factory):
    user = factory.user("ada@example.com")
    AuthActions(client).login(user)
    for junk in ("../../etc/passwd", "localtime", "x" * 4000, "Etc/../../x"):
        client.set_cookie("tz", junk)
        page = client.get("/en/api-keys")
        assert page.status_code == 200
        assert "Times are shown in UTC." in page.get_data(as_text=True)


def test_mail_is_in_utc_whatever_zone_the_request_is_in(app):
    from app.mail import compose

    when = MOMENT.replace(hour=14, minute=5, second=0)
    with app.test_request_context("/en/login", headers={"Cookie": "tz=Asia/Tokyo"}):
        app.preprocess_request()
        assert formatting.full_timestamp(when).endswith("(Asia/Tokyo)")
        message = compose(
            "key_expiring", "ada@example.com", "en",
            key_name="Backup", key_prefix="ck_AbCd", expires_at=when, link="http://x/",
        )  # fmt: skip
        assert "(UTC)" in message.body and "Tokyo" not in message.body
        assert formatting.full_timestamp(when).endswith("(Asia/Tokyo)")


def test_a_mail_in_another_language_leaves_the_page_in_its_own(app):
    # The page keeps its catalog for the request; a mail composed meanwhile has its own.
    from flask import render_template_string

    from app.mail import compose

    with app.test_request_context("/es/api-keys"):
        app.preprocess_request()
        assert render_template_string("{{ _('Key') }}") == "Clave"
        mail = compose("key_expiring", "a@example.com", "de", key_name="K", key_prefix="ck_A",
                       expires_at=MOMENT, link="https://example.com/")  # fmt: skip
        assert mail.subject == "Ihr API-Schlüssel K läuft bald ab"
        assert "2026" in mail.body
        assert render_template_string("{{ _('Key') }} {{ 12345 | number }}") == "Clave 12.345"


# --- Every string marked, every string translated -------------------------------------


class Pseudo(NullTranslations):
    """A language in which every translated string comes back ⟦bracketed⟧."""

    def gettext(self, message):
        return f"⟦{message}⟧"

    def ngettext(self, singular, plural, n):
        return f"⟦{singular if n == 1 else plural}⟧"

    def pgettext(self, context, message):
        return f"⟦{message}⟧"

    def npgettext(self, context, singular, plural, n):
        return f"⟦{singular if n == 1 else plural}⟧"

    # Flask-Babel calls these older names, which Babel binds to its own methods.
    ugettext, ungettext, upgettext, unpgettext = gettext, ngettext, pgettext, npgettext


class VisibleText(HTMLParser):
    """Text a person reads on a page: text nodes and the attributes read aloud or shown."""

    SKIPPED = frozenset({"script", "style", "code", "pre", "time", "template", "title"})
    READ = ("aria-label", "title", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__()
        self.skipping: list[str] = []
        self.texts: list[str] = []
        # A <time> may stand inside a sentence ("Expires <time>in 3 days</time>"): the text
        # on either side of it is one string.
        self.glue = False

    def handle_starttag(self, tag, attrs):
        self.glue = tag == "time" and bool(self.texts)
        if tag in self.SKIPPED:
            self.skipping.append(tag)
        if tag == "time":
            return  # its title is the exact time, formatted by Babel, not a sentence
        for name, value in attrs:
            if name in self.READ and value:
                self.texts.append(value)
            if name.startswith("data-") and tag == "template" and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        self.glue = tag == "time" and bool(self.texts)

    def handle_data(self, data):
        if self.skipping or not data.strip():
            return
        if self.glue:
            self.texts[-1] += data
        else:
            self.texts.append(data)


# What may stand outside a translation: the brand, language names in their own language,
# technical names, and the data the test itself put there.
ALLOWED = re.compile(
    r"Chameleon|English|Español|Deutsch|中文|ck_\w*|X-API-Key|Retry-After|UTC|"
    r"[\w.+-]+@example\.com|Alpha|Beta|Gamma|pytest|werkzeug|Werkzeug|[\d\s.,:·…/()%+-]"
)


def untranslated(page: str) -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    left = []
    # A translated sentence may hold a link ("Key <a>“Mobile App”</a> created"): its
    # brackets then open in one text node and close in a later one, around others.
    depth = 0
    for text in parser.texts:
        outside = []
        for char in text:
            if char in "⟦⟧":
                depth = depth + 1 if char == "⟦" else max(depth - 1, 0)
            elif not depth:
                outside.append(char)
        rest = ALLOWED.sub("", "".join(outside))
        if re.search(r"[^\W\d_]", rest):
            left.append(text.strip())
    return left


@pytest.fixture
def pseudo(monkeypatch):
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda self: Pseudo())


def console_pages(app, client, factory):
    """Every console page, in several states, as HTML."""
    admin = factory.user("root@example.com", role="admin")
    key_id, _ = factory.key(admin, "Alpha")
    factory.key(admin, "Beta", expires_in=timedelta(days=3), access="read")
    gone, _ = factory.key(admin, "Gamma")
    factory.revoke(gone)
    pages = {"/en/login": client.get("/en/login"), "/en/signup": client.get("/en/signup")}
    pages["/en/login 422"] = client.post(
        "/en/login", data={"email": "x@example.com", "password": "no",
                           "csrf_token": csrf_token(client, "/en/login")}
    )  # fmt: skip
    AuthActions(client).login(admin)
    for path in (
        "/en/api-keys", "/en/api-keys?status=revoked", "/en/api-keys?q=zzz",
        "/en/api-keys/create", f"/en/api-keys/{key_id}", f"/en/api-keys/{key_id}/revoke",
        "/en/activity", "/en/account", "/en/admin/users", "/en/admin/audit",
        f"/en/admin/users/{admin.id}", "/en/nowhere",
    ):  # fmt: skip
        pages[path] = client.get(path)
    token = csrf_token(client, "/en/api-keys")
    pages["create 422"] = client.post("/en/api-keys", data={"name": "", "csrf_token": token})
    pages["created"] = client.post(
        "/en/api-keys", data={"name": "Alpha", "expires_in": "30", "csrf_token": token}
    )
    return pages


def test_every_string_on_every_page_is_marked_for_translation(app, client, factory, pseudo):
    for path, response in console_pages(app, client, factory).items():
        expected = {"/en/login 422": 422, "/en/nowhere": 404, "create 422": 422}.get(path, 200)
        assert response.status_code == expected, path
        left = untranslated(response.get_data(as_text=True))
        assert left == [], f"unmarked on {path}: {left}"


def extracted() -> set[tuple[str | None, str]]:
    """Every marked string in the code and templates, as pybabel extract finds it."""
    method_map = [
        ("app/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),  # mail
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2),
                "_l": None, "lazy_gettext": None}  # fmt: skip
    found = set()
    for _, _, message, _, context in extract_from_dir(PROJECT_ROOT, method_map, keywords=keywords):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


def catalog(locale: str) -> Catalog:
    with (TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_marked_string_has_a_translation(locale):
    messages = catalog(locale)
    missing = []
    for context, text in extracted():
        message = messages.get(text, context=context)
        strings = () if message is None else (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )  # fmt: skip
        if message is None or message.fuzzy or not all(strings):
            missing.append((context, text))
    assert missing == [], f"{locale}: {len(missing)} untranslated, e.g. {missing[:5]}"
    errors = [(message.id, str(error)) for message, errs in messages.check() for error in errs]
    assert errors == []


@pytest.mark.parametrize("locale", LOCALES)
def test_the_compiled_catalogs_are_up_to_date(locale):
    compiled = BytesIO()
    write_mo(compiled, catalog(locale))
    committed = Path(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.mo").read_bytes()
    assert committed == compiled.getvalue(), "run make translations-compile and commit"


ENGLISH_WORDS = re.compile(r"\b(the|your|keys?|revoke|create|sign|expires?|access)\b", re.I)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_english_is_left_on_a_translated_page(app, client, factory, locale):
    admin = factory.user("root@example.com", role="admin")
    key_id, _ = factory.key(admin, "Alpha")
    AuthActions(client).login(admin)
    for path in ("api-keys", "api-keys/create", f"api-keys/{key_id}", "activity", "account",
                 "admin/users", "admin/audit"):  # fmt: skip
        page = client.get(f"/{locale}/{path}").get_data(as_text=True)
        parser = VisibleText()
        parser.feed(page)
        english = [text for text in parser.texts if ENGLISH_WORDS.search(ALLOWED.sub("", text))]
        assert english == [], f"English on /{locale}/{path}: {english}"
