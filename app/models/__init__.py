"""Database models: users, their sessions, their API keys and what happened to them."""

from app.models.api_key import ApiKey
from app.models.audit_event import AuditEvent
from app.models.one_time_link import OneTimeLink
from app.models.recovery_code import RecoveryCode
from app.models.usage import KeyNetwork, KeyUsage
from app.models.user import User
from app.models.user_session import UserSession

__all__ = [
    "ApiKey",
    "AuditEvent",
    "KeyNetwork",
    "KeyUsage",
    "OneTimeLink",
    "RecoveryCode",
    "User",
    "UserSession",
]
