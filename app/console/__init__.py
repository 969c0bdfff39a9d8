"""The signed-in console: /api-keys to create, list and revoke keys; /admin for admins."""

from flask import Blueprint, request
from flask.blueprints import BlueprintSetupState
from flask_login import current_user

from app.audit import Actor
from app.ratelimit import client_address

bp = Blueprint("console", __name__)


@bp.record_once
def _register_labels(state: BlueprintSetupState) -> None:
    from app.console import event_words, form_tokens, labels

    labels.init_app(state.app)
    event_words.init_app(state.app)
    form_tokens.init_app(state.app)


def console_actor() -> Actor:
    """The signed-in user acting through this request, from the client's address."""
    return Actor.for_user(current_user, client_address(), request.user_agent.string)


# The routes and template filters register themselves on bp.
from app.console import activity, admin, key_changes, key_page, key_selection, keys  # noqa: E402, F401
