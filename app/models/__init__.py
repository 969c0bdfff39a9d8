"""Database models: users and their API keys."""

from app.models.api_key import ApiKey
from app.models.user import ROLES, User

__all__ = ["ROLES", "ApiKey", "User"]
