"""Refusals and notices of account security (passwords, second factor, links), worded once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

WRONG_CURRENT_PASSWORD = _l("Your current password is not right.")
SAME_PASSWORD = _l("Choose a new password, not the one you have now.")
WRONG_CODE = _l("That code is not right, or was already used. Try the newest code.")
TWO_FACTOR_ALREADY_ON = _l("Your second factor is already on.")
LINK_PASSWORD_WRONG = _l("That is not the password you chose when you signed up.")
