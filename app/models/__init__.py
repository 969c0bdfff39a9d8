"""Database models: users, their sessions and their API keys."""

from app.models.api_key import ApiKey
from app.models.user import ROLES, User
from app.models.user_session import UserSession

__all__ = ["ROLES", "ApiKey", "User", "UserSession"]
