"""The programme's indicators for funders, counted live: registered learners, participants, completions, grades.

Every figure is one GROUP BY statement grouped by organisation (and course where it applies); totals are
summed here. So the page runs the same handful of statements however many people and records there are,
and the per-organisation table comes for free. Days are whole calendar days in UTC, as in the completion
records export, so the two agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError
from sqlalchemy import ColumnElement, and_, case, exists, func, literal_column, select, union, union_all
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Organisation, User, UserRole
from app.core.access import Role
from app.core.errors import NotFound
from app.core.forms import ChoiceId, OptionalDay
from app.core.i18n import _, collation_key
from app.courses.models import Course, CourseRole, Enrolment, Lesson, LessonCompletion, Programme
from app.events.models import Attendance, EventRegistration, EventStatus, RegistrationStatus, TrainingEvent
from app.progress.models import CompletionState, CourseCompletion
from app.quizzes.models import AttemptState, Quiz, QuizAttempt, QuizGrade
from app.reports.charts import BarChart, indicator_charts, period_label
from app.reports.scope import ReportScope
from app.surveys.results import satisfaction_in_period

Translations = dict[str, str]
# Beyond two years of months a chart of registrations becomes a wall of bars: count per year instead.
MAX_MONTHS = 24


# --- filters ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorFilters:
    # Inclusive calendar days (UTC); None leaves that end of the period open.
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    organisation_id: int | None = None

    @property
    def has_period(self) -> bool:
        return self.date_from is not None or self.date_to is not None

    def as_audit_details(self) -> dict[str, str | int | None]:
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "organisation_id": self.organisation_id,
        }


class IndicatorQuery(BaseModel):
    """The dashboard's filter form, read from the query string (?from=…&to=…&organisation=…)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    date_from: OptionalDay = Field(default=None, alias="from")
    date_to: OptionalDay = Field(default=None, alias="to")
    organisation: ChoiceId = None

    @model_validator(mode="after")
    def period_in_order(self) -> IndicatorQuery:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise PydanticCustomError(
                "klasteris_period", _("The end date must not be before the start date."), {"field": "to"}
            )
        return self

    def filters(self) -> IndicatorFilters:
        return IndicatorFilters(date_from=self.date_from, date_to=self.date_to, organisation_id=self.organisation)


# --- figures ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseFigures:
    code: str
    title: Translations
    programme_code: str
    # Learners whose first activity in the course falls in the period, and how many of them completed it by its end.
    participants: int
    completed_participants: int
    # Completions dated within the period, whenever the learner started.
    completions: int
    graded_learners: int
    average_grade: float | None  # percent

    @property
    def completion_rate(self) -> float | None:
        return self.completed_participants / self.participants if self.participants else None


@dataclass(frozen=True)
class ProgrammeFigures:
    code: str
    title: Translations
    completions: int


@dataclass(frozen=True)
class OrganisationFigures:
    organisation_id: int | None  # None: people without an organisation
    name_lt: str
    name_en: str
    registered_learners: int
    participants: int
    completions: int

    def name(self, locale: str) -> str:
        if self.organisation_id is None:
            return _("No organisation")
        return self.name_lt if locale == "lt" else self.name_en


@dataclass(frozen=True)
class PeriodCount:
    start: dt.date  # first day of the month or year
    count: int


@dataclass(frozen=True)
class ProgrammeIndicators:
    """Every figure of the dashboard. Comparable with ==, e.g. totals before and after anonymising someone."""

    filters: IndicatorFilters  # as applied: a manager's organisation is filled in
    registered_learners: int
    participants: int
    completions: int
    courses: tuple[CourseFigures, ...]
    programmes: tuple[ProgrammeFigures, ...]
    organisations: tuple[OrganisationFigures, ...]
    registrations: tuple[PeriodCount, ...]
    registrations_by: Literal["month", "year"]
    training_events: int = 0
    event_attendance: int = 0
    # None when it may not be shown (fewer survey responses than the anonymity threshold, or an
    # organisation chosen: anonymous answers have none), which must never read as 0 %.
    satisfaction_rate: float | None = None

    @property
    def average_grade(self) -> float | None:
        graded = sum(course.graded_learners for course in self.courses)
        if not graded:
            return None
        total = sum((course.average_grade or 0.0) * course.graded_learners for course in self.courses)
        return round(total / graded, 4)


