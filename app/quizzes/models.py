"""Tables of the quiz engine: the question bank (categories, questions, versions), quizzes, attempts, grades."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, utcnow


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
    # Fingerprint of the question in its content file when last synced; an unchanged file keeps trainer edits.
    source_hash: Mapped[str | None] = mapped_column(String(64))
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


class Quiz(IdMixin, Base):
    """A course's quiz (one per course): its settings and, through slots, which questions it asks."""

    __tablename__ = "quizzes"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    pass_mark: Mapped[float] = mapped_column(Float, default=70.0)  # percent
    max_attempts: Mapped[int] = mapped_column(Integer, default=0)  # 0: unlimited
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    grading_method: Mapped[str] = mapped_column(String(10), default="highest")
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_answers: Mapped[bool] = mapped_column(Boolean, default=True)
    questions_per_page: Mapped[int] = mapped_column(Integer, default=5)  # 0: all on one page
    feedback_timing: Mapped[str] = mapped_column(String(15), default="after_submit")
    review_marks: Mapped[str] = mapped_column(String(15), default="immediately")
    review_answers: Mapped[str] = mapped_column(String(15), default="immediately")
    review_feedback: Mapped[str] = mapped_column(String(15), default="immediately")
    open_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    close_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Fingerprint of the course.yaml quiz settings last applied: a sync only overrides trainer edits
    # when the file itself changed.
    content_settings_hash: Mapped[str | None] = mapped_column(String(64))

    slots: Mapped[list[QuizSlot]] = relationship(
        back_populates="quiz", lazy="raise", order_by="QuizSlot.position", cascade="all, delete-orphan"
    )


class QuizSlot(IdMixin, Base):
    """One place in a quiz: a fixed question, or a number of questions drawn at random from a category."""

    __tablename__ = "quiz_slots"
    __table_args__ = (CheckConstraint("(question_id IS NULL) <> (category_id IS NULL)", name="question_or_category"),)

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_categories.id", ondelete="CASCADE"), index=True
    )
    random_count: Mapped[int] = mapped_column(Integer, default=0)

    quiz: Mapped[Quiz] = relationship(back_populates="slots", lazy="raise")


class AttemptState(StrEnum):
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


class QuizAttempt(IdMixin, Base):
    """One person's try at a quiz. `number` counts that person's attempts, so URLs never expose others'."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # Trainers' and admins' tries: shown to them, never counted in grades, results or statistics.
    is_preview: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(5))
    state: Mapped[str] = mapped_column(String(15), default=AttemptState.IN_PROGRESS, index=True)
    # Seed of the shuffles; the drawn order itself is stored per question below, so reviews match.
    seed: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    auto_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)  # None until every answer is graded
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    grade: Mapped[float | None] = mapped_column(Float)  # percent of max_score
    needs_grading: Mapped[bool] = mapped_column(Boolean, default=False)

    quiz: Mapped[Quiz] = relationship(lazy="raise")
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", lazy="raise", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )


class AttemptQuestion(IdMixin, Base):
    """A question as one attempt shows it: the version seen, the shuffled order, the saved response, the mark."""

    __tablename__ = "attempt_questions"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based, in the order shown
    page: Mapped[int] = mapped_column(Integer)  # 1-based
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="RESTRICT"), index=True)
    max_mark: Mapped[float] = mapped_column(Float)
    # Original answer indexes in display order; for matching {"prompts": [...], "choices": [...]}.
    display_order: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    response: Mapped[Any] = mapped_column(JSON, nullable=True)
    saved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Immediate feedback: once checked, the answer is locked and graded.
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(15), default="unanswered")
    fraction: Mapped[float | None] = mapped_column(Float)
    mark: Mapped[float | None] = mapped_column(Float)
    # A trainer's mark (essays, or an override) and comment; kept when the attempt is regraded.
    manual_mark: Mapped[float | None] = mapped_column(Float)
    manual_comment: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    attempt: Mapped[QuizAttempt] = relationship(back_populates="questions", lazy="raise")
    version: Mapped[QuestionVersion] = relationship(lazy="raise")


class QuizGrade(IdMixin, Base):
    """A learner's grade for a quiz across attempts, by the quiz's grading method; what completion reads."""

    __tablename__ = "quiz_grades"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id"),)

    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    grade: Mapped[float | None] = mapped_column(Float)  # percent; None while an attempt awaits grading
    finished_attempts: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the grade first reached the pass mark (kept while it stays passed): the completion date reads it.
    passed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
