"""Every domain's tables, imported in one place for Alembic and the ORM mappers."""

from app.accounts.models import LoginAttempt, Organisation, PasswordResetToken, User, UserRole, UserSession
from app.core.db import Base

__all__ = ["Base", "LoginAttempt", "Organisation", "PasswordResetToken", "User", "UserRole", "UserSession"]
