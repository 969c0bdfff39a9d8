"""/api-keys: find, create (shown once) and revoke keys; as HTMX fragments or full pages.

Every view works without JavaScript (plain forms, links and redirects); with htmx it
answers the fragment the page swaps in, decided once by ``render_page_or_fragment``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app import accounts
from app.auth import safe_next
from app.console import bp, console_actor, form_tokens
from app.console.forms import EXPIRY_DAYS, expiry_from, replacement_form, scope_from
from app.console.keys_table import KeysPage, KeysTable
from app.htmx import announce, is_htmx, render_page_or_fragment
from app.keys import service, verifier_secret
from app.keys.access import KeyAccess
from app.keys.allowed_networks import MAX_NETWORKS
from app.keys.descriptions import MAX_DESCRIPTION_LENGTH
from app.keys.key_list import keys_page
from app.keys.leaks import leaks_to_show
from app.keys.rules import MAX_NAME_LENGTH, KeyRefused
from app.keys.status import KeyStatus
from app.metrics import RATE_LIMITED
from app.models import ApiKey
from app.models.columns import utcnow
from app.paging import MAX_LIMIT
from app.ratelimit import limit_counter, parse_rate_limit, rate_limit_for, seconds_until
from app.usage import networks

# Names the budget of keys a user makes (creates and rotations) in the limiter storage.
KEYS_MADE = "keys-made"


def _table(listing: KeysTable | None = None) -> dict[str, Any]:
    """What the keys section needs to render."""
    listing = listing or KeysTable()
    page = listing.page(current_user.id, current_user.role_raised_at)
    return {
        "keys": page.rows,
        "listed": page,
        "listing": listing,
        "now": utcnow(),
        **_key_counts(),
    }


def _key_counts() -> dict[str, int]:
    """The user's active keys and the cap: what the count, the cap notice and Create show."""
    return {
        "active_count": service.active_key_count(current_user.id),
        "max_active": current_app.config["MAX_ACTIVE_KEYS_PER_USER"],
    }


def _own_key_or_404(key_id: str) -> ApiKey:
    key = service.get_key(key_id, owner_id=current_user.id)
    if key is None:
        abort(404, _("You have no key with that id."))
    return key


@bp.get("/api-keys")
@login_required
def index() -> ResponseReturnValue:
    """The user's keys, a page at a time, with search, filter and sort, and their notices."""
    context = _table(KeysTable.from_args(request.args))
    if is_htmx() and request.headers.get("HX-Target") == "keys":
        return render_template("console/_keys.html", **context)
    context["new_networks"] = networks.unacknowledged_of(current_user.id)
    context["empowered"] = _empowered_keys() if current_user.role_raised_from else None
    context["leaked"] = leaks_to_show(current_user.id, utcnow())
    return render_template("console/index.html", **context)


def _empowered_keys() -> KeysPage:
    """The active full keys made before the user's role rose: all counted, a few named."""
    return KeysTable(raised=True).page(current_user.id, current_user.role_raised_at)


@bp.get("/api-keys/create")
@login_required
def new_key() -> ResponseReturnValue:
    """The create form: a fragment when HTMX asks, a full page otherwise."""
    counts = _key_counts()
    at_cap = counts["active_count"] >= counts["max_active"]
    # ?like=<key id>: a replacement for that key (an expired one's page offers it).
    like = request.args.get("like")
    replacing = _own_key_or_404(like) if like else None
    form = replacement_form(replacing) if replacing else {}
    return render_page_or_fragment(
        "console/create.html", "console/_create_form.html", at_cap=at_cap, replacing=replacing,
        **_form_context(form),
    )  # fmt: skip


def _form_context(form: Mapping[str, str], error: str | None = None) -> dict[str, Any]:
    return {
        "form": form,
        "error": error,
        "max_length": MAX_NAME_LENGTH,
        "max_description": MAX_DESCRIPTION_LENGTH,
        "max_networks": MAX_NETWORKS,
        "role_limit": rate_limit_for(current_user.role),
        "expiry_days": EXPIRY_DAYS,
        "today": utcnow().date(),
    }


def too_many_keys_made() -> tuple[str, dict[str, str]] | None:
    """Count an attempt to make a key (create or rotate) against the user's budget.

    Each costs a bcrypt hash, so ``KEY_CREATE_RATE_LIMIT`` bounds them per user; the
    command line, an operator's tool, is not counted. When the budget is spent: the message
    and the ``Retry-After`` header; else None.
    """
    item = parse_rate_limit(current_app.config["KEY_CREATE_RATE_LIMIT"])
    allowed, window = limit_counter().hit_and_window(item, KEYS_MADE, str(current_user.id))
    if allowed:
        return None
    RATE_LIMITED.labels("key_create", current_user.role).inc()
    wait = seconds_until(window.reset_time)
    minutes = math.ceil(wait / 60)
    message = ngettext(
        "You have made too many keys in a short time. Try again in %(num)d minute.",
        "You have made too many keys in a short time. Try again in %(num)d minutes.",
        minutes,
    )
    return message, {"Retry-After": str(wait)}


