"""Tables of the question bank: categories per course, questions, and every version of each question."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime


class QuestionCategory(IdMixin, Base):
    """A folder of a course's question bank, named by its path below the top ("" is the top itself)."""

    __tablename__ = "question_categories"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(500))


class Question(IdMixin, CreatedAtMixin, Base):
    """A question of a course's bank. Its content lives in versions, so attempts keep the version they saw."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "source_key"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("question_categories.id", ondelete="RESTRICT"), index=True)
    language: Mapped[str] = mapped_column(String(5))
    question_type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(255))
    # Where a question imported from the content folder came from ("quiz.lt.gift#Q3 Title"), for re-syncing.
    source_key: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer, default=0)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", lazy="raise", order_by="QuestionVersion.version", cascade="all, delete-orphan"
    )


class QuestionVersion(IdMixin, CreatedAtMixin, Base):
    """One saved state of a question: the format-neutral model (app.quizzes.interchange) as JSON."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))

    question: Mapped[Question] = relationship(back_populates="versions", lazy="raise")
