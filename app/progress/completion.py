"""Course completion: what a learner has done, what the course requires, and the recorded outcome.

Evaluation is a pure function of facts, so the incremental path (one learner after one event) and the
repair path (`klasteris progress recompute`, a whole course at once) cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.events import CourseRulesChanged, LearnerProgressChanged
from app.courses.models import Course, CourseRole, Enrolment, Lesson, LessonCompletion
from app.events.models import (
    Attendance,
    EventCourse,
    EventRegistration,
    EventStatus,
    RegistrationStatus,
    TrainingEvent,
)
from app.progress.models import CompletionCriteria, CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizAttempt, QuizGrade


@dataclass(frozen=True)
class Criteria:
    lessons: bool
    quiz: bool
    attendance: bool = False  # attended a training event linked to the course


@dataclass(frozen=True)
class QuizStanding:
    grade: float | None  # None while an essay waits for its mark
    passed: bool
    passed_at: dt.datetime | None
    finished_attempts: int
    max_attempts: int  # 0 = unlimited
    awaiting_grading: bool = False  # a submitted attempt waits for a trainer's mark


@dataclass(frozen=True)
class LearnerFacts:
    lessons_total: int
    lesson_times: list[dt.datetime] = field(default_factory=list)  # completions of the course's current lessons
    quiz: QuizStanding | None = None  # None when never graded
    course_has_quiz: bool = False
    # When the learner first attended a training event of the course (marked "attended"); None: never.
    attended_at: dt.datetime | None = None


@dataclass(frozen=True)
class Outcome:
    state: CompletionState
    percent: int
    achieved_at: dt.datetime | None = None


def evaluate(criteria: Criteria, facts: LearnerFacts) -> Outcome:
    """The learner's standing under the criteria; a quiz criterion on a course without a quiz is ignored.

    Attending a training event, when required, is one unit of the percentage, like the quiz.
    """
    need_quiz = criteria.quiz and facts.course_has_quiz
    need_attendance = criteria.attendance
    lessons_done = len(facts.lesson_times)
    quiz = facts.quiz
    attended = facts.attended_at is not None
    started = lessons_done > 0 or (quiz is not None and quiz.finished_attempts > 0) or attended
    if not started:
        return Outcome(CompletionState.NOT_STARTED, 0)
    units = (facts.lessons_total if criteria.lessons else 0) + (1 if need_quiz else 0) + (1 if need_attendance else 0)
    passed = quiz is not None and quiz.passed
    done = (
        (lessons_done if criteria.lessons else 0)
        + (1 if need_quiz and passed else 0)
        + (1 if need_attendance and attended else 0)
    )
    lessons_met = not criteria.lessons or lessons_done >= facts.lessons_total
    if units and lessons_met and (passed or not need_quiz) and (attended or not need_attendance):
        times = [
            *(facts.lesson_times if criteria.lessons else []),
            *([quiz.passed_at] if need_quiz and quiz else []),
            *([facts.attended_at] if need_attendance else []),
        ]
        return Outcome(CompletionState.COMPLETED, 100, max((t for t in times if t is not None), default=None))
    percent = min(99, 100 * done // units) if units else 0
    if need_quiz and quiz is not None and _out_of_attempts(quiz):
        return Outcome(CompletionState.FAILED, percent)
    return Outcome(CompletionState.IN_PROGRESS, percent)


def _out_of_attempts(quiz: QuizStanding) -> bool:
    return (
        not quiz.passed
        and quiz.grade is not None
        and not quiz.awaiting_grading  # the waiting essay may still pass the quiz
        and quiz.max_attempts > 0
        and quiz.finished_attempts >= quiz.max_attempts
    )


# --- criteria ---------------------------------------------------------------------------------------


def file_criteria(course: Course) -> Criteria:
    """The rules course.yaml states (every lesson plus the quiz when it names none)."""
    rules = course.completion_rules or {}
    return Criteria(
        lessons=bool(rules.get("lessons", True)),
        quiz=bool(rules.get("quiz", bool(course.quiz_settings))),
        attendance=bool(rules.get("attendance", False)),
    )


def criteria_for(session: Session, course: Course) -> Criteria:
    """The criteria in force: an administrator's or the last synced file's, else the file's rules."""
    row = session.get(CompletionCriteria, course.id)
    if row is not None:
        return Criteria(lessons=row.require_lessons, quiz=row.require_quiz, attendance=row.require_attendance)
    return file_criteria(course)


