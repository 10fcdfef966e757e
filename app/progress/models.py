"""Tables of the progress domain: completion criteria per course, completion per learner, certificates."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import TypedDict

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.core.db import Base, IdMixin, UTCDateTime, utcnow


class CertifiedCompetency(TypedDict):
    code: str
    title: dict[str, str]
    level: int
    level_title: dict[str, str]


class CertificateDetails(TypedDict):
    """What a certificate says besides its holder, frozen at issue (translations keyed by locale)."""

    course_code: str
    course: dict[str, str]
    programme: dict[str, str]
    issuer: dict[str, str]  # empty when the programme names no issuer
    hours: int
    competencies: list[CertifiedCompetency]


class CompletionState(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    FAILED = "failed"  # the quiz is required, not passed, and no attempts are left


class CompletionCriteria(Base):
    """What completing a course requires. Seeded from course.yaml; administrators may change it."""

    __tablename__ = "completion_criteria"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    require_lessons: Mapped[bool] = mapped_column(Boolean, default=True)
    require_quiz: Mapped[bool] = mapped_column(Boolean, default=True)
    # Attended (marked "attended") at least one held training event linked to the course that counts toward it.
    require_attendance: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Fingerprint of the file's rules last applied: a sync re-applies them only when the file changed,
    # so an administrator's edit survives ordinary re-imports.
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CourseCompletion(IdMixin, Base):
    """A learner's standing in a course. A missing row means "not started".

    Once completed, the row never changes again: later content or criteria changes do not undo it.
    """

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default=CompletionState.NOT_STARTED)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Certificate(IdMixin, Base):
    """Proof of a course completion. What it says is frozen when it is issued; the PDF is made once."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)  # unguessable, shown on the certificate
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"), index=True)
    locale: Mapped[str] = mapped_column(String(5))
    holder_name: Mapped[str] = mapped_column(String(200))
    details: Mapped[CertificateDetails] = mapped_column(JSON)
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
