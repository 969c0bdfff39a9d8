"""Every refusal a person can fix about an account, worded once.

Each is a short sentence for the person at the form or the command line, distinct from
the others, so it can be translated as it is. Libraries' own messages (email-validator's,
say) are never shown: they are mapped to one of these.
"""

from __future__ import annotations


class AccountRefused(ValueError):
    """A refusal the person can fix; ``str()`` is the message to show them."""


INVALID_EMAIL = "Enter a valid email address, such as ada@example.com."
INVISIBLE_CHARACTERS = (
    "Email addresses cannot contain invisible or formatting characters. Type the address again."
)
EMAIL_TAKEN = "An account for {email} already exists."
# Never says which account: that would tell a stranger who has one.
LOOKALIKE_EMAIL = "That email looks too much like an existing account's. Use a different address."
NO_USER = "No user with email {email}."

PASSWORD_TOO_SHORT = "Passwords need at least {minimum} characters."
PASSWORD_TOO_LONG = (
    "Passwords can be at most {maximum} bytes (UTF-8); this one has {length}. Use a shorter one."
)
PASSWORD_CONTAINS_EMAIL = (
    "Choose a password that does not contain your email address or the name before its @."
)
PASSWORD_TOO_COMMON = "That password is too common. Choose one that is harder to guess."

UNKNOWN_ROLE = "Unknown role {role!r}: choose {roles}."
ACTIVE_NOT_BOOLEAN = "'active' must be true or false."
CANNOT_DEMOTE_SELF = "You cannot demote or deactivate yourself; ask another admin."
LAST_ADMIN = "There must always be an active admin; promote another user first."