# --- statements ---------------------------------------------------------------------------------------


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _within(column: Any, filters: IndicatorFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.date_from is not None:
        conditions.append(column >= _day_start(filters.date_from))
    if filters.date_to is not None:
        conditions.append(column < _day_start(filters.date_to + dt.timedelta(days=1)))
    return conditions


def _of_organisation(filters: IndicatorFilters) -> list[ColumnElement[bool]]:
    return [User.organisation_id == filters.organisation_id] if filters.organisation_id is not None else []


def _is_learner() -> ColumnElement[bool]:
    return exists().where(UserRole.user_id == User.id, UserRole.role == Role.LEARNER.value)


def _learner_enrolment(user_id: Any, course_id: Any) -> ColumnElement[bool]:
    return and_(Enrolment.user_id == user_id, Enrolment.course_id == course_id, Enrolment.role == CourseRole.LEARNER)


def _first_activity() -> Any:
    """Per learner and course, the moment of their first activity: a lesson ticked, a quiz attempt started
    (previews are not learning), or a completion record past "not started"."""
    started = select(
        CourseCompletion.user_id.label("user_id"),
        CourseCompletion.course_id.label("course_id"),
        func.coalesce(CourseCompletion.completed_at, CourseCompletion.updated_at).label("at"),
    ).where(CourseCompletion.state != CompletionState.NOT_STARTED.value)
    ticked = select(LessonCompletion.user_id, Lesson.course_id, LessonCompletion.completed_at).join(
        Lesson, Lesson.id == LessonCompletion.lesson_id
    )
    attempted = (
        select(QuizAttempt.user_id, Quiz.course_id, QuizAttempt.started_at)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(QuizAttempt.is_preview.is_(False))
    )
    activity = union_all(started, ticked, attempted).subquery("activity")
    return (
        select(activity.c.user_id, activity.c.course_id, func.min(activity.c.at).label("first_at"))
        .join(Enrolment, _learner_enrolment(activity.c.user_id, activity.c.course_id))
        .group_by(activity.c.user_id, activity.c.course_id)
        .subquery("first_activity")
    )


def _participants(session: Session, filters: IndicatorFilters) -> dict[int | None, int]:
    """People whose first course activity falls in the period, or who attended a training event held in it.

    UNION (not UNION ALL) counts someone who did both once.
    """
    first = _first_activity()
    per_person = (
        select(first.c.user_id, func.min(first.c.first_at).label("first_at")).group_by(first.c.user_id).subquery()
    )
    started = select(per_person.c.user_id.label("user_id")).where(*_within(per_person.c.first_at, filters))
    attended = select(EventRegistration.user_id.label("user_id")).where(*_attended_held_event(filters))
    people = union(started, attended).subquery("participants")
    rows = session.execute(
        select(User.organisation_id, func.count(people.c.user_id))
        .select_from(people)
        .join(User, User.id == people.c.user_id)
        .where(*_of_organisation(filters))
        .group_by(User.organisation_id)
    )
    return {organisation_id: count for organisation_id, count in rows}


def _held_in_period(filters: IndicatorFilters) -> list[ColumnElement[bool]]:
    return [TrainingEvent.status == EventStatus.HELD.value, *_within(TrainingEvent.starts_at, filters)]


def _attended_held_event(filters: IndicatorFilters) -> list[ColumnElement[bool]]:
    """Conditions on EventRegistration: marked attended at an event held (marked so) that started in the period."""
    return [
        EventRegistration.status == RegistrationStatus.REGISTERED.value,
        EventRegistration.attendance == Attendance.ATTENDED.value,
        exists().where(TrainingEvent.id == EventRegistration.event_id, *_held_in_period(filters)),
    ]


def _event_figures(session: Session, filters: IndicatorFilters) -> tuple[int, int]:
    """(events held that started in the period, places marked "attended" at them), in one statement.

    People of every organisation may attend one event, so an organisation filter narrows the attendance,
    not the event count. Someone who attended two events counts twice in the attendance.
    """
    events = select(func.count(TrainingEvent.id)).where(*_held_in_period(filters))
    attended = select(func.count(EventRegistration.id)).where(*_attended_held_event(filters))
    if filters.organisation_id is not None:
        attended = attended.join(User, User.id == EventRegistration.user_id).where(*_of_organisation(filters))
    row = session.execute(select(events.scalar_subquery(), attended.scalar_subquery())).one()
    return int(row[0] or 0), int(row[1] or 0)


CourseOrganisation = tuple[int, int | None]


def _course_participants(session: Session, filters: IndicatorFilters) -> dict[CourseOrganisation, tuple[int, int]]:
    """(participants, of whom completed by the end of the period) per course and organisation."""
    first = _first_activity()
    completion = aliased(CourseCompletion)
    completed = [completion.state == CompletionState.COMPLETED.value]
    if filters.date_to is not None:
        completed.append(completion.completed_at < _day_start(filters.date_to + dt.timedelta(days=1)))
    rows = session.execute(
        select(
            first.c.course_id,
            User.organisation_id,
            func.count(first.c.user_id),
            func.sum(case((and_(*completed), 1), else_=0)),
        )
        .select_from(first)
        .join(User, User.id == first.c.user_id)
        .outerjoin(completion, and_(completion.user_id == first.c.user_id, completion.course_id == first.c.course_id))
        .where(*_within(first.c.first_at, filters), *_of_organisation(filters))
        .group_by(first.c.course_id, User.organisation_id)
    )
    return {(course_id, organisation_id): (count, int(done or 0)) for course_id, organisation_id, count, done in rows}


def _completions(session: Session, filters: IndicatorFilters) -> dict[CourseOrganisation, int]:
    rows = session.execute(
        select(CourseCompletion.course_id, User.organisation_id, func.count(CourseCompletion.id))
        .join(User, User.id == CourseCompletion.user_id)
        .join(Enrolment, _learner_enrolment(CourseCompletion.user_id, CourseCompletion.course_id))
        .where(
            CourseCompletion.state == CompletionState.COMPLETED.value,
            CourseCompletion.completed_at.is_not(None),
            *_within(CourseCompletion.completed_at, filters),
            *_of_organisation(filters),
        )
        .group_by(CourseCompletion.course_id, User.organisation_id)
    )
    return {(course_id, organisation_id): count for course_id, organisation_id, count in rows}


def _grades(session: Session, filters: IndicatorFilters) -> dict[CourseOrganisation, tuple[int, float]]:
    """(graded learners, sum of their grades) per course and organisation.

    With a period, a learner's grade counts when they finished an attempt within it.
    """
    conditions: list[ColumnElement[bool]] = [QuizGrade.grade.is_not(None), QuizGrade.finished_attempts > 0]
    if filters.has_period:
        conditions.append(
            exists().where(
                QuizAttempt.quiz_id == QuizGrade.quiz_id,
                QuizAttempt.user_id == QuizGrade.user_id,
                QuizAttempt.is_preview.is_(False),
                QuizAttempt.state == AttemptState.FINISHED.value,
                *_within(QuizAttempt.finished_at, filters),
            )
        )
    rows = session.execute(
        select(Quiz.course_id, User.organisation_id, func.count(QuizGrade.id), func.sum(QuizGrade.grade))
        .select_from(QuizGrade)
        .join(Quiz, Quiz.id == QuizGrade.quiz_id)
        .join(User, User.id == QuizGrade.user_id)
        .join(Enrolment, _learner_enrolment(QuizGrade.user_id, Quiz.course_id))
        .where(*conditions, *_of_organisation(filters))
        .group_by(Quiz.course_id, User.organisation_id)
    )
    return {(course_id, organisation_id): (count, float(total)) for course_id, organisation_id, count, total in rows}


def _month_of(session: Session, column: Any) -> Any:
    """'YYYY-MM' of a UTC timestamp. Literal SQL, not bound parameters: PostgreSQL must see the same
    expression in SELECT and GROUP BY."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(literal_column("'UTC'"), column), literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), column)


def _registrations(session: Session, filters: IndicatorFilters) -> dict[tuple[int | None, str], int]:
    """Learners registered per organisation and month ('YYYY-MM'): both the totals and the chart."""
    month = _month_of(session, User.created_at)
    rows = session.execute(
        select(User.organisation_id, month, func.count(User.id))
        .where(_is_learner(), *_within(User.created_at, filters), *_of_organisation(filters))
        .group_by(User.organisation_id, month)
    )
    return {(organisation_id, key): count for organisation_id, key, count in rows}


def _registration_series(by_month: Mapping[str, int]) -> tuple[tuple[PeriodCount, ...], Literal["month", "year"]]:
    """Every month from the first to the last registration, empty months included (years when too many)."""
    if not by_month:
        return (), "month"
    months = sorted(dt.date(int(key[:4]), int(key[5:7]), 1) for key in by_month)
    first, last = months[0], months[-1]
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if span > MAX_MONTHS:
        per_year: dict[int, int] = defaultdict(int)
        for key, count in by_month.items():
            per_year[int(key[:4])] += count
        years = range(first.year, last.year + 1)
        return tuple(PeriodCount(dt.date(year, 1, 1), per_year.get(year, 0)) for year in years), "year"
    series = []
    for offset in range(span):
        year, month = divmod(first.month - 1 + offset, 12)
        start = dt.date(first.year + year, month + 1, 1)
        series.append(PeriodCount(start, by_month.get(start.strftime("%Y-%m"), 0)))
    return tuple(series), "month"


def _satisfaction(session: Session, filters: IndicatorFilters) -> float | None:
    """Share of ratings of 4 or 5 in the survey responses of the period (None below the anonymity threshold).

    Answers are anonymous, so they have no organisation: with an organisation chosen it is not recorded.
    """
    if filters.organisation_id is not None:
        return None
    return satisfaction_in_period(session, date_from=filters.date_from, date_to=filters.date_to)


def _organisations(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def _compute(
    session: Session, *, filters: IndicatorFilters, organisations: Iterable[Organisation]
) -> ProgrammeIndicators:
    registered: dict[int | None, int] = defaultdict(int)
    by_month: dict[str, int] = defaultdict(int)
    for (organisation_id, month), count in _registrations(session, filters).items():
        registered[organisation_id] += count
        by_month[month] += count
    participants = _participants(session, filters)
    course_participants = _course_participants(session, filters)
    completions = _completions(session, filters)
    grades = _grades(session, filters)
    registrations, registrations_by = _registration_series(by_month)
    training_events, event_attendance = _event_figures(session, filters)

    per_course: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    completions_by_organisation: dict[int | None, int] = defaultdict(int)
    for (course_id, _organisation_id), (count, done) in course_participants.items():
        per_course[course_id]["participants"] += count
        per_course[course_id]["completed"] += done
    for (course_id, organisation_id), count in completions.items():
        per_course[course_id]["completions"] += count
        completions_by_organisation[organisation_id] += count
    for (course_id, _organisation_id), (count, total) in grades.items():
        per_course[course_id]["graded"] += count
        per_course[course_id]["grade_total"] += total

    courses: list[CourseFigures] = []
    programmes: dict[str, ProgrammeFigures] = {}
    for course_id, code, title, archived_at, programme_code, programme_title in session.execute(
        select(Course.id, Course.code, Course.title, Course.archived_at, Programme.code, Programme.title)
        .join(Programme, Programme.id == Course.programme_id)
        .order_by(Programme.position, Programme.code, Course.position, Course.code)
    ):
        figures = per_course.get(course_id, {})
        # An archived course keeps its place only while it has something to report.
        if archived_at is not None and not any(figures.values()):
            continue
        graded = int(figures.get("graded", 0))
        completed_in_period = int(figures.get("completions", 0))
        courses.append(
            CourseFigures(
                code=code,
                title=title,
                programme_code=programme_code,
                participants=int(figures.get("participants", 0)),
                completed_participants=int(figures.get("completed", 0)),
                completions=completed_in_period,
                graded_learners=graded,
                average_grade=round(figures["grade_total"] / graded, 4) if graded else None,
            )
        )
        earlier = programmes.get(programme_code)
        programmes[programme_code] = ProgrammeFigures(
            code=programme_code,
            title=programme_title,
            completions=(earlier.completions if earlier else 0) + completed_in_period,
        )

    rows = [
        OrganisationFigures(
            organisation_id=organisation.id,
            name_lt=organisation.name_lt,
            name_en=organisation.name_en,
            registered_learners=registered.get(organisation.id, 0),
            participants=participants.get(organisation.id, 0),
            completions=completions_by_organisation.get(organisation.id, 0),
        )
        for organisation in organisations
        if filters.organisation_id in (None, organisation.id)
    ]
    without = (registered.get(None, 0), participants.get(None, 0), completions_by_organisation.get(None, 0))
    if any(without):
        rows.append(OrganisationFigures(None, "", "", *without))
    return ProgrammeIndicators(
        filters=filters,
        registered_learners=sum(registered.values()),
        participants=sum(participants.values()),
        completions=sum(completions.values()),
        courses=tuple(courses),
        programmes=tuple(programmes.values()),
        organisations=tuple(rows),
        registrations=registrations,
        registrations_by=registrations_by,
        training_events=training_events,
        event_attendance=event_attendance,
        satisfaction_rate=_satisfaction(session, filters),
    )


def _applied(filters: IndicatorFilters, scope: ReportScope, organisations: Iterable[Organisation]) -> IndicatorFilters:
    """The filters narrowed to what the reader may see; an organisation that does not exist is not found."""
    organisation_id = scope.organisation_filter(filters.organisation_id)
    if organisation_id is not None and organisation_id not in {organisation.id for organisation in organisations}:
        raise NotFound(_("This organisation was not found."))
    return IndicatorFilters(date_from=filters.date_from, date_to=filters.date_to, organisation_id=organisation_id)


def programme_indicators(session: Session, *, filters: IndicatorFilters, scope: ReportScope) -> ProgrammeIndicators:
    """Every indicator for the filters, within what the scope may see (404 for another organisation)."""
    organisations = _organisations(session)
    return _compute(session, filters=_applied(filters, scope, organisations), organisations=organisations)


# --- the dashboard page ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorsView:
    indicators: ProgrammeIndicators | None  # None while the filter form has errors
    organisation_options: list[tuple[int, str]]  # empty for an organisation manager: nothing to choose
    organisation_name: str | None  # the organisation the figures are narrowed to, if any
    organisation_rows: list[OrganisationFigures] = field(default_factory=list)  # sorted for the reader's language
    charts: dict[str, BarChart] = field(default_factory=dict)
    registration_rows: list[tuple[str, int]] = field(default_factory=list)  # (month or year, learners registered)


def indicators_view(
    session: Session, *, scope: ReportScope, filters: IndicatorFilters | None, locale: str
) -> IndicatorsView:
    organisations = _organisations(session)
    names = {organisation.id: organisation.name(locale) for organisation in organisations}
    options = sorted(names.items(), key=lambda item: collation_key(item[1], locale)) if scope.is_everything else []
    if filters is None:
        own = names.get(scope.organisation_id) if scope.organisation_id is not None else None
        return IndicatorsView(indicators=None, organisation_options=options, organisation_name=own)
    indicators = _compute(session, filters=_applied(filters, scope, organisations), organisations=organisations)
    chosen = indicators.filters.organisation_id
    rows = sorted(
        indicators.organisations,
        key=lambda row: (row.organisation_id is None, collation_key(row.name(locale), locale)),
    )
    return IndicatorsView(
        indicators=indicators,
        organisation_options=options,
        organisation_name=names.get(chosen) if chosen is not None else None,
        organisation_rows=rows,
        charts=indicator_charts(indicators, locale),
        registration_rows=[
            (period_label(period, indicators.registrations_by, locale), period.count)
            for period in indicators.registrations
        ],
    )
