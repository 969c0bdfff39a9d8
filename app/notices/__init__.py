"""Notices by mail about a user's keys: found in public, new network, expiry, role raised.

Each is mailed in the owner's language (their last console locale, app/mail) and names the
key by its name and prefix, never the key, with a link to the key's page. Links are
absolute: under ``PUBLIC_URL`` when it is set (the only way a ``flask`` command knows where
the console is), else on the request's own host. Leaks and role changes always go out;
new-network and expiry notices only to users who keep them on (``/account``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from app.mail import Message, send_later, tell, to_user

if TYPE_CHECKING:
    from app.models import ApiKey, User


def public_url(endpoint: str, values: dict[str, object], base: str | None = None) -> str:
    """The absolute URL of a console page, for a mail.

    Under ``PUBLIC_URL``, else under ``base`` (the URL root of the request that led here),
    else on the current request's host; with none of them, only the path.
    """
    base = current_app.config["PUBLIC_URL"] or base
    if base:
        parts = urlsplit(base)
        adapter = current_app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )
        return str(adapter.build(endpoint, values, force_external=True))
    if has_request_context():
        # Flask types the values as strings; url_for converts any (a key id, a locale).
        return url_for(endpoint, _external=True, **values)  # type: ignore[arg-type]
    return str(current_app.url_map.bind("localhost").build(endpoint, values))


def _language(user: User) -> str:
    languages: list[str] = current_app.config["LANGUAGES"]
    return user.locale if user.locale and user.locale in languages else languages[0]


def about_key(
    user: User, name: str, key: ApiKey, base: str | None = None, **context: object
) -> Message:
    """The message ``name`` to ``user`` about ``key``: its name, prefix and page."""
    values: dict[str, object] = {"key_id": key.key_id, "lang_code": _language(user)}
    return to_user(
        user,
        name,
        key_name=key.name,
        key_prefix=key.prefix,
        link=public_url("console.key_page", values, base),
        **context,
    )


def tell_leak(key: ApiKey, *, revoked: bool) -> None:
    """Mail the owner that ``key`` was found in public (and revoked, or only flagged)."""
    send_later(about_key(key.user, "key_leaked", key, url=key.leak_url, revoked=revoked))


def tell_new_network(key: ApiKey, network: str, base: str | None = None) -> None:
    """Mail the owner that ``key`` was used from ``network`` (unless they turned it off)."""
    if key.user.notify_new_network:
        send_later(about_key(key.user, "key_new_network", key, base, network=network))


def tell_role_raised(user: User, old_role: str, empowered: int) -> None:
    """Mail ``user`` that their role rose, so ``empowered`` full-access keys act with it."""
    tell(
        user,
        "role_raised",
        old_role=old_role,
        new_role=user.role,
        count=empowered,
        link=public_url("console.index", {"lang_code": _language(user)}),
    )
