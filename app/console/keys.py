"""/api-keys: list, create (shown once) and revoke keys, as HTMX fragments or full pages."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.console import bp, console_actor
from app.htmx import announce, is_htmx, render_page_or_fragment
from app.keys import service
from app.keys.listing import keys_page
from app.keys.rules import MAX_NAME_LENGTH, KeyRefused

PAGE_SIZE = 50


def _keys():
    return keys_page(owner_id=current_user.id, limit=PAGE_SIZE).rows


def _own_key_or_404(key_id: str):
    key = service.get_key(key_id, owner_id=current_user.id)
    if key is None:
        abort(404, "You have no key with that id.")
    return key


@bp.get("/api-keys")
@login_required
def index():
    """The table of the user's keys, newest first, with the create control."""
    return render_template("console/index.html", keys=_keys())


@bp.get("/api-keys/create")
@login_required
def new_key():
    """The create form: a fragment when HTMX asks, a full page otherwise."""
    return render_page_or_fragment(
        "console/create.html",
        "console/_create_form.html",
        name="",
        max_length=MAX_NAME_LENGTH,
    )


@bp.post("/api-keys")
@login_required
def create_key():
    """Create a key and show it once: never redirected, flashed or stored in the session."""
    name = request.form.get("name", "")
    try:
        key, full_key = service.create_key(
            current_user,
            name,
            rounds=current_app.config["BCRYPT_ROUNDS"],
            max_active=current_app.config["MAX_ACTIVE_KEYS_PER_USER"],
            actor=console_actor(),
        )
    except KeyRefused as refused:
        body = render_page_or_fragment(
            "console/create.html",
            "console/_create_form.html",
            name=name,
            error=str(refused),
            max_length=MAX_NAME_LENGTH,
        )
        return body, 422
    context = {"key": key, "full_key": full_key, "keys": _keys()}
    body = render_page_or_fragment(
        "console/created.html", "console/_created_fragment.html", **context
    )
    # The key is in this answer and nowhere else: no cache, proxy or back button keeps it
    # (Cache-Control: no-store on every page, app/http.py; console.js drops a restored one).
    return body, 200, announce("Key created")


@bp.get("/api-keys/<key_id>/revoke")
@login_required
def confirm_revoke(key_id: str):
    """Ask before revoking: a row in place for HTMX, a page without JavaScript."""
    key = _own_key_or_404(key_id)
    if key.status == "revoked":
        return redirect(url_for("console.index"))
    return render_page_or_fragment(
        "console/revoke.html", "console/_revoke_confirm_row.html", key=key
    )


@bp.get("/api-keys/<key_id>/row")
@login_required
def key_row(key_id: str):
    """One row of the table (what Cancel on the confirmation puts back)."""
    if not is_htmx():
        return redirect(url_for("console.index"))
    return render_template("console/_key_row.html", key=_own_key_or_404(key_id))


@bp.post("/api-keys/<key_id>/revoke")
@login_required
def revoke_key(key_id: str):
    """Revoke a key for good; the row turns to Revoked in place (or the page reloads)."""
    key = service.revoke_key(key_id, owner_id=current_user.id, actor=console_actor())
    if key is None:
        abort(404, "You have no key with that id.")
    if is_htmx():
        return render_template("console/_key_row.html", key=key), 200, announce("Key revoked")
    flash(f"Key “{key.name}” revoked. Requests using it are now refused.", "success")
    return redirect(url_for("console.index"))
