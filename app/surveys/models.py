"""Satisfaction surveys. Answers are stored without the person: an invitation records *that* someone
answered (so they answer once), the response records *what* was answered, and nothing links the two."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, utcnow
from app.courses.models import Translations


class QuestionKind(enum.StrEnum):
    LIKERT = "likert"  # 1 (strongly disagree) … 5 (strongly agree)
    TEXT = "text"  # a free-text comment


class Survey(IdMixin, CreatedAtMixin, Base):
    """A reusable survey template; attached to events and courses."""

    __tablename__ = "surveys"

    title: Mapped[Translations] = mapped_column(JSON)
    introduction: Mapped[Translations] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    questions: Mapped[list[SurveyQuestion]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="SurveyQuestion.position"
    )


class SurveyQuestion(IdMixin, Base):
    __tablename__ = "survey_questions"
    __table_args__ = (UniqueConstraint("survey_id", "position"),)

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[Translations] = mapped_column(JSON)
    required: Mapped[bool] = mapped_column(default=True)


class SurveyTarget(IdMixin, Base):
    """A survey attached to one event or one course (exactly one of the two)."""

    __tablename__ = "survey_targets"
    __table_args__ = (
        CheckConstraint("(event_id IS NULL) <> (course_id IS NULL)", name="event_or_course"),
        UniqueConstraint("event_id"),
        UniqueConstraint("course_id"),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="RESTRICT"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("training_events.id", ondelete="CASCADE"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))


class SurveyInvitation(IdMixin, Base):
    """Who was asked to answer a target's survey, and whether they have (never what they answered)."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("target_id", "user_id"),)

    target_id: Mapped[int] = mapped_column(ForeignKey("survey_targets.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SurveyResponse(IdMixin, Base):
    """One anonymous set of answers. Its time is kept to the day, so it cannot be matched to an invitation."""

    __tablename__ = "survey_responses"
    __table_args__ = (Index("ix_survey_responses_target_day", "target_id", "submitted_on"),)

    target_id: Mapped[int] = mapped_column(ForeignKey("survey_targets.id", ondelete="CASCADE"))
    submitted_on: Mapped[dt.date]
    language: Mapped[str] = mapped_column(String(5), default="lt")


class SurveyAnswer(IdMixin, Base):
    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint("likert IS NULL OR (likert BETWEEN 1 AND 5)", name="likert_range"),
    )

    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True)
    likert: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")


__all__ = [
    "QuestionKind",
    "Survey",
    "SurveyAnswer",
    "SurveyInvitation",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyTarget",
]