# --- facts ------------------------------------------------------------------------------------------


def _learner_facts(session: Session, course: Course, user_ids: Iterable[int] | None) -> dict[int, LearnerFacts]:
    """Facts for the course's learners (all of them, or those given), in a fixed number of queries."""
    learners = select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.role == CourseRole.LEARNER)
    if user_ids is not None:
        learners = learners.where(Enrolment.user_id.in_(list(user_ids)))
    learner_ids = list(session.scalars(learners))
    if not learner_ids:
        return {}
    lesson_ids = list(
        session.scalars(select(Lesson.id).where(Lesson.course_id == course.id, Lesson.archived_at.is_(None)))
    )
    times: dict[int, list[dt.datetime]] = defaultdict(list)
    if lesson_ids:
        rows = session.execute(
            select(LessonCompletion.user_id, LessonCompletion.completed_at).where(
                LessonCompletion.lesson_id.in_(lesson_ids), LessonCompletion.user_id.in_(learner_ids)
            )
        )
        for user_id, completed_at in rows:
            times[user_id].append(completed_at)
    quiz = session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    standings: dict[int, QuizStanding] = {}
    if quiz is not None:
        waiting = set(
            session.scalars(
                select(QuizAttempt.user_id).where(
                    QuizAttempt.quiz_id == quiz.id,
                    QuizAttempt.user_id.in_(learner_ids),
                    QuizAttempt.is_preview.is_(False),
                    QuizAttempt.needs_grading.is_(True),
                )
            )
        )
        for grade in session.scalars(
            select(QuizGrade).where(QuizGrade.quiz_id == quiz.id, QuizGrade.user_id.in_(learner_ids))
        ):
            standings[grade.user_id] = QuizStanding(
                grade=grade.grade,
                passed=grade.passed,
                passed_at=grade.passed_at,
                finished_attempts=grade.finished_attempts,
                max_attempts=quiz.max_attempts,
                awaiting_grading=grade.user_id in waiting,
            )
    attended = _attendance_times(session, course, learner_ids)
    return {
        user_id: LearnerFacts(
            lessons_total=len(lesson_ids),
            lesson_times=sorted(times.get(user_id, [])),
            quiz=standings.get(user_id),
            course_has_quiz=quiz is not None,
            attended_at=attended.get(user_id),
        )
        for user_id in learner_ids
    }


def _attendance_times(session: Session, course: Course, learner_ids: list[int]) -> dict[int, dt.datetime]:
    """Per learner, when they first attended a training event linked to the course that counts toward it.

    "Attended" is the trainer's mark; the event need not be marked held yet (the mark shows it took place),
    but a cancelled event never counts. The moment is the event's end, or the marking if that came earlier.
    """
    rows = session.execute(
        select(EventRegistration.user_id, TrainingEvent.ends_at, EventRegistration.attendance_marked_at)
        .join(TrainingEvent, TrainingEvent.id == EventRegistration.event_id)
        .join(EventCourse, EventCourse.event_id == TrainingEvent.id)
        .where(
            EventCourse.course_id == course.id,
            EventRegistration.user_id.in_(learner_ids),
            EventRegistration.status == RegistrationStatus.REGISTERED.value,
            EventRegistration.attendance == Attendance.ATTENDED.value,
            TrainingEvent.counts_toward_completion.is_(True),
            TrainingEvent.status != EventStatus.CANCELLED.value,
        )
    )
    first: dict[int, dt.datetime] = {}
    for user_id, ends_at, marked_at in rows:
        moment = min(ends_at, marked_at) if marked_at is not None else ends_at
        if user_id not in first or moment < first[user_id]:
            first[user_id] = moment
    return first


