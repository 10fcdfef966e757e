"""Quiz results for trainers: attempts per learner, on a page and as a streamed CSV file."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

from babel.numbers import format_percent
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import ColumnElement, Row, Select, and_, distinct, func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.forms import ChoiceId
from app.core.i18n import _, get_locale
from app.core.spreadsheets import csv_lines, spreadsheet_safe
from app.courses.models import Course
from app.quizzes.manage import taught_quiz
from app.quizzes.models import AttemptState, Quiz, QuizAttempt, QuizGrade

LEARNERS_PER_PAGE = 50
CSV_BATCH = 500

StateFilter = Literal["in_progress", "finished", "needs_grading", "auto_submitted"]


def state_labels() -> dict[str, str]:
    return {
        "in_progress": _("In progress"),
        "finished": _("Finished"),
        "needs_grading": _("Needs grading"),
        "auto_submitted": _("Submitted automatically when time ran out"),
    }


def percent_text(value: float | None) -> str:
    """A percentage with at most one decimal, as the locale writes it ("83,3 %", "83.3%")."""
    if value is None:
        return ""
    return format_percent(round(value / 100, 3), locale=get_locale(), decimal_quantization=False)


def duration_text(taken: dt.timedelta | None) -> str:
    """A time taken as the page shows it: "42 s", "12 min 5 s", "1 h 3 min"."""
    if taken is None:
        return ""
    seconds = max(int(taken.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    if minutes:
        return _("%(minutes)s min %(seconds)s s", minutes=minutes, seconds=seconds)
    return _("%(seconds)s s", seconds=seconds)


# --- filters ---------------------------------------------------------------------------------------------


class ResultsFilters(BaseModel):
    """The results page's query string: which attempts to list, and which page of learners."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    organisation: ChoiceId = None
    state: StateFilter | None = None
    page: int = Field(default=1, ge=1, le=100_000)

    @field_validator("state", mode="before")
    @classmethod
    def _any_state_when_blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("page", mode="before")
    @classmethod
    def _first_page_when_blank(cls, value: object) -> object:
        return 1 if isinstance(value, str) and not value.strip() else value


def _listed(quiz_id: int, filters: ResultsFilters) -> list[ColumnElement[bool]]:
    """Conditions on QuizAttempt (joined with User) for the attempts the page and the export list."""
    conditions: list[ColumnElement[bool]] = [
        QuizAttempt.quiz_id == quiz_id,
        QuizAttempt.is_preview.is_(False),
        QuizAttempt.state.in_((AttemptState.IN_PROGRESS, AttemptState.FINISHED)),
    ]
    if filters.state == "in_progress":
        conditions.append(QuizAttempt.state == AttemptState.IN_PROGRESS)
    elif filters.state is not None:
        conditions.append(QuizAttempt.state == AttemptState.FINISHED)
        if filters.state == "needs_grading":
            conditions.append(QuizAttempt.needs_grading.is_(True))
        elif filters.state == "auto_submitted":
            conditions.append(QuizAttempt.auto_submitted.is_(True))
    if filters.organisation is not None:
        conditions.append(User.organisation_id == filters.organisation)
    return conditions


# What the results page and the export show of each attempt (plain columns: no ORM objects per row).
_RESULT_COLUMNS = (
    QuizAttempt.id, QuizAttempt.number, QuizAttempt.state, QuizAttempt.needs_grading, QuizAttempt.auto_submitted,
    QuizAttempt.started_at, QuizAttempt.finished_at, QuizAttempt.grade, User.id.label("user_id"), User.full_name,
    Organisation.name_lt, Organisation.name_en, QuizGrade.grade.label("overall"), QuizGrade.passed,
    QuizGrade.finished_attempts,
)  # fmt: skip


