"""The lists of values the API names, each taken from the enumeration that declares it.

The schemas' enums come from here, so a new role or audit action reaches the document
and the validation from its one declaration.
"""

from __future__ import annotations

from app.audit.actions import AuditAction
from app.keys.access import KeyAccess
from app.keys.permissions import Level, Resource
from app.keys.status import KeyStatus
from app.roles import Role

ROLE_VALUES = tuple(Role)
ACTION_VALUES = tuple(AuditAction)
ACCESS_VALUES = tuple(KeyAccess)
KEY_STATUS_VALUES = tuple(KeyStatus)
RESOURCE_VALUES = tuple(Resource)
LEVEL_VALUES = tuple(Level)
