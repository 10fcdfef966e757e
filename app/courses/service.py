"""Courses services: the catalogue with search, course and lesson pages, enrolment and lesson completion."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, load_only, selectinload

from app.accounts.models import User
from app.core.access import Role
from app.core.errors import Conflict, NotFound
from app.core.events import LearnerProgressChanged, publish
from app.core.i18n import _, collation_key, pick
from app.courses.models import (
    Competency,
    CompetencyArea,
    CompetencyLevel,
    Course,
    CourseRole,
    Enrolment,
    GlossaryTerm,
    Lesson,
    LessonCompletion,
    LessonText,
    Programme,
    SearchTerm,
    Section,
)
from app.courses.search import prefix_upper_bound, query_terms

SEARCH_RESULT_LIMIT = 30


@dataclass(frozen=True)
class CourseProgress:
    enrolled: bool
    completed_lessons: int
    total_lessons: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed_lessons / self.total_lessons) if self.total_lessons else 0


@dataclass(frozen=True)
class SearchHit:
    course: Course
    lesson_slug: str
    title: str
    locale: str


@dataclass
class Catalogue:
    programmes: list[Programme]
    progress: dict[int, CourseProgress] = field(default_factory=dict)
    hits: list[SearchHit] = field(default_factory=list)
    competencies: dict[str, Competency] = field(default_factory=dict)
    levels: dict[int, CompetencyLevel] = field(default_factory=dict)


def _active_lesson_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Lesson.course_id, func.count()).where(Lesson.archived_at.is_(None)).group_by(Lesson.course_id)
    )
    return {course_id: count for course_id, count in rows}


def _progress_for(session: Session, user: User | None, course_ids: list[int]) -> dict[int, CourseProgress]:
    totals = _active_lesson_counts(session)
    if user is None:
        return {course_id: CourseProgress(False, 0, totals.get(course_id, 0)) for course_id in course_ids}
    enrolled = set(session.scalars(select(Enrolment.course_id).where(Enrolment.user_id == user.id)))
    done = dict(
        session.execute(
            select(Lesson.course_id, func.count())
            .join(LessonCompletion, LessonCompletion.lesson_id == Lesson.id)
            .where(LessonCompletion.user_id == user.id, Lesson.archived_at.is_(None))
            .group_by(Lesson.course_id)
        ).all()
    )
    return {
        course_id: CourseProgress(course_id in enrolled, done.get(course_id, 0), totals.get(course_id, 0))
        for course_id in course_ids
    }


def search_lessons(session: Session, *, query: str, locale: str) -> list[SearchHit]:
    """Lessons whose words start with every word of the query, title matches first, in the page's language."""
    words = query_terms(query)
    if not words:
        return []
    matching = None
    for word in words:
        lesson_ids = select(SearchTerm.lesson_id).where(
            SearchTerm.term >= word, SearchTerm.term < prefix_upper_bound(word), SearchTerm.locale == locale
        )
        matching = lesson_ids if matching is None else matching.intersect(lesson_ids)
    assert matching is not None
    rows = session.execute(
        select(LessonText.title, LessonText.locale, Lesson.slug, Course)
        .join(Lesson, Lesson.id == LessonText.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(
            LessonText.lesson_id.in_(matching.scalar_subquery()),
            LessonText.locale == locale,
            Lesson.archived_at.is_(None),
            Course.archived_at.is_(None),
        )
        .order_by(Course.position, Lesson.position)
        .limit(SEARCH_RESULT_LIMIT)
    ).all()
    return [
        SearchHit(course=course, lesson_slug=slug, title=title, locale=text_locale)
        for title, text_locale, slug, course in rows
    ]


def catalogue(session: Session, *, user: User | None, programme_code: str | None, query: str, locale: str) -> Catalogue:
    course_filter = Course.archived_at.is_(None)
    statement = (
        select(Programme).order_by(Programme.position).options(selectinload(Programme.courses.and_(course_filter)))
    )
    if programme_code:
        statement = statement.where(Programme.code == programme_code)
    programmes = list(session.scalars(statement))
    course_ids = [course.id for programme in programmes for course in programme.courses]
    result = Catalogue(
        programmes=programmes,
        progress=_progress_for(session, user, course_ids),
        competencies=competencies_by_code(session),
        levels=competency_levels(session),
    )
    if query.strip():
        result.hits = search_lessons(session, query=query, locale=locale)
    return result


def competencies_by_code(session: Session) -> dict[str, Competency]:
    return {competency.code: competency for competency in session.scalars(select(Competency))}


def competency_levels(session: Session) -> dict[int, CompetencyLevel]:
    return {level.level: level for level in session.scalars(select(CompetencyLevel))}


@dataclass(frozen=True)
class CompetencyModel:
    areas: list[CompetencyArea]
    levels: dict[int, CompetencyLevel]


def competency_model(session: Session) -> CompetencyModel:
    areas = session.scalars(
        select(CompetencyArea)
        .where(CompetencyArea.archived_at.is_(None))
        .order_by(CompetencyArea.position)
        .options(selectinload(CompetencyArea.competencies.and_(Competency.archived_at.is_(None))))
    )
    return CompetencyModel(areas=list(areas), levels=competency_levels(session))


def glossary(session: Session, *, locale: str) -> list[GlossaryTerm]:
    terms = session.scalars(select(GlossaryTerm).where(GlossaryTerm.archived_at.is_(None)))
    return sorted(terms, key=lambda term: collation_key(str(pick(term.term, locale)), locale))


def programme_codes(session: Session) -> list[tuple[str, dict[str, str]]]:
    return [
        (code, title)
        for code, title in session.execute(select(Programme.code, Programme.title).order_by(Programme.position))
    ]


@dataclass
class CourseOutline:
    course: Course
    titles: dict[int, dict[str, LessonText]]  # lesson id -> locale -> text (without bodies)
    progress: CourseProgress
    completed: set[int]
    enrolment: Enrolment | None

    @property
    def is_trainer(self) -> bool:
        return self.enrolment is not None and self.enrolment.role == CourseRole.TRAINER


def _course_by_code(session: Session, code: str) -> Course:
    course = session.scalar(
        select(Course)
        .where(Course.code == code, Course.archived_at.is_(None))
        .options(
            joinedload(Course.programme),
            selectinload(Course.sections.and_(Section.archived_at.is_(None))).selectinload(
                Section.lessons.and_(Lesson.archived_at.is_(None))
            ),
        )
    )
    if course is None:
        raise course_missing()
    return course


def course_missing() -> NotFound:
    return NotFound(_("This course does not exist or is no longer offered."))


def course_or_404(session: Session, code: str, *, include_archived: bool = False) -> Course:
    """A course by its code; archived courses only when asked (administration and imports)."""
    statement = select(Course).where(Course.code == code)
    if not include_archived:
        statement = statement.where(Course.archived_at.is_(None))
    course = session.scalar(statement)
    if course is None:
        raise course_missing()
    return course


def course_folder_parts(session: Session, *, code: str) -> tuple[str, str]:
    """(programme slug, course slug): where a course's files live under the content folder."""
    row = session.execute(
        select(Programme.slug, Course.slug)
        .join(Course, Course.programme_id == Programme.id)
        .where(Course.code == code, Course.archived_at.is_(None))
    ).first()
    if row is None:
        raise course_missing()
    return row[0], row[1]


def _enrolment(session: Session, user: User | None, course_id: int) -> Enrolment | None:
    if user is None:
        return None
    return session.scalar(select(Enrolment).where(Enrolment.user_id == user.id, Enrolment.course_id == course_id))


def course_outline(session: Session, *, code: str, user: User | None) -> CourseOutline:
    course = _course_by_code(session, code)
    lesson_ids = [lesson.id for section in course.sections for lesson in section.lessons]
    titles: dict[int, dict[str, LessonText]] = {}
    for text in session.scalars(
        select(LessonText)
        .where(LessonText.lesson_id.in_(lesson_ids))
        .options(load_only(LessonText.lesson_id, LessonText.locale, LessonText.title, LessonText.minutes))
    ):
        titles.setdefault(text.lesson_id, {})[text.locale] = text
    completed: set[int] = set()
    if user is not None and lesson_ids:
        completed = set(
            session.scalars(
                select(LessonCompletion.lesson_id).where(
                    LessonCompletion.user_id == user.id, LessonCompletion.lesson_id.in_(lesson_ids)
                )
            )
        )
    enrolment = _enrolment(session, user, course.id)
    progress = CourseProgress(enrolment is not None, len(completed), len(lesson_ids))
    return CourseOutline(course=course, titles=titles, progress=progress, completed=completed, enrolment=enrolment)


def next_lesson_id(outline: CourseOutline) -> int | None:
    """Where to continue: the last lesson opened if unfinished, else the first lesson not yet completed."""
    ordered = [lesson.id for section in outline.course.sections for lesson in section.lessons]
    last = outline.enrolment.last_lesson_id if outline.enrolment else None
    if last in ordered and last not in outline.completed:
        return last
    return next(
        (lesson_id for lesson_id in ordered if lesson_id not in outline.completed), ordered[0] if ordered else None
    )


@dataclass
class LessonPage:
    outline: CourseOutline
    lesson: Lesson
    text: LessonText
    previous_slug: str | None
    next_slug: str | None
    is_complete: bool


def lesson_page(session: Session, *, code: str, slug: str, user: User, locale: str) -> LessonPage:
    outline = course_outline(session, code=code, user=user)
    ordered = [lesson for section in outline.course.sections for lesson in section.lessons]
    position = next((index for index, lesson in enumerate(ordered) if lesson.slug == slug), None)
    if position is None:
        raise NotFound(_("This lesson does not exist or has been removed from the course."))
    lesson = ordered[position]
    texts = {text.locale: text for text in session.scalars(select(LessonText).where(LessonText.lesson_id == lesson.id))}
    text = pick(texts, locale) or next(iter(texts.values()))
    if outline.enrolment is not None and outline.enrolment.last_lesson_id != lesson.id:
        outline.enrolment.last_lesson_id = lesson.id  # "resume where you left off"
    return LessonPage(
        outline=outline,
        lesson=lesson,
        text=text,
        previous_slug=ordered[position - 1].slug if position > 0 else None,
        next_slug=ordered[position + 1].slug if position + 1 < len(ordered) else None,
        is_complete=lesson.id in outline.completed,
    )


def enrol(session: Session, *, code: str, user: User) -> Enrolment:
    """Self-enrolment; enrolling twice returns the existing place."""
    course = course_or_404(session, code)
    existing = _enrolment(session, user, course.id)
    if existing is not None:
        return existing
    enrolment = Enrolment(user_id=user.id, course_id=course.id, role=CourseRole.LEARNER)
    try:
        with session.begin_nested():
            session.add(enrolment)
    except IntegrityError:  # a simultaneous request enrolled first
        found = _enrolment(session, user, course.id)
        assert found is not None
        return found
    return enrolment


def complete_lesson(session: Session, *, code: str, slug: str, user: User) -> None:
    """Mark a lesson complete for an enrolled person; repeating it changes nothing."""
    lesson = session.scalar(
        select(Lesson)
        .join(Course, Course.id == Lesson.course_id)
        .where(Course.code == code, Lesson.slug == slug, Lesson.archived_at.is_(None), Course.archived_at.is_(None))
    )
    if lesson is None:
        raise NotFound(_("This lesson does not exist or has been removed from the course."))
    if _enrolment(session, user, lesson.course_id) is None:
        raise Conflict(_("Enrol in the course to record your progress."))
    done = session.scalar(
        select(func.count())
        .select_from(LessonCompletion)
        .where(LessonCompletion.user_id == user.id, LessonCompletion.lesson_id == lesson.id)
    )
    if done:
        return
    try:
        with session.begin_nested():
            session.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id))
    except IntegrityError:  # the same form submitted twice at once
        return
    publish(session, LearnerProgressChanged(user_id=user.id, course_id=lesson.course_id))


