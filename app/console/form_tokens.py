"""Forms that make a key are good for one answer: a reload that sends one again makes nothing.

Without JavaScript a create or a rotation is answered by its POST (the key is shown in that
answer and nowhere else), so the browser's reload offers to send the form again. Each such
form carries a token of its own; the session remembers the last few spent, and a token
seen before is refused.
"""

from __future__ import annotations

import secrets

from flask import session
from flask.sansio.app import App

SPENT = "spent_forms"
# A person has only so many forms open at once; older tokens can go.
KEEP = 20


def new_form_token() -> str:
    """A fresh token for one form."""
    return secrets.token_urlsafe(16)


def spend(token: str | None) -> bool:
    """Mark ``token`` used; False when it already was (the same form sent again).

    A form without a token (a script posting directly) is not held to it.
    """
    if not token:
        return True
    spent = list(session.get(SPENT, []))
    if token in spent:
        return False
    session[SPENT] = [*spent[-(KEEP - 1) :], token]
    return True


def init_app(app: App) -> None:
    """Let templates give a form its token: ``form_token()``."""
    app.jinja_env.globals["form_token"] = new_form_token
