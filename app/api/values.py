"""The lists of values the API names, each taken from the code that decides it.

The schemas' enums come from here, so a new role or audit action reaches the document
and the validation from one place.
"""

from __future__ import annotations

from app.audit import ACTIONS
from app.keys.listing import STATUSES
from app.keys.rules import ACCESS_LEVELS
from app.models.user import ROLES

ROLE_VALUES = ROLES
ACTION_VALUES = ACTIONS
ACCESS_VALUES = ACCESS_LEVELS
# The keys listing's filters, less "all", which is no status.
KEY_STATUS_VALUES = tuple(status for status in STATUSES if status != "all")
