"""API tokens. Only a token's SHA-256 digest is stored; the token itself is shown once, when it is made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime


class ApiToken(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the token, shown in lists so people can tell their tokens apart.
    token_prefix: Mapped[str] = mapped_column(String(16))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # A token may be limited to one organisation's records (for that organisation's HR system).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Fixed-window rate limit kept on the row, so every worker process counts against the same limit.
    window_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    window_count: Mapped[int] = mapped_column(Integer, default=0)


__all__ = ["ApiToken"]