def _attempt_rows(quiz_id: int, filters: ResultsFilters) -> Select[Any]:
    """One row per listed attempt with its learner and their quiz grade, grouped by learner."""
    return (
        select(*_RESULT_COLUMNS)
        .join(User, User.id == QuizAttempt.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .outerjoin(QuizGrade, and_(QuizGrade.quiz_id == QuizAttempt.quiz_id, QuizGrade.user_id == QuizAttempt.user_id))
        .where(*_listed(quiz_id, filters))
        .order_by(User.full_name, User.id, QuizAttempt.number)
    )


# --- the results page --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptRow:
    id: int
    number: int
    states: tuple[str, ...]  # keys of state_labels(): the state, then "auto_submitted" when it applies
    started_at: dt.datetime
    finished_at: dt.datetime | None
    grade: float | None
    in_progress: bool

    @property
    def time_taken(self) -> dt.timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None


@dataclass
class LearnerResults:
    user_id: int
    full_name: str
    organisation: str
    overall: float | None
    passed: bool
    finished_attempts: int
    attempts: list[AttemptRow]

    @property
    def has_overall(self) -> bool:
        return self.finished_attempts > 0


@dataclass(frozen=True)
class ResultsSummary:
    learners: int
    attempts: int
    average_grade: float | None
    passed: int
    decided: int  # learners with a grade, whom the pass rate is about

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.decided if self.decided else None


@dataclass(frozen=True)
class ResultsPage:
    course: Course
    quiz: Quiz
    filters: ResultsFilters
    summary: ResultsSummary
    learners: list[LearnerResults]
    organisations: list[tuple[int, str]]
    page: int
    page_count: int

    def filter_query(self, *, page: int | None = None) -> str:
        """The query string of the current filters (and a page), for the pager and the export link."""
        params = [("organisation", self.filters.organisation), ("state", self.filters.state), ("page", page)]
        query = urlencode([(name, value) for name, value in params if value is not None])
        return f"?{query}" if query else ""


def _states(state: str, needs_grading: bool, auto_submitted: bool) -> tuple[str, ...]:
    if state == AttemptState.IN_PROGRESS:
        return ("in_progress",)
    main = "needs_grading" if needs_grading else "finished"
    return (main, "auto_submitted") if auto_submitted else (main,)


def _organisation_name(name_lt: str | None, name_en: str | None, locale: str) -> str:
    return (name_lt if locale == "lt" else name_en) or ""


def _summary(session: Session, quiz_id: int, filters: ResultsFilters) -> ResultsSummary:
    listed_learners = (
        select(QuizAttempt.user_id).join(User, User.id == QuizAttempt.user_id).where(*_listed(quiz_id, filters))
    )

    def learners_where(*conditions: ColumnElement[bool]) -> Any:
        return (
            select(func.count())
            .select_from(QuizGrade)
            .where(QuizGrade.quiz_id == quiz_id, QuizGrade.user_id.in_(listed_learners), *conditions)
            .scalar_subquery()
        )

    row = session.execute(
        select(
            func.count(distinct(QuizAttempt.user_id)),
            func.count(QuizAttempt.id),
            func.avg(QuizAttempt.grade),
            learners_where(QuizGrade.passed.is_(True)),
            learners_where(QuizGrade.grade.is_not(None)),
        )
        .join(User, User.id == QuizAttempt.user_id)
        .where(*_listed(quiz_id, filters))
    ).one()
    return ResultsSummary(
        learners=row[0], attempts=row[1], average_grade=row[2], passed=row[3] or 0, decided=row[4] or 0
    )


def _organisation_options(session: Session, quiz_id: int, locale: str) -> list[tuple[int, str]]:
    """Organisations of the learners who attempted the quiz, for the filter."""
    with_attempts = (
        select(User.organisation_id)
        .join(QuizAttempt, QuizAttempt.user_id == User.id)
        .where(*_listed(quiz_id, ResultsFilters()))
    )
    name = Organisation.name_lt if locale == "lt" else Organisation.name_en
    rows = session.execute(
        select(Organisation.id, name).where(Organisation.id.in_(with_attempts)).order_by(name, Organisation.id)
    )
    return [(organisation_id, text) for organisation_id, text in rows]


def _learners(rows: Sequence[Row[Any]], locale: str) -> list[LearnerResults]:
    learners: list[LearnerResults] = []
    for row in rows:
        if not learners or learners[-1].user_id != row.user_id:
            learners.append(
                LearnerResults(
                    user_id=row.user_id,
                    full_name=row.full_name,
                    organisation=_organisation_name(row.name_lt, row.name_en, locale),
                    overall=row.overall,
                    passed=bool(row.passed),
                    finished_attempts=row.finished_attempts or 0,
                    attempts=[],
                )
            )
        learners[-1].attempts.append(
            AttemptRow(
                id=row.id,
                number=row.number,
                states=_states(row.state, row.needs_grading, row.auto_submitted),
                started_at=row.started_at,
                finished_at=row.finished_at,
                grade=row.grade,
                in_progress=row.state == AttemptState.IN_PROGRESS,
            )
        )
    return learners


def results_page(session: Session, *, code: str, user: User, filters: ResultsFilters, locale: str) -> ResultsPage:
    """One page of learners with their attempts, the summary over every listed attempt and the filter options."""
    course, quiz = taught_quiz(session, code=code, user=user)
    summary = _summary(session, quiz.id, filters)
    page_count = max(math.ceil(summary.learners / LEARNERS_PER_PAGE), 1)
    page = min(filters.page, page_count)
    learners: list[LearnerResults] = []
    if summary.learners:
        # Page by learners, not attempts, so one person's attempts never split across pages.
        page_ids = (
            select(User.id)
            .join(QuizAttempt, QuizAttempt.user_id == User.id)
            .where(*_listed(quiz.id, filters))
            .group_by(User.id, User.full_name)
            .order_by(User.full_name, User.id)
            .limit(LEARNERS_PER_PAGE)
            .offset((page - 1) * LEARNERS_PER_PAGE)
        )
        rows = session.execute(_attempt_rows(quiz.id, filters).where(QuizAttempt.user_id.in_(page_ids))).all()
        learners = _learners(rows, locale)
    return ResultsPage(
        course=course, quiz=quiz, filters=filters, summary=summary, learners=learners,
        organisations=_organisation_options(session, quiz.id, locale), page=page, page_count=page_count,
    )  # fmt: skip


# --- the CSV export ----------------------------------------------------------------------------------------


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _iso(value: dt.datetime | None) -> str:
    return "" if value is None else value.replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ResultsExport:
    filename: str
    lines: Iterator[bytes]


def results_csv(session: Session, *, code: str, user: User, filters: ResultsFilters, locale: str) -> ResultsExport:
    """The listed attempts as CSV (UTF-8 with a BOM for Excel), read and written in batches as it streams.

    Access is checked now; the rows are read while the response is sent, so `session` must stay open until then.
    """
    course, quiz = taught_quiz(session, code=code, user=user)
    # Translated now: the generator runs later, outside the request's locale.
    header = [
        _("Learner"), _("Organisation"), _("Attempt"), _("State"), _("Started"), _("Finished"),
        _("Time taken (seconds)"), _("Grade (%)"), _("Overall grade (%)"), _("Passed"),
    ]  # fmt: skip
    labels = state_labels()
    yes_no = {True: _("Yes"), False: _("No")}
    statement = _attempt_rows(quiz.id, filters).execution_options(yield_per=CSV_BATCH)

    def cells(row: Row[Any]) -> list[str]:
        taken = row.finished_at - row.started_at if row.finished_at else None
        states = "; ".join(labels[key] for key in _states(row.state, row.needs_grading, row.auto_submitted))
        return [
            spreadsheet_safe(row.full_name),
            spreadsheet_safe(_organisation_name(row.name_lt, row.name_en, locale)),
            str(row.number),
            spreadsheet_safe(states),
            _iso(row.started_at),
            _iso(row.finished_at),
            "" if taken is None else str(max(int(taken.total_seconds()), 0)),
            _decimal(row.grade),
            _decimal(row.overall) if row.finished_attempts else "",
            yes_no[bool(row.passed)] if row.finished_attempts and row.overall is not None else "",
        ]

    batches = ((cells(row) for row in batch) for batch in session.execute(statement).partitions())
    return ResultsExport(filename=f"{course.code}-quiz-results.csv", lines=csv_lines(header, batches))
