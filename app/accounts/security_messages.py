"""Refusals and notices of account security (passwords, second factor, links), worded once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

WRONG_CURRENT_PASSWORD = _l("Your current password is not right.")
SAME_PASSWORD = _l("Choose a new password, not the one you have now.")
WRONG_CODE = _l("That code is not right, or was already used. Try the newest code.")
CODE_NEEDED = _l("Enter the 6-digit code from your app, or a recovery code.")
TWO_FACTOR_ALREADY_ON = _l("Your second factor is already on.")
TWO_FACTOR_OFF = _l("Your second factor is off.")
LINK_PASSWORD_WRONG = _l("That is not the password you chose when you signed up.")
EMAIL_TAKEN_NOW = _l("An account for %(email)s already exists. Sign in, or reset its password.")
