"""Tables of the toolkits domain: methodological toolkits of a course or programme, and their file versions."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, utcnow

Translations = dict[str, str]


class ToolkitKind(StrEnum):
    SLIDES = "slides"
    HANDOUT = "handout"
    EXERCISE = "exercise"
    GUIDE = "guide"
    VIDEO = "video"
    TEMPLATE = "template"


class ToolkitLanguage(StrEnum):
    LT = "lt"
    EN = "en"
    BOTH = "both"


class Toolkit(IdMixin, CreatedAtMixin, Base):
    """A methodological material of one course or of a whole programme; its file lives in its versions.

    Deleting is soft (`deleted_at`): administrators can restore it until `klasteris toolkits purge`
    removes the files and the rows.
    """

    __tablename__ = "toolkits"
    __table_args__ = (
        CheckConstraint("(course_id IS NULL) <> (programme_id IS NULL)", name="one_owner"),
        CheckConstraint("version_count >= 1", name="has_a_version"),
    )

    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"), index=True)
    title: Mapped[Translations] = mapped_column(JSON)
    description: Mapped[Translations] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Shown to everyone signed in, not only to the course's (or programme's) learners and trainers.
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # Case-folded titles, descriptions, tags and file name: a portable substring search on both databases.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The latest version's number; versions are numbered 1, 2, … with no gaps.
    version_count: Mapped[int] = mapped_column(Integer, default=1)
    download_count: Mapped[int] = mapped_column(Integer, default=0)
    # Path of the file under content/ when the toolkit came from a content import (re-imports find it by this).
    content_path: Mapped[str | None] = mapped_column(String(300), unique=True)
    # Fingerprint of the manifest entry last applied: a sync re-applies the description only when the file
    # changed, so a trainer's edit survives ordinary re-imports.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    versions: Mapped[list[ToolkitVersion]] = relationship(
        back_populates="toolkit", lazy="raise", order_by="ToolkitVersion.number", cascade="all, delete-orphan"
    )


class ToolkitVersion(IdMixin, Base):
    """One uploaded file of a toolkit. Files are stored under random keys; the name is only for display."""

    __tablename__ = "toolkit_versions"
    __table_args__ = (UniqueConstraint("toolkit_id", "number"),)

    toolkit_id: Mapped[int] = mapped_column(ForeignKey("toolkits.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    file_name: Mapped[str] = mapped_column(String(200))
    file_type: Mapped[str] = mapped_column(String(10))  # the allowed kind's main extension, e.g. "pdf"
    mime: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    change_note: Mapped[str] = mapped_column(String(500), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    toolkit: Mapped[Toolkit] = relationship(back_populates="versions", lazy="raise")
