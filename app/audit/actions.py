"""Every kind of event the audit log records; its value is what is stored and exported.

A member is never removed or renamed: the log keeps every event ever recorded.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    """What an audit event says happened."""

    USER_CREATED = "user.created"
    USER_SIGNED_IN = "user.signed_in"
    USER_SIGN_IN_FAILED = "user.sign_in_failed"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_SESSIONS_ENDED = "user.sessions_ended"
    USER_SESSION_ENDED = "user.session_ended"
    USER_PASSWORD_CHANGED = "user.password_changed"
    USER_PASSWORD_RESET_REQUESTED = "user.password_reset_requested"
    USER_PASSWORD_RESET = "user.password_reset"
    USER_TWO_FACTOR_ENABLED = "user.two_factor_enabled"
    USER_TWO_FACTOR_DISABLED = "user.two_factor_disabled"
    USER_RECOVERY_CODE_USED = "user.recovery_code_used"
    USER_RECOVERY_CODES_REPLACED = "user.recovery_codes_replaced"
    KEY_CREATED = "key.created"
    KEY_ROTATED = "key.rotated"
    KEY_REVOKED = "key.revoked"
    KEY_NEW_NETWORK = "key.new_network"
    KEY_DISABLED = "key.disabled"
    KEY_ENABLED = "key.enabled"
    KEY_EDITED = "key.edited"
    KEY_ADDRESS_REFUSED = "key.address_refused"
    KEY_LEAKED = "key.leaked"
