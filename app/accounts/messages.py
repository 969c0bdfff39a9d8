"""Every refusal a person can fix about an account, worded once.

Each is a short sentence for the person at the form or the command line, distinct from
the others, so it can be translated as it is. Libraries' own messages (email-validator's,
say) are never shown: they are mapped to one of these.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l


class AccountRefused(ValueError):
    """A refusal the person can fix; ``str()`` is the message to show them."""


INVALID_EMAIL = _l("Enter a valid email address, such as ada@example.com.")
INVISIBLE_CHARACTERS = _l(
    "Email addresses cannot contain invisible or formatting characters. Type the address again."
)
EMAIL_TAKEN = _l("An account for %(email)s already exists.")
# Never says which account: that would tell a stranger who has one.
LOOKALIKE_EMAIL = _l(
    "That email looks too much like an existing account's. Use a different address."
)
NO_USER = _l("No user with email %(email)s.")

PASSWORD_TOO_SHORT = _l("Passwords need at least %(minimum)d characters.")
PASSWORD_TOO_LONG = _l(
    "Passwords can be at most %(maximum)d bytes (UTF-8); this one has %(length)d. "
    "Use a shorter one."
)
PASSWORD_HAS_NUL = _l("Passwords cannot contain a NUL character.")
PASSWORD_CONTAINS_EMAIL = _l(
    "Choose a password that does not contain your email address or the name before its @."
)
PASSWORD_TOO_COMMON = _l("That password is too common. Choose one that is harder to guess.")

UNKNOWN_ROLE = _l("Unknown role “%(role)s”: choose %(roles)s.")
ACTIVE_NOT_BOOLEAN = _l("'active' must be true or false.")
CANNOT_DEMOTE_SELF = _l("You cannot demote or deactivate yourself; ask another admin.")
LAST_ADMIN = _l("There must always be an active admin; promote another user first.")
