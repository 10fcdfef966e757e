"""Completion records: one row per learner enrolment, with its completion state, grade and certificate.

Shared by the export pages, the `klasteris export completions` command and the API, so all three
answer the same question the same way. Rows are read in batches (`yield_per`) so that 100,000 of
them never sit in memory together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.i18n import pick
from app.courses.models import Course, CourseRole, Enrolment, Programme
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade
from app.reports.scope import ReportScope

BATCH_SIZE = 1000


@dataclass(frozen=True)
class CompletionFilters:
    programme_code: str | None = None
    course_code: str | None = None
    organisation_id: int | None = None
    state: CompletionState | None = None
    # Inclusive calendar days (UTC) of the completion date; rows without one never match a date filter.
    completed_from: dt.date | None = None
    completed_to: dt.date | None = None

    def as_audit_details(self) -> dict[str, str | int | None]:
        return {
            "programme": self.programme_code,
            "course": self.course_code,
            "organisation_id": self.organisation_id,
            "state": self.state.value if self.state else None,
            "completed_from": self.completed_from.isoformat() if self.completed_from else None,
            "completed_to": self.completed_to.isoformat() if self.completed_to else None,
        }


@dataclass(frozen=True)
class CompletionRecord:
    record_id: int  # the enrolment's id: stable, and the API's cursor
    learner_id: int
    full_name: str
    email: str
    organisation: str
    job_title: str
    programme_code: str
    programme_title: str
    course_code: str
    course_title: str
    enrolled_at: dt.datetime
    completed_at: dt.datetime | None
    state: CompletionState
    quiz_grade: float | None
    # The course's hours, credited only once it is completed (what HR adds up).
    hours: int | None
    certificate_code: str | None
    certificate_url: str | None
    user_anonymised: bool
    # Whether the quiz grade reached the pass mark: a course may complete without passing an optional quiz.
    quiz_passed: bool = False
    # When the state last changed: the moment of failing, which has no completion time of its own.
    state_changed_at: dt.datetime | None = None


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _columns() -> tuple[Any, ...]:
    return (
        Enrolment.id,
        Enrolment.enrolled_at,
        User.id,
        User.full_name,
        User.email,
        User.job_title,
        User.anonymised_at,
        Organisation.name_lt,
        Organisation.name_en,
        Programme.code,
        Programme.title,
        Course.code,
        Course.title,
        Course.estimated_hours,
        CourseCompletion.state,
        CourseCompletion.completed_at,
        QuizGrade.grade,
        Certificate.code,
        QuizGrade.passed,
        CourseCompletion.updated_at,
    )


def completion_records_statement(
    filters: CompletionFilters, scope: ReportScope, *, after_record_id: int | None = None
) -> Select[Any]:
    """The records the scope may see that match the filters, in a stable order (by enrolment id)."""
    return _filtered(select(*_columns()), filters, scope, after_record_id=after_record_id).order_by(Enrolment.id)


def count_completion_records(session: Session, *, filters: CompletionFilters, scope: ReportScope) -> int:
    return session.scalar(_filtered(select(func.count(Enrolment.id)), filters, scope)) or 0


def _filtered(
    statement: Select[Any], filters: CompletionFilters, scope: ReportScope, *, after_record_id: int | None = None
) -> Select[Any]:
    statement = (
        statement.select_from(Enrolment)
        .join(User, User.id == Enrolment.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .join(Course, Course.id == Enrolment.course_id)
        .join(Programme, Programme.id == Course.programme_id)
        .outerjoin(
            CourseCompletion,
            and_(CourseCompletion.user_id == Enrolment.user_id, CourseCompletion.course_id == Enrolment.course_id),
        )
        .outerjoin(Quiz, Quiz.course_id == Course.id)
        .outerjoin(QuizGrade, and_(QuizGrade.quiz_id == Quiz.id, QuizGrade.user_id == Enrolment.user_id))
        .outerjoin(
            Certificate,
            and_(
                Certificate.user_id == Enrolment.user_id,
                Certificate.course_id == Enrolment.course_id,
                Certificate.revoked_at.is_(None),
            ),
        )
        .where(Enrolment.role == CourseRole.LEARNER)
    )
    organisation_id = scope.organisation_filter(filters.organisation_id)
    if organisation_id is not None:
        statement = statement.where(User.organisation_id == organisation_id)
    if filters.programme_code:
        statement = statement.where(Programme.code == filters.programme_code)
    if filters.course_code:
        statement = statement.where(Course.code == filters.course_code)
    if filters.state is CompletionState.NOT_STARTED:
        # A missing completion row means the learner has not started.
        statement = statement.where(
            (CourseCompletion.id.is_(None)) | (CourseCompletion.state == CompletionState.NOT_STARTED)
        )
    elif filters.state is not None:
        statement = statement.where(CourseCompletion.state == filters.state)
    if filters.completed_from is not None:
        statement = statement.where(CourseCompletion.completed_at >= _day_start(filters.completed_from))
    if filters.completed_to is not None:
        statement = statement.where(
            CourseCompletion.completed_at < _day_start(filters.completed_to + dt.timedelta(days=1))
        )
    if after_record_id is not None:
        statement = statement.where(Enrolment.id > after_record_id)
    return statement


def certificate_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def iter_completion_records(
    session: Session,
    *,
    filters: CompletionFilters,
    scope: ReportScope,
    locale: str,
    base_url: str,
    after_record_id: int | None = None,
    limit: int | None = None,
) -> Iterator[CompletionRecord]:
    """The records in enrolment order, fetched BATCH_SIZE rows at a time."""
    statement = completion_records_statement(filters, scope, after_record_id=after_record_id)
    if limit is not None:
        statement = statement.limit(limit)
    result = session.execute(statement.execution_options(yield_per=BATCH_SIZE))
    for row in result:
        (
            record_id,
            enrolled_at,
            learner_id,
            full_name,
            email,
            job_title,
            anonymised_at,
            organisation_lt,
            organisation_en,
            programme_code,
            programme_title,
            course_code,
            course_title,
            hours,
            state,
            completed_at,
            grade,
            code,
            passed,
            state_changed_at,
        ) = row
        completion_state = CompletionState(state) if state else CompletionState.NOT_STARTED
        organisation = (organisation_lt if locale == "lt" else organisation_en) or ""
        yield CompletionRecord(
            record_id=record_id,
            learner_id=learner_id,
            full_name=full_name,
            email="" if anonymised_at is not None else email,
            organisation=organisation,
            job_title=job_title,
            programme_code=programme_code,
            programme_title=pick(programme_title, locale),
            course_code=course_code,
            course_title=pick(course_title, locale),
            enrolled_at=enrolled_at,
            completed_at=completed_at,
            state=completion_state,
            quiz_grade=grade,
            hours=hours if completion_state is CompletionState.COMPLETED else None,
            certificate_code=code,
            certificate_url=certificate_url(base_url, code) if code else None,
            user_anonymised=anonymised_at is not None,
            quiz_passed=bool(passed) and grade is not None,
            state_changed_at=state_changed_at,
        )
