"""The trainer's course progress report: every learner's lessons, quiz grade and completion, with CSV export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, load_only

from app.accounts.models import User
from app.core.forms import ChoiceId
from app.core.i18n import _, collation_key, local_date, pick
from app.core.spreadsheets import csv_lines, spreadsheet_safe
from app.courses.models import Course, CourseRole, Enrolment, Lesson, LessonCompletion, LessonText, Section
from app.courses.service import taught_course
from app.progress.models import CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade

SortKey = Literal["name", "organisation", "progress", "grade", "state", "completed"]
CSV_BATCH = 200


class ReportFilters(BaseModel):
    model_config = ConfigDict(extra="ignore")

    organisation: ChoiceId = None
    sort: SortKey = "name"
    order: Literal["asc", "desc"] = "asc"


def state_labels() -> dict[CompletionState, str]:
    return {
        CompletionState.NOT_STARTED: _("Not started"),
        CompletionState.IN_PROGRESS: _("In progress"),
        CompletionState.COMPLETED: _("Completed"),
        CompletionState.FAILED: _("Failed"),
    }


@dataclass(frozen=True)
class ReportLesson:
    id: int
    slug: str
    title: str


@dataclass(frozen=True)
class LearnerProgressRow:
    user: User
    organisation: str
    done: frozenset[int]  # lesson ids
    state: CompletionState
    percent: int
    quiz_grade: float | None
    completed_at: dt.datetime | None


@dataclass(frozen=True)
class ProgressReport:
    course: Course
    lessons: list[ReportLesson]
    rows: list[LearnerProgressRow]
    organisations: list[tuple[int, str]]
    filters: ReportFilters
    has_quiz: bool

    def query(self, **changes: str) -> str:
        """The page's query string with some values changed (sorting links keep the filter)."""
        values = {
            "organisation": str(self.filters.organisation or ""),
            "sort": self.filters.sort,
            "order": self.filters.order,
        }
        values |= changes
        return "?" + urlencode({key: value for key, value in values.items() if value})

    def sort_link(self, key: str) -> str:
        """Clicking the current sort column flips the order; another column sorts ascending."""
        order = "desc" if self.filters.sort == key and self.filters.order == "asc" else "asc"
        return self.query(sort=key, order=order)

    def counts(self) -> dict[CompletionState, int]:
        counts = dict.fromkeys(CompletionState, 0)
        for row in self.rows:
            counts[row.state] += 1
        return counts


_STATE_ORDER = {
    CompletionState.NOT_STARTED: 0,
    CompletionState.IN_PROGRESS: 1,
    CompletionState.FAILED: 2,
    CompletionState.COMPLETED: 3,
}


def _sort_key(key: SortKey, locale: str) -> Callable[[LearnerProgressRow], tuple[Any, ...]]:
    never = dt.datetime.max.replace(tzinfo=dt.UTC)

    def name(row: LearnerProgressRow) -> tuple[Any, ...]:
        return collation_key(row.user.full_name, locale)

    keys: dict[str, Callable[[LearnerProgressRow], tuple[Any, ...]]] = {
        "name": lambda row: (name(row),),
        "organisation": lambda row: (collation_key(row.organisation, locale), name(row)),
        "progress": lambda row: (row.percent, name(row)),
        "grade": lambda row: (row.quiz_grade is not None, row.quiz_grade or 0.0, name(row)),
        "state": lambda row: (_STATE_ORDER[row.state], name(row)),
        "completed": lambda row: (row.completed_at or never, name(row)),
    }
    return keys[key]


