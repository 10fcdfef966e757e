"""The learner's "My learning" page: enrolled courses with progress, where to continue, grades and certificates."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.courses.models import Course, CourseRole, Enrolment, Lesson, LessonCompletion, Programme, Section
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade


@dataclass(frozen=True)
class CourseCard:
    course: Course
    state: CompletionState
    percent: int
    lessons_done: int
    lessons_total: int
    next_lesson_slug: str | None
    quiz_grade: float | None
    quiz_passed: bool
    completed_at: dt.datetime | None
    certificate: Certificate | None


@dataclass(frozen=True)
class ProgrammeProgress:
    programme: Programme
    completed: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


@dataclass(frozen=True)
class MyLearning:
    cards: list[CourseCard]
    programmes: list[ProgrammeProgress]

    @property
    def in_progress(self) -> list[CourseCard]:
        return [card for card in self.cards if card.state != CompletionState.COMPLETED]

    @property
    def completed(self) -> list[CourseCard]:
        return [card for card in self.cards if card.state == CompletionState.COMPLETED]


def my_learning(session: Session, *, user: User) -> MyLearning:
    """Everything on the page in a fixed number of queries, however many courses the learner takes."""
    # A course taken out of the catalogue stays here for those who completed it (their certificate is here).
    completed_here = select(CourseCompletion.course_id).where(
        CourseCompletion.user_id == user.id, CourseCompletion.state == CompletionState.COMPLETED
    )
    enrolments = session.execute(
        select(Enrolment, Course)
        .join(Course, Course.id == Enrolment.course_id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.role == CourseRole.LEARNER,
            or_(Course.archived_at.is_(None), Course.id.in_(completed_here)),
        )
        .options(joinedload(Course.programme))
        .order_by(Course.position, Course.code)
    ).all()
    course_ids = [course.id for _enrolment, course in enrolments]
    lessons: dict[int, list[Lesson]] = defaultdict(list)
    for lesson in session.scalars(
        select(Lesson)
        .join(Section, Section.id == Lesson.section_id)
        .where(Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None), Section.archived_at.is_(None))
        .order_by(Lesson.course_id, Section.position, Lesson.position)
    ):
        lessons[lesson.course_id].append(lesson)
    done = set(
        session.scalars(
            select(LessonCompletion.lesson_id)
            .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
            .where(LessonCompletion.user_id == user.id, Lesson.course_id.in_(course_ids))
        )
    )
    completions = {
        row.course_id: row
        for row in session.scalars(
            select(CourseCompletion).where(
                CourseCompletion.user_id == user.id, CourseCompletion.course_id.in_(course_ids)
            )
        )
    }
    grades = {
        course_id: grade
        for course_id, grade in session.execute(
            select(Quiz.course_id, QuizGrade)
            .join(QuizGrade, QuizGrade.quiz_id == Quiz.id)
            .where(QuizGrade.user_id == user.id, Quiz.course_id.in_(course_ids))
        )
    }
    certificates = {
        certificate.course_id: certificate
        for certificate in session.scalars(select(Certificate).where(Certificate.user_id == user.id))
    }
    cards = []
    for enrolment, course in enrolments:
        course_lessons = lessons.get(course.id, [])
        completion = completions.get(course.id)
        grade = grades.get(course.id)
        cards.append(
            CourseCard(
                course=course,
                state=CompletionState(completion.state) if completion else CompletionState.NOT_STARTED,
                percent=completion.percent if completion else 0,
                lessons_done=sum(1 for lesson in course_lessons if lesson.id in done),
                lessons_total=len(course_lessons),
                next_lesson_slug=_continue_at(course_lessons, done, enrolment.last_lesson_id),
                quiz_grade=grade.grade if grade else None,
                quiz_passed=bool(grade and grade.passed),
                completed_at=completion.completed_at if completion else None,
                certificate=certificates.get(course.id),
            )
        )
    return MyLearning(
        cards=cards,
        programmes=_programme_progress(
            session, completed={c.course.id for c in cards if c.state == CompletionState.COMPLETED}
        ),
    )


def _continue_at(lessons: list[Lesson], done: set[int], last_opened: int | None) -> str | None:
    """The last lesson opened if unfinished, else the first lesson not yet completed."""
    for lesson in lessons:
        if lesson.id == last_opened and lesson.id not in done:
            return lesson.slug
    return next((lesson.slug for lesson in lessons if lesson.id not in done), None)


def _programme_progress(session: Session, *, completed: set[int]) -> list[ProgrammeProgress]:
    """How many of each programme's modules are done (the 6 competency and 3 administrative-capacity modules)."""
    totals: dict[int, list[int]] = defaultdict(list)
    programmes: dict[int, Programme] = {}
    for programme, course_id in session.execute(
        select(Programme, Course.id)
        .join(Course, Course.programme_id == Programme.id)
        .where(Course.archived_at.is_(None))
        .order_by(Programme.position)
    ):
        programmes[programme.id] = programme
        totals[programme.id].append(course_id)
    return [
        ProgrammeProgress(programme, sum(1 for course_id in ids if course_id in completed), len(ids))
        for programme_id, ids in totals.items()
        for programme in [programmes[programme_id]]
    ]
