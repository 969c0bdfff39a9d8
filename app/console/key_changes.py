"""A key's page: edit what narrows it, disable it, enable it again.

Plain forms that redirect back to the key's page (they work without JavaScript); a bad
edit shows the page again with the message and the fields as sent (422), changing nothing.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.console import bp, console_actor
from app.console.forms import edit_from
from app.console.key_page import _own_key_or_404, page_context
from app.keys import service
from app.keys.rules import KeyRefused


@bp.post("/api-keys/<key_id>/edit")
@login_required
def edit_key(key_id: str) -> ResponseReturnValue:
    """Change the key's name, description, networks or rate limit, or narrow its permissions."""
    key = _own_key_or_404(key_id)
    try:
        service.edit_key(key_id, edit_from(request.form), owner_id=current_user.id,
                         actor=console_actor())  # fmt: skip
    except KeyRefused as refused:
        context = {**page_context(service.get_key(key_id, owner_id=current_user.id) or key),
                   "edit_error": str(refused), "edit_form": request.form}  # fmt: skip
        return render_template("console/key.html", **context), 422
    flash(_("Key saved. The change applies from its next request."), "success")
    return redirect(url_for("console.key_page", key_id=key_id))


@bp.post("/api-keys/<key_id>/disable")
@login_required
def disable_key(key_id: str) -> ResponseReturnValue:
    """Disable the key until it is enabled again."""
    key = service.disable_key(key_id, owner_id=current_user.id, actor=console_actor())
    if key is None:
        abort(404, _("You have no key with that id."))
    flash(_("Key “%(name)s” disabled. Requests using it are refused until you enable it.",
            name=key.name), "success")  # fmt: skip
    return redirect(url_for("console.key_page", key_id=key_id))


@bp.post("/api-keys/<key_id>/enable")
@login_required
def enable_key(key_id: str) -> ResponseReturnValue:
    """Enable a disabled key again."""
    try:
        key = service.enable_key(key_id, owner_id=current_user.id, actor=console_actor())
    except KeyRefused as refused:
        flash(str(refused), "error")
        return redirect(url_for("console.key_page", key_id=key_id))
    if key is None:
        abort(404, _("You have no key with that id."))
    flash(_("Key “%(name)s” enabled.", name=key.name), "success")
    return redirect(url_for("console.key_page", key_id=key_id))
