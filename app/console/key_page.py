"""/api-keys/<key id>: one key's details, its 30 days of use, its events; rotate it.

Editing, disabling and enabling it: key_changes.py.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.audit.queries import events_page
from app.auth import safe_next
from app.console import bp, console_actor, form_tokens
from app.console.charts import usage_chart
from app.console.forms import GRACE_PERIODS, grace_from, values_of
from app.console.key_use import last_refused
from app.console.keys import already_sent, too_many_keys_made
from app.htmx import announce, render_page_or_fragment
from app.keys import service, verifier_secret
from app.keys.allowed_networks import MAX_NETWORKS, network_list
from app.keys.descriptions import MAX_DESCRIPTION_LENGTH
from app.keys.permissions import levels
from app.keys.rules import MAX_NAME_LENGTH, KeyRefused
from app.models import ApiKey
from app.models.columns import utcnow
from app.ratelimit import rate_limit_for
from app.usage import networks
from app.usage import store as usage_store

EVENTS_SHOWN = 20


def _own_key_or_404(key_id: str) -> ApiKey:
    key = service.get_key(key_id, owner_id=current_user.id)
    if key is None:
        abort(404, _("You have no key with that id."))
    return key


def page_context(key: ApiKey) -> dict[str, object]:
    """What the key's page shows (the edit form shows the key as it is)."""
    days = usage_store.last_days(key.id)
    replaced = (
        service.get_key(key.replaced_by, owner_id=current_user.id) if key.replaced_by else None
    )
    return {
        "key": key,
        "now": utcnow(),
        "days": days,
        "chart": usage_chart(days),
        "last_refused": last_refused(key.key_id, days),
        "events": events_page(
            limit=EVENTS_SHOWN, target=f"key:{key.key_id}", viewer_id=current_user.id
        ).rows,
        "new_networks": networks.unacknowledged_of(current_user.id, key.id),
        "replaced_by": replaced,
        "replaces": service.replaced_key(key.key_id),
        "grace_periods": GRACE_PERIODS,
        "levels": levels(key.access, key.permissions),
        "networks_text": "\n".join(network_list(key.allowed_networks)),
        "key_values": values_of(key),
        "max_length": MAX_NAME_LENGTH,
        "max_description": MAX_DESCRIPTION_LENGTH,
        "max_networks": MAX_NETWORKS,
        "role_limit": rate_limit_for(current_user.role),
        "edit_form": {},
    }


@bp.get("/api-keys/<key_id>")
@login_required
def key_page(key_id: str) -> ResponseReturnValue:
    """Everything about one key, and what can be done with it."""
    return render_template("console/key.html", **page_context(_own_key_or_404(key_id)))


@bp.post("/api-keys/<key_id>/rotate")
@login_required
def rotate_key(key_id: str) -> ResponseReturnValue:
    """Replace the key: the new one is shown once; the old one works for the grace chosen."""
    key = _own_key_or_404(key_id)
    if not form_tokens.spend(request.form.get("form_token")):
        return already_sent()
    spent = too_many_keys_made()
    if spent is not None:
        return _rotate_form_again(key, spent[0], 429, spent[1])
    try:
        rotated = service.rotate_key(
            key_id,
            owner_id=current_user.id,
            grace=grace_from(request.form),
            rounds=current_app.config["BCRYPT_ROUNDS"],
            verifier=verifier_secret(current_app),
            max_active=current_app.config["MAX_ACTIVE_KEYS_PER_USER"],
            actor=console_actor(),
        )
    except KeyRefused as refused:
        return _rotate_form_again(key, str(refused), 422)
    if rotated is None:
        abort(404, _("You have no key with that id."))
    old, new, full_key = rotated
    context = {"key": new, "old": old, "full_key": full_key, "now": utcnow()}
    body = render_page_or_fragment("console/rotated.html", "console/_rotated.html", **context)
    return body, 200, announce(_("Key rotated"))


def _rotate_form_again(
    key: ApiKey, message: str, status: int, headers: dict[str, str] | None = None
) -> tuple[str, int, dict[str, str]]:
    context = {**page_context(key), "rotate_error": message}
    body = render_page_or_fragment("console/key.html", "console/_rotate_form.html", **context)
    return body, status, headers or {}


@bp.post("/api-keys/<key_id>/networks/acknowledge")
@login_required
def acknowledge_networks(key_id: str) -> ResponseReturnValue:
    """The owner has seen the key's new networks: stop showing them."""
    key = _own_key_or_404(key_id)
    network = request.form.get("network") or None
    networks.acknowledge(key.id, network)
    # The page reloads: the message takes the focus, so it is not lost to the page's top.
    message = _(
        "Noted: you recognise where “%(name)s” (%(prefix)s…) was used from.",
        name=key.name,
        prefix=key.prefix,
    )
    flash(message, "success focus")
    back = safe_next(request.form.get("back"))
    return redirect(back or url_for("console.key_page", key_id=key_id))
