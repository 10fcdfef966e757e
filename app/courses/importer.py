"""Importing validated content into the database: idempotent upserts keyed by codes and slugs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from app.core.db import utcnow
from app.core.markdown import plain_text, render_markdown
from app.courses.content import ContentBundle, CourseSource, LessonSource, fingerprint
from app.courses.content_schema import CompetencyModelFile, GlossaryFile, ProgrammeEntry
from app.courses.models import (
    Competency,
    CompetencyArea,
    CompetencyLevel,
    Course,
    GlossaryTerm,
    Lesson,
    LessonText,
    Programme,
    SearchTerm,
    Section,
)
from app.courses.search import terms


@dataclass
class SyncSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    archived: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str, kind: str) -> None:
        bucket: dict[str, int] = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changes(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.archived.values())


def media_url(course_code: str) -> Callable[[str], str]:
    return lambda name: f"/courses/{course_code}/media/{name}"


def _sync_programme(
    session: Session, entry: ProgrammeEntry, position: int, existing: Programme | None, summary: SyncSummary
) -> Programme:
    content_hash = fingerprint([entry.model_dump(), position])
    if existing is None:
        existing = Programme(code=entry.code, content_hash="")
        session.add(existing)
        summary.count("created", "programmes")
    elif existing.content_hash == content_hash:
        return existing
    else:
        summary.count("updated", "programmes")
    existing.slug = entry.slug
    existing.position = position
    existing.title = entry.title.as_dict()
    existing.description = entry.description.as_dict()
    existing.issuer = entry.issuer.as_dict() if entry.issuer else {}
    existing.content_hash = content_hash
    return existing


def _write_lesson_texts(session: Session, lesson: Lesson, source: LessonSource, course_code: str) -> None:
    session.execute(delete(LessonText).where(LessonText.lesson_id == lesson.id))
    session.execute(delete(SearchTerm).where(SearchTerm.lesson_id == lesson.id))
    index: dict[tuple[str, str], bool] = {}
    for locale, (front, body) in sorted(source.texts.items()):
        text = plain_text(body)
        session.add(
            LessonText(
                lesson_id=lesson.id,
                locale=locale,
                title=front.title,
                minutes=front.minutes,
                word_count=len(text.split()),
                body_markdown=body,
                body_html=render_markdown(body, media_url=media_url(course_code)),
            )
        )
        for term in terms(front.title):
            index[(term, locale)] = True
        for term in terms(text):
            index.setdefault((term, locale), False)
    session.add_all(
        SearchTerm(term=term, locale=locale, lesson_id=lesson.id, in_title=in_title)
        for (term, locale), in_title in index.items()
    )


def _sync_course(
    session: Session,
    source: CourseSource,
    programme: Programme,
    position: int,
    existing: Course | None,
    summary: SyncSummary,
) -> None:
    definition = source.definition
    notes = {locale: (front.model_dump(), body) for locale, (front, body) in sorted(source.trainer_notes.items())}
    course_hash = fingerprint([definition.model_dump(), source.slug, position, notes])
    if existing is None:
        existing = Course(code=definition.code, content_hash="", sections=[])
        session.add(existing)
        summary.count("created", "courses")
    elif existing.content_hash != course_hash or existing.archived_at is not None:
        summary.count("updated", "courses")
    if existing.content_hash != course_hash or existing.archived_at is not None:
        existing.slug = source.slug
        existing.programme_id = programme.id
        existing.position = position
        existing.title = definition.title.as_dict()
        existing.summary = definition.summary.as_dict()
        existing.outcomes = definition.outcomes.as_dict()
        existing.estimated_hours = definition.hours
        existing.competencies = [target.model_dump() for target in definition.competencies]
        existing.quiz_settings = definition.quiz.model_dump() if definition.quiz else {}
        existing.completion_rules = definition.completion_rules()
        existing.trainer_notes = {
            locale: {"title": front.title, "html": render_markdown(body, media_url=media_url(definition.code))}
            for locale, (front, body) in source.trainer_notes.items()
        }
        existing.content_hash = course_hash
        existing.archived_at = None
    session.flush()

    sections = {section.slug: section for section in existing.sections}
    lessons = {lesson.slug: lesson for section in existing.sections for lesson in section.lessons}
    now = utcnow()
    for section_position, entry in enumerate(definition.sections):
        section = sections.pop(entry.slug, None)
        if section is None:
            section = Section(
                course_id=existing.id, slug=entry.slug, position=section_position, title=entry.title.as_dict()
            )
            session.add(section)
            session.flush()
            summary.count("created", "sections")
        elif (section.position, section.title, section.archived_at) != (section_position, entry.title.as_dict(), None):
            section.position, section.title, section.archived_at = section_position, entry.title.as_dict(), None
            summary.count("updated", "sections")
        for slug in sorted(entry.lessons, key=lambda lesson_slug: source.lessons[lesson_slug].number):
            lesson_source = source.lessons[slug]
            lesson = lessons.pop(slug, None)
            lesson_hash = lesson_source.content_hash
            if lesson is None:
                lesson = Lesson(
                    course_id=existing.id,
                    section_id=section.id,
                    slug=slug,
                    position=lesson_source.number,
                    content_hash=lesson_hash,
                )
                session.add(lesson)
                session.flush()
                _write_lesson_texts(session, lesson, lesson_source, definition.code)
                summary.count("created", "lessons")
                continue
            placement = (lesson.section_id, lesson.position, lesson.archived_at)
            if lesson.content_hash != lesson_hash:
                _write_lesson_texts(session, lesson, lesson_source, definition.code)
            if lesson.content_hash != lesson_hash or placement != (section.id, lesson_source.number, None):
                lesson.section_id, lesson.position, lesson.archived_at = section.id, lesson_source.number, None
                lesson.content_hash = lesson_hash
                summary.count("updated", "lessons")
    # Whatever the files no longer mention is archived, never deleted: learners' records point at it.
    for lesson in lessons.values():
        if lesson.archived_at is None:
            lesson.archived_at = now
            summary.count("archived", "lessons")
    for section in sections.values():
        if section.archived_at is None:
            section.archived_at = now
            summary.count("archived", "sections")


def _update_if_changed(row: object, values: dict[str, object]) -> bool:
    changed = any(getattr(row, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(row, name, value)
    return changed


def _sync_competency_model(session: Session, model: CompetencyModelFile, summary: SyncSummary) -> None:
    levels = {level.level: level for level in session.scalars(select(CompetencyLevel))}
    for entry in model.levels:
        values = {"title": entry.title.as_dict(), "description": entry.description.as_dict()}
        if entry.level not in levels:
            session.add(CompetencyLevel(level=entry.level, **values))
            summary.count("created", "competency levels")
        elif _update_if_changed(levels[entry.level], values):
            summary.count("updated", "competency levels")
    areas = {area.code: area for area in session.scalars(select(CompetencyArea))}
    competencies = {competency.code: competency for competency in session.scalars(select(Competency))}
    for area_position, area_entry in enumerate(model.areas):
        area_values = {
            "position": area_position,
            "title": area_entry.title.as_dict(),
            "description": area_entry.description.as_dict(),
            "archived_at": None,
        }
        area = areas.pop(area_entry.code, None)
        if area is None:
            area = CompetencyArea(code=area_entry.code, **area_values)
            session.add(area)
            session.flush()
            summary.count("created", "competency areas")
        elif _update_if_changed(area, area_values):
            summary.count("updated", "competency areas")
        for position, entry in enumerate(area_entry.competencies):
            values = {
                "area_id": area.id,
                "position": position,
                "title": entry.title.as_dict(),
                "description": entry.description.as_dict(),
                "indicators": {
                    str(level): indicators.model_dump(exclude_none=True)
                    for level, indicators in sorted(entry.levels.items())
                },
                "archived_at": None,
            }
            competency = competencies.pop(entry.code, None)
            if competency is None:
                session.add(Competency(code=entry.code, **values))
                summary.count("created", "competencies")
            elif _update_if_changed(competency, values):
                summary.count("updated", "competencies")
    now = utcnow()
    # Profiles built from completed courses refer to competency codes: retire, never delete.
    for stale in [*competencies.values(), *areas.values()]:
        if stale.archived_at is None:
            stale.archived_at = now
            summary.count("archived", "competencies" if isinstance(stale, Competency) else "competency areas")


def _sync_glossary(session: Session, glossary: GlossaryFile, summary: SyncSummary) -> None:
    terms = {term.slug: term for term in session.scalars(select(GlossaryTerm))}
    for entry in glossary.terms:
        values = {"term": entry.term.as_dict(), "definition": entry.definition.as_dict(), "archived_at": None}
        term = terms.pop(entry.slug, None)
        if term is None:
            session.add(GlossaryTerm(slug=entry.slug, **values))
            summary.count("created", "glossary terms")
        elif _update_if_changed(term, values):
            summary.count("updated", "glossary terms")
    for stale in terms.values():
        if stale.archived_at is None:
            stale.archived_at = utcnow()
            summary.count("archived", "glossary terms")


def sync_content(
    session: Session, bundle: ContentBundle, *, progress: Callable[[str], None] | None = None
) -> SyncSummary:
    """Bring the database in line with the content files. The caller's transaction makes it all-or-nothing."""
    summary = SyncSummary()
    if bundle.competency_model is not None:
        _sync_competency_model(session, bundle.competency_model, summary)
    if bundle.glossary is not None:
        _sync_glossary(session, bundle.glossary, summary)
    programmes = {programme.code: programme for programme in session.scalars(select(Programme))}
    for position, entry in enumerate(bundle.programmes.programmes):
        programmes[entry.code] = _sync_programme(session, entry, position, programmes.get(entry.code), summary)
    session.flush()

    courses = {
        course.code: course
        for course in session.scalars(
            select(Course).options(selectinload(Course.sections).selectinload(Section.lessons))
        )
    }
    ordered = sorted(
        bundle.courses,
        key=lambda source: (source.definition.programme, len(source.definition.code), source.definition.code),
    )
    for position, source in enumerate(ordered):
        _sync_course(
            session,
            source,
            programmes[source.definition.programme],
            position,
            courses.pop(source.definition.code, None),
            summary,
        )
        if progress:
            progress(source.definition.code)
    now = utcnow()
    for course in courses.values():
        if course.archived_at is None:
            course.archived_at = now
            summary.count("archived", "courses")
    session.flush()
    return summary