def progress_report(session: Session, *, code: str, user: User, filters: ReportFilters, locale: str) -> ProgressReport:
    """The report for a course the person teaches (administrators: any), in a fixed number of queries."""
    course = taught_course(session, code=code, user=user)
    lessons = list(
        session.scalars(
            select(Lesson)
            .join(Section, Section.id == Lesson.section_id)
            .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None), Section.archived_at.is_(None))
            .order_by(Section.position, Lesson.position)
        )
    )
    titles: dict[int, dict[str, str]] = {}
    for text in session.scalars(
        select(LessonText)
        .where(LessonText.lesson_id.in_([lesson.id for lesson in lessons]))
        .options(load_only(LessonText.lesson_id, LessonText.locale, LessonText.title))
    ):
        titles.setdefault(text.lesson_id, {})[text.locale] = text.title
    learners = list(
        session.scalars(
            select(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(Enrolment.course_id == course.id, Enrolment.role == CourseRole.LEARNER)
            .options(joinedload(User.organisation))
        )
    )
    organisations = sorted(
        {(u.organisation.id, u.organisation.name(locale)) for u in learners if u.organisation is not None},
        key=lambda item: collation_key(item[1], locale),
    )
    if filters.organisation is not None:
        learners = [learner for learner in learners if learner.organisation_id == filters.organisation]
    learner_ids = [learner.id for learner in learners]
    done: dict[int, set[int]] = {}
    for user_id, lesson_id in session.execute(
        select(LessonCompletion.user_id, LessonCompletion.lesson_id).where(
            LessonCompletion.lesson_id.in_([lesson.id for lesson in lessons]),
            LessonCompletion.user_id.in_(learner_ids),
        )
    ):
        done.setdefault(user_id, set()).add(lesson_id)
    completions = {
        row.user_id: row
        for row in session.scalars(
            select(CourseCompletion).where(
                CourseCompletion.course_id == course.id, CourseCompletion.user_id.in_(learner_ids)
            )
        )
    }
    quiz_id = session.scalar(select(Quiz.id).where(Quiz.course_id == course.id))
    grades = dict(
        session.execute(
            select(QuizGrade.user_id, QuizGrade.grade).where(
                QuizGrade.quiz_id == quiz_id, QuizGrade.user_id.in_(learner_ids)
            )
        ).all()
    )
    rows = []
    for learner in learners:
        completion = completions.get(learner.id)
        rows.append(
            LearnerProgressRow(
                user=learner,
                organisation=learner.organisation.name(locale) if learner.organisation else "",
                done=frozenset(done.get(learner.id, set())),
                state=CompletionState(completion.state) if completion else CompletionState.NOT_STARTED,
                percent=completion.percent if completion else 0,
                quiz_grade=grades.get(learner.id),
                completed_at=completion.completed_at if completion else None,
            )
        )
    rows.sort(key=_sort_key(filters.sort, locale), reverse=filters.order == "desc")
    return ProgressReport(
        course=course,
        lessons=[
            ReportLesson(lesson.id, lesson.slug, str(pick(titles.get(lesson.id, {}), locale) or lesson.slug))
            for lesson in lessons
        ],
        rows=rows,
        organisations=organisations,
        filters=filters,
        has_quiz=quiz_id is not None,
    )


def report_csv(report: ProgressReport) -> Iterator[bytes]:
    """The report as CSV: one column per lesson (1 = completed), then grade, state, percent and date."""
    labels = state_labels()
    header = [
        _("Learner"),
        _("Email"),
        _("Organisation"),
        *[lesson.title for lesson in report.lessons],
        _("Quiz grade (%)"),
        _("Progress (%)"),
        _("State"),
        _("Completed on"),
    ]

    def cells(row: LearnerProgressRow) -> list[str]:
        return [
            spreadsheet_safe(row.user.full_name),
            spreadsheet_safe(row.user.email),
            spreadsheet_safe(row.organisation),
            *["1" if lesson.id in row.done else "0" for lesson in report.lessons],
            "" if row.quiz_grade is None else f"{row.quiz_grade:.2f}",
            str(row.percent),
            labels[row.state],
            local_date(row.completed_at).isoformat() if row.completed_at else "",
        ]

    rows = report.rows
    batches = ((cells(row) for row in rows[start : start + CSV_BATCH]) for start in range(0, len(rows), CSV_BATCH))
    return csv_lines(header, batches)
