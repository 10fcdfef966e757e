"""Tables of the accounts domain: organisations, users, roles, sessions, resets and login attempts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.access import Role
from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime


class Organisation(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "organisations"

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_lt: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    website: Mapped[str | None] = mapped_column(String(255))
    country: Mapped[str] = mapped_column(String(2), default="LT")

    def name(self, locale: str) -> str:
        return self.name_lt if locale == "lt" else self.name_en


class User(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "users"

    # Stored lower-cased, so the unique index makes addresses unique regardless of case.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="RESTRICT"), index=True)
    locale: Mapped[str] = mapped_column(String(5), default="lt")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Set when an administrator erased the person's data; the row stays so completion facts still count.
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(lazy="raise")
    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="raise", order_by="UserRole.role"
    )

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(grant.role) for grant in self.roles)

    def has_role(self, role: Role) -> bool:
        return role in self.role_set


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    user: Mapped[User] = relationship(back_populates="roles", lazy="raise")


class UserSession(IdMixin, CreatedAtMixin, Base):
    """A signed-in browser. Only the token's SHA-256 digest is stored."""

    __tablename__ = "user_sessions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    user: Mapped[User] = relationship(lazy="raise")


class PasswordResetToken(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "password_reset_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(lazy="raise")


class LoginAttempt(IdMixin, CreatedAtMixin, Base):
    """Kept in the database so throttling holds across several worker processes."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_created", "email", "created_at"),
        Index("ix_login_attempts_ip_created", "ip_address", "created_at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str] = mapped_column(String(45))
    succeeded: Mapped[bool] = mapped_column(Boolean)


class UserImport(IdMixin, CreatedAtMixin, Base):
    """An uploaded list of people, kept between its preview and its confirmation.

    Confirming applies the rows once: a second confirm (double submit, back button) finds applied_at set.
    """

    __tablename__ = "user_imports"

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    # The parsed rows with their checks, exactly as previewed: confirming applies what was shown.
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    applied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Counts of what confirming did (created, updated, unchanged, skipped).
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


__all__ = ["LoginAttempt", "Organisation", "PasswordResetToken", "User", "UserImport", "UserRole", "UserSession"]