@dataclass(frozen=True)
class LearnerRow:
    user: User
    enrolment: Enrolment
    completed_lessons: int


def taught_course(session: Session, *, code: str, user: User) -> Course:
    """A course the person teaches (administrators: any); others get 404, not even its existence."""
    course = course_or_404(session, code)
    if Role.ADMIN not in user.role_set:
        own = _enrolment(session, user, course.id)
        if own is None or own.role != CourseRole.TRAINER:
            raise course_missing()
    return course


def course_learners(session: Session, *, code: str, user: User) -> tuple[Course, list[LearnerRow], int]:
    """Learners of a course with their lesson progress, for the course's trainers and administrators."""
    course = taught_course(session, code=code, user=user)
    completed = (
        select(LessonCompletion.user_id, func.count().label("done"))
        .join(
            Lesson,
            and_(Lesson.id == LessonCompletion.lesson_id, Lesson.course_id == course.id, Lesson.archived_at.is_(None)),
        )
        .group_by(LessonCompletion.user_id)
        .subquery()
    )
    rows = session.execute(
        select(User, Enrolment, func.coalesce(completed.c.done, 0))
        .join(Enrolment, Enrolment.user_id == User.id)
        .outerjoin(completed, completed.c.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.role == CourseRole.LEARNER)
        .options(joinedload(User.organisation))
        .order_by(User.full_name)
    ).all()
    total = _active_lesson_counts(session).get(course.id, 0)
    return course, [LearnerRow(user=row[0], enrolment=row[1], completed_lessons=row[2]) for row in rows], total


def assign_trainer(session: Session, *, code: str, user: User) -> Enrolment:
    course = course_or_404(session, code, include_archived=True)
    enrolment = _enrolment(session, user, course.id)
    if enrolment is None:
        enrolment = Enrolment(user_id=user.id, course_id=course.id)
        session.add(enrolment)
    enrolment.role = CourseRole.TRAINER
    session.flush()
    return enrolment