@bp.post("/api-keys")
@login_required
def create_key() -> ResponseReturnValue:
    """Create a key and show it once: never redirected, flashed or stored in the session."""
    form = request.form
    if not form_tokens.spend(form.get("form_token")):
        return already_sent()
    spent = too_many_keys_made()
    if spent is not None:
        return _form_again(form, spent[0], 429, spent[1])
    try:
        key, full_key = service.create_key(
            current_user,
            form.get("name", ""),
            rounds=current_app.config["BCRYPT_ROUNDS"],
            verifier=verifier_secret(current_app),
            max_active=current_app.config["MAX_ACTIVE_KEYS_PER_USER"],
            expires_at=expiry_from(form, utcnow()),
            access=form.get("access", KeyAccess.FULL),
            actor=console_actor(),
            scope=scope_from(form),
        )
    except KeyRefused as refused:
        return _form_again(form, str(refused), 422)
    duplicate = key.name in _other_names(key.key_id)
    context = {"key": key, "full_key": full_key, "duplicate_name": duplicate, **_table()}
    body = render_page_or_fragment(
        "console/created.html", "console/_created_fragment.html", **context
    )
    # The key is in this answer and nowhere else: no cache, proxy or back button keeps it
    # (Cache-Control: no-store on every page, app/http.py; console.js drops a restored one).
    return body, 200, announce(_("Key created"))


def already_sent() -> ResponseReturnValue:
    """The answer to a form that made a key, sent again (a reload): the keys, no new key."""
    message = _(
        "That form was already sent, and the key it made was shown once. Nothing new was made."
    )
    flash(message, "info focus")
    return redirect(url_for("console.index"), 303)


def _form_again(
    form: Mapping[str, str], message: str, status: int, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    """The create form again, with ``message``, as a ``status`` answer."""
    body = render_page_or_fragment(
        "console/create.html", "console/_create_form.html", **_form_context(form, message)
    )
    # htmx sent the form to put a reveal on top; the form with its message replaces itself.
    retarget = {"HX-Retarget": "#form-slot", "HX-Reswap": "innerHTML"} if is_htmx() else {}
    return body, status, {**(headers or {}), **retarget}


def _other_names(key_id: str) -> set[str]:
    page = keys_page(owner_id=current_user.id, limit=MAX_LIMIT, status=KeyStatus.ACTIVE)
    return {key.name for key in page.rows if key.key_id != key_id}


@bp.get("/api-keys/<key_id>/revoke")
@login_required
def confirm_revoke(key_id: str) -> ResponseReturnValue:
    """Ask before revoking: a row in place for HTMX, a page without JavaScript."""
    key = _own_key_or_404(key_id)
    if key.status == KeyStatus.REVOKED:
        return redirect(url_for("console.index"))
    return render_page_or_fragment(
        "console/revoke.html", "console/_revoke_confirm_row.html", key=key, now=utcnow(),
        selecting=_selecting(),
    )  # fmt: skip


def _selecting() -> bool:
    """Whether the row sits in a list with checkboxes (``?select=1``, the role notice's)."""
    return request.args.get("select") == "1"


@bp.get("/api-keys/<key_id>/row")
@login_required
def key_row(key_id: str) -> ResponseReturnValue:
    """One row of the table (what Cancel on the confirmation puts back)."""
    if not is_htmx():
        return redirect(url_for("console.index"))
    return render_template(
        "console/_key_row.html", key=_own_key_or_404(key_id), now=utcnow(), focus_revoke=True,
        selecting=_selecting(),
    )  # fmt: skip


@bp.post("/api-keys/<key_id>/revoke")
@login_required
def revoke_key(key_id: str) -> ResponseReturnValue:
    """Revoke a key for good; the row turns to Revoked in place (or the page reloads)."""
    key = service.revoke_key(key_id, owner_id=current_user.id, actor=console_actor())
    if key is None:
        abort(404, _("You have no key with that id."))
    message = _("Key “%(name)s” revoked. Requests using it are now refused.", name=key.name)
    if is_htmx():
        # The row, and (out of band) everything the count of active keys decides: the
        # count, the notice at the cap and the Create control, in the same swap.
        body = render_template(
            "console/_revoked_fragment.html",
            key=key,
            now=utcnow(),
            revoked=True,
            selecting=_selecting(),
            keys=[key],
            listing=KeysTable(),
            **_key_counts(),
        )
        return body, 200, announce(message)
    flash(message, "success")
    return redirect(safe_next(request.form.get("back")) or url_for("console.index"))


@bp.post("/api-keys/notices/role/dismiss")
@login_required
def dismiss_role_notice() -> ResponseReturnValue:
    """Hide the notice about keys that gained power with the user's role."""
    accounts.dismiss_role_notice(current_user)
    return redirect(url_for("console.index"))
