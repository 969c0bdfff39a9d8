"""/api-keys/selection: revoke or narrow several keys at once, after a confirmation.

The keys table's filtered views (the role notice's "keys made before your role changed")
have a checkbox on each row and "select all"; the first POST asks, the second (with
``confirmed``) acts through app/keys/selection.py. Without JavaScript: a confirmation page,
then a redirect back to the list; with htmx: the confirmation in place of the action bar,
then the list, the count of active keys and the role notice, all in one swap.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from app.console import bp, console_actor
from app.console.keys import _empowered_keys, _table
from app.console.keys_table import KeysTable
from app.htmx import announce, is_htmx, render_page_or_fragment
from app.keys.selection import (
    MAX_SELECTED,
    EmptySelection,
    NotYourKeys,
    SelectionAction,
    SelectionResult,
    apply_to_selection,
    own_keys,
)

# Names shown in the confirmation; the rest are counted.
NAMES_SHOWN = 5


@bp.post("/api-keys/selection")
@login_required
def act_on_selection() -> ResponseReturnValue:
    """Ask before revoking or narrowing the selected keys; with ``confirmed``, do it."""
    form = request.form
    listing = KeysTable.from_args(form)
    where: dict[str, Any] = listing.args(page=listing.number)
    back = url_for("console.index", **where)
    try:
        action = SelectionAction(form.get("action", ""))
    except ValueError:
        abort(400, _("Choose what to do with the selected keys."))
    if action == SelectionAction.NO_ADMIN and not current_user.is_admin:
        abort(400, _("Only an admin's keys can reach the admin endpoints."))
    key_ids = form.getlist("key")
    if form.get("all") == "1":
        key_ids = listing.every_key_id(current_user.id, current_user.role_raised_at, MAX_SELECTED)
    try:
        if form.get("confirmed") != "1":
            keys = own_keys(key_ids, current_user.id)
            context = {"keys": keys, "action": action, "listing": listing, "back": back,
                       "shown": keys[:NAMES_SHOWN]}  # fmt: skip
            return render_page_or_fragment(
                "console/selection.html", "console/_selection_confirm.html", **context
            )
        result = apply_to_selection(
            key_ids, action, owner_id=current_user.id, actor=console_actor()
        )
    except EmptySelection as empty:
        if is_htmx():
            abort(422, str(empty))
        flash(str(empty), "error focus")
        return redirect(back, 303)
    except NotYourKeys as refused:
        abort(404, str(refused))
    message = _done(action, result)
    if not is_htmx():
        flash(message, "success focus")
        return redirect(back, 303)
    # The list, and (out of band) the count of active keys, the cap's notice, Create and
    # the role notice: everything the change decides, in the same swap.
    body = render_template(
        "console/_selection_done.html",
        done=message,
        empowered=_empowered_keys() if current_user.role_raised_from else None,
        **_table(listing),
    )
    return body, 200, announce(message)


def _done(action: SelectionAction, result: SelectionResult) -> str:
    """What happened, in words."""
    count = result.changed
    if action == SelectionAction.REVOKE:
        message = ngettext(
            "%(num)d key revoked. Requests using it are now refused.",
            "%(num)d keys revoked. Requests using them are now refused.",
            count,
        )
    elif action == SelectionAction.READ_ONLY:
        message = ngettext(
            "%(num)d key is now read-only.", "%(num)d keys are now read-only.", count
        )
    else:
        message = ngettext(
            "%(num)d key no longer reaches the admin endpoints.",
            "%(num)d keys no longer reach the admin endpoints.",
            count,
        )
    if result.unchanged:
        message += " " + ngettext(
            "%(num)d key needed no change.", "%(num)d keys needed no change.", result.unchanged
        )
    return message