# --- recording --------------------------------------------------------------------------------------

CompletionListener = Callable[[Session, CourseCompletion], None]


@dataclass
class RecomputeSummary:
    learners: int = 0
    changed: int = 0
    newly_completed: int = 0


def _record(
    session: Session,
    course: Course,
    outcomes: dict[int, Outcome],
    summary: RecomputeSummary,
    on_completed: CompletionListener | None,
) -> None:
    existing = {
        row.user_id: row
        for row in session.scalars(
            select(CourseCompletion).where(
                CourseCompletion.course_id == course.id, CourseCompletion.user_id.in_(list(outcomes))
            )
        )
    }
    now = utcnow()
    for user_id, outcome in outcomes.items():
        summary.learners += 1
        row = existing.get(user_id)
        if row is not None and row.state == CompletionState.COMPLETED:
            continue  # a completion, once recorded, is never undone
        if row is None:
            if outcome.state == CompletionState.NOT_STARTED:
                continue
            row = _insert_row(session, user_id=user_id, course_id=course.id)
            if row.state == CompletionState.COMPLETED:
                continue  # a simultaneous request recorded it first
        if (row.state, row.percent) == (outcome.state, outcome.percent):
            continue
        row.state = outcome.state
        row.percent = outcome.percent
        row.updated_at = now
        summary.changed += 1
        if outcome.state == CompletionState.COMPLETED:
            row.completed_at = outcome.achieved_at or now
            summary.newly_completed += 1
            session.flush()
            if on_completed is not None:
                on_completed(session, row)
    session.flush()


def _insert_row(session: Session, *, user_id: int, course_id: int) -> CourseCompletion:
    row = CourseCompletion(user_id=user_id, course_id=course_id, state=CompletionState.NOT_STARTED, percent=0)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # two requests of the same learner raced to create it
        found = session.scalar(
            select(CourseCompletion).where(CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id)
        )
        assert found is not None
        return found
    return row


def recompute_course(
    session: Session,
    course: Course,
    *,
    user_ids: Iterable[int] | None = None,
    on_completed: CompletionListener | None = None,
    summary: RecomputeSummary | None = None,
) -> RecomputeSummary:
    """Bring the recorded completion of the course's learners (or only those given) in line with the facts."""
    summary = summary or RecomputeSummary()
    criteria = criteria_for(session, course)
    facts = _learner_facts(session, course, user_ids)
    outcomes = {user_id: evaluate(criteria, learner) for user_id, learner in facts.items()}
    _record(session, course, outcomes, summary, on_completed)
    return summary


def recompute_all(
    session: Session,
    *,
    course_codes: list[str] | None = None,
    on_completed: CompletionListener | None = None,
    advance: Callable[[str], None] | None = None,
) -> RecomputeSummary:
    statement = select(Course).where(Course.archived_at.is_(None)).order_by(Course.position, Course.code)
    if course_codes:
        statement = statement.where(Course.code.in_(course_codes))
    summary = RecomputeSummary()
    for course in session.scalars(statement).all():
        recompute_course(session, course, on_completed=on_completed, summary=summary)
        if advance is not None:
            advance(course.code)
    return summary


def on_learner_progress(session: Session, event: LearnerProgressChanged, on_completed: CompletionListener) -> None:
    course = session.get(Course, event.course_id)
    if course is not None and course.archived_at is None:
        recompute_course(session, course, user_ids=[event.user_id], on_completed=on_completed)


def on_course_rules(session: Session, event: CourseRulesChanged, on_completed: CompletionListener) -> None:
    course = session.get(Course, event.course_id)
    if course is not None and course.archived_at is None:
        recompute_course(session, course, on_completed=on_completed)
