"""Tables of the courses domain. Rows are keyed by stable codes and slugs from the content files."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, utcnow

# Translated text is stored as {"lt": "...", "en": "...", "nb": "..."}: only lt and en are required.
Translations = dict[str, str]


class Programme(IdMixin, Base):
    __tablename__ = "programmes"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[Translations] = mapped_column(JSON)
    description: Mapped[Translations] = mapped_column(JSON)
    # The institution that issues the programme's certificates; empty when the content names none.
    issuer: Mapped[Translations] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))

    courses: Mapped[list[Course]] = relationship(back_populates="programme", lazy="raise", order_by="Course.position")


class Course(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "courses"

    code: Mapped[str] = mapped_column(String(20), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[Translations] = mapped_column(JSON)
    summary: Mapped[Translations] = mapped_column(JSON)
    outcomes: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    estimated_hours: Mapped[int] = mapped_column(Integer)
    competencies: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    quiz_settings: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    # Completion rules from course.yaml ({"lessons": bool, "quiz": bool}); progress applies them.
    completion_rules: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)
    # Methodological notes for trainers: {"lt": {"title": "...", "html": "..."}, "en": ...}
    trainer_notes: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    content_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    programme: Mapped[Programme] = relationship(back_populates="courses", lazy="raise")
    sections: Mapped[list[Section]] = relationship(back_populates="course", lazy="raise", order_by="Section.position")


class Section(IdMixin, Base):
    __tablename__ = "course_sections"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[Translations] = mapped_column(JSON)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course] = relationship(back_populates="sections", lazy="raise")
    lessons: Mapped[list[Lesson]] = relationship(back_populates="section", lazy="raise", order_by="Lesson.position")


class Lesson(IdMixin, Base):
    """A lesson keeps its id across re-imports (keyed by course and slug); removed lessons are archived."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("course_sections.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    section: Mapped[Section] = relationship(back_populates="lessons", lazy="raise")
    versions: Mapped[list[LessonText]] = relationship(
        back_populates="lesson", lazy="raise", cascade="all, delete-orphan"
    )


class LessonText(IdMixin, Base):
    """One language version of a lesson: the Markdown source and its sanitised HTML."""

    __tablename__ = "lesson_texts"
    __table_args__ = (UniqueConstraint("lesson_id", "locale"),)

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer)
    word_count: Mapped[int] = mapped_column(Integer)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)

    lesson: Mapped[Lesson] = relationship(back_populates="versions", lazy="raise")


class SearchTerm(Base):
    """A portable inverted index: one row per (word, language, lesson), prefix-searchable by B-tree."""

    __tablename__ = "search_terms"
    __table_args__ = (Index("ix_search_terms_term_locale", "term", "locale"),)

    term: Mapped[str] = mapped_column(String(60), primary_key=True)
    locale: Mapped[str] = mapped_column(String(5), primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True, index=True)
    in_title: Mapped[bool] = mapped_column(default=False)


class CourseRole:
    LEARNER = "learner"
    TRAINER = "trainer"


class Enrolment(IdMixin, Base):
    """A person's place in a course, as learner or trainer. One row per person and course."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=CourseRole.LEARNER)
    enrolled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))


class LessonCompletion(Base):
    """Unique per person and lesson, so a double submit cannot record it twice."""

    __tablename__ = "lesson_completions"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True, index=True)
    completed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CompetencyLevel(Base):
    """The model's proficiency levels: 1 awareness, 2 practitioner, 3 leader."""

    __tablename__ = "competency_levels"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[Translations] = mapped_column(JSON)
    description: Mapped[Translations] = mapped_column(JSON)


class CompetencyArea(IdMixin, Base):
    __tablename__ = "competency_areas"

    code: Mapped[str] = mapped_column(String(10), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[Translations] = mapped_column(JSON)
    description: Mapped[Translations] = mapped_column(JSON)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    competencies: Mapped[list[Competency]] = relationship(
        back_populates="area", lazy="raise", order_by="Competency.position"
    )


class Competency(IdMixin, Base):
    """A competency of the model, keyed by its stable code (e.g. B2); courses refer to codes."""

    __tablename__ = "competencies"

    code: Mapped[str] = mapped_column(String(10), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("competency_areas.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[Translations] = mapped_column(JSON)
    description: Mapped[Translations] = mapped_column(JSON)
    # {"1": {"lt": [...], "en": [...]}, "2": ..., "3": ...}: observable indicators per level
    indicators: Mapped[dict[str, dict[str, list[str]]]] = mapped_column(JSON)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    area: Mapped[CompetencyArea] = relationship(back_populates="competencies", lazy="raise")


class GlossaryTerm(IdMixin, Base):
    __tablename__ = "glossary_terms"

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    term: Mapped[Translations] = mapped_column(JSON)
    definition: Mapped[Translations] = mapped_column(JSON)
    archived_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
