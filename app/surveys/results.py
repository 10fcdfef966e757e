"""Survey results per event or course and period: response rate, means, distributions, satisfaction, comments.

Results are anonymous: nothing here reads who answered, and below MIN_RESPONSES responses no figure and no
comment is given at all (a mean of two answers is close to telling what each person said).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from babel.numbers import format_decimal
from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.core.access import Role
from app.core.errors import NotFound
from app.core.i18n import _, collation_key, get_locale, pick
from app.courses.models import Course, CourseRole, Enrolment
from app.events.models import EventTrainer, TrainingEvent
from app.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyTarget,
)

MIN_RESPONSES = 3
LIKERT_VALUES = (1, 2, 3, 4, 5)
SATISFIED = (4, 5)


@dataclass(frozen=True)
class Period:
    """Inclusive calendar days (UTC); None leaves that end open."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None


def likert_labels() -> dict[int, str]:
    return {
        1: _("Strongly disagree"),
        2: _("Disagree"),
        3: _("Neither agree nor disagree"),
        4: _("Agree"),
        5: _("Strongly agree"),
    }


def below_threshold_message() -> str:
    return _("Results are shown from %(count)s responses on.", count=MIN_RESPONSES)


def satisfaction_share(counts: dict[int, int]) -> float | None:
    """The share of 4 and 5 among all ratings (None without ratings)."""
    total = sum(counts.values())
    return sum(counts.get(value, 0) for value in SATISFIED) / total if total else None


# --- who sees which results ---------------------------------------------------------------------------


def _visible_to(user: User) -> list[ColumnElement[bool]]:
    """Administrators see every target; trainers the events they train and the courses they teach."""
    if Role.ADMIN in user.role_set:
        return []
    trains = select(EventTrainer.event_id).where(EventTrainer.user_id == user.id)
    teaches = select(Enrolment.course_id).where(Enrolment.user_id == user.id, Enrolment.role == CourseRole.TRAINER)
    return [or_(SurveyTarget.event_id.in_(trains), SurveyTarget.course_id.in_(teaches))]


def _target_name(
    event_title: dict[str, str] | None, code: str | None, course_title: dict[str, str] | None, locale: str
) -> str:
    if event_title is not None:
        return str(pick(event_title, locale))
    return f"{code} · {pick(course_title or {}, locale)}"


@dataclass(frozen=True)
class TargetSummary:
    target_id: int
    name: str
    is_event: bool
    starts_at: dt.datetime | None  # the event's start, for the list
    survey_title: dict[str, str]
    invitations: int
    responses: int

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.invitations if self.invitations else None


def _targets_query() -> Select[tuple]:  # type: ignore[type-arg]
    invitations = (
        select(func.count(SurveyInvitation.id)).where(SurveyInvitation.target_id == SurveyTarget.id).scalar_subquery()
    )
    responses = (
        select(func.count(SurveyResponse.id)).where(SurveyResponse.target_id == SurveyTarget.id).scalar_subquery()
    )
    return (
        select(
            SurveyTarget.id,
            TrainingEvent.title,
            TrainingEvent.starts_at,
            Course.code,
            Course.title,
            Survey.title,
            invitations,
            responses,
        )
        .join(Survey, Survey.id == SurveyTarget.survey_id)
        .outerjoin(TrainingEvent, TrainingEvent.id == SurveyTarget.event_id)
        .outerjoin(Course, Course.id == SurveyTarget.course_id)
    )


def target_list(session: Session, *, user: User, locale: str) -> list[TargetSummary]:
    """Every target the person may read results of, events (newest first) then courses."""
    rows = [
        TargetSummary(
            target_id=target_id,
            name=_target_name(event_title, code, course_title, locale),
            is_event=event_title is not None,
            starts_at=starts_at,
            survey_title=survey_title,
            invitations=invitations,
            responses=responses,
        )
        for target_id, event_title, starts_at, code, course_title, survey_title, invitations, responses in (
            session.execute(_targets_query().where(*_visible_to(user)))
        )
    ]
    events = sorted((row for row in rows if row.is_event), key=lambda row: (row.starts_at, row.target_id), reverse=True)
    courses = sorted((row for row in rows if not row.is_event), key=lambda row: collation_key(row.name, locale))
    return [*events, *courses]


# --- one target's results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LikertResult:
    question: SurveyQuestion
    counts: dict[int, int]  # 1–5 → answers

    @property
    def answers(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        return sum(value * count for value, count in self.counts.items()) / self.answers if self.answers else None

    @property
    def satisfaction_rate(self) -> float | None:
        return satisfaction_share(self.counts)

    def share(self, value: int) -> float:
        return self.counts.get(value, 0) / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class CommentResult:
    question: SurveyQuestion
    comments: list[str]  # sorted: never in the order given, never with a date


@dataclass(frozen=True)
class SurveyResults:
    target_id: int
    name: str
    survey: Survey
    period: Period
    invitations: int  # sent up to the end of the period
    responses: int  # submitted within the period
    likert: list[LikertResult] = field(default_factory=list)
    comments: list[CommentResult] = field(default_factory=list)

    @property
    def shown(self) -> bool:
        return self.responses >= MIN_RESPONSES

    @property
    def response_rate(self) -> float | None:
        return self.responses / self.invitations if self.invitations else None

    @property
    def satisfaction_rate(self) -> float | None:
        totals: dict[int, int] = defaultdict(int)
        for result in self.likert:
            for value, count in result.counts.items():
                totals[value] += count
        return satisfaction_share(totals)


def results_missing() -> NotFound:
    return NotFound(_("These survey results do not exist or are not yours to read."))


def _in_period(period: Period) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if period.date_from is not None:
        conditions.append(SurveyResponse.submitted_on >= period.date_from)
    if period.date_to is not None:
        conditions.append(SurveyResponse.submitted_on <= period.date_to)
    return conditions


def survey_results(session: Session, *, target_id: int, user: User, period: Period, locale: str) -> SurveyResults:
    """One target's results for the period; a target the person may not read is not found."""
    row = session.execute(_targets_query().where(SurveyTarget.id == target_id, *_visible_to(user))).one_or_none()
    if row is None:
        raise results_missing()
    _id, event_title, _starts, code, course_title, _title, _invitations, _responses = row
    survey = session.scalar(
        select(Survey)
        .join(SurveyTarget, SurveyTarget.survey_id == Survey.id)
        .where(SurveyTarget.id == target_id)
        .options(selectinload(Survey.questions))
    )
    assert survey is not None
    sent = [SurveyInvitation.target_id == target_id]
    if period.date_to is not None:
        end = dt.datetime.combine(period.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        sent.append(SurveyInvitation.invited_at < end)
    invitations = session.scalar(select(func.count(SurveyInvitation.id)).where(*sent)) or 0
    responses = (
        session.scalar(
            select(func.count(SurveyResponse.id)).where(SurveyResponse.target_id == target_id, *_in_period(period))
        )
        or 0
    )
    results = SurveyResults(
        target_id=target_id,
        name=_target_name(event_title, code, course_title, locale),
        survey=survey,
        period=period,
        invitations=invitations,
        responses=responses,
    )
    if not results.shown:
        return results  # below the threshold not even the answers are read
    answered = (
        select(SurveyAnswer.question_id, SurveyAnswer.likert, SurveyAnswer.comment)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.target_id == target_id, *_in_period(period))
    )
    counts: dict[int, dict[int, int]] = defaultdict(dict)
    likert = answered.where(SurveyAnswer.likert.is_not(None)).subquery()
    for question_id, value, count in session.execute(
        select(likert.c.question_id, likert.c.likert, func.count()).group_by(likert.c.question_id, likert.c.likert)
    ):
        counts[question_id][value] = count
    comments: dict[int, list[str]] = defaultdict(list)
    for question_id, _value, comment in session.execute(answered.where(SurveyAnswer.comment != "")):
        comments[question_id].append(comment)
    for question in survey.questions:
        if question.kind == QuestionKind.LIKERT:
            results.likert.append(LikertResult(question, dict(counts.get(question.id, {}))))
        else:
            ordered = sorted(comments.get(question.id, []), key=lambda text: collation_key(text, locale))
            results.comments.append(CommentResult(question, ordered))
    return results


# --- the programme indicator ----------------------------------------------------------------------------


def satisfaction_in_period(session: Session, *, date_from: dt.date | None, date_to: dt.date | None) -> float | None:
    """Share of 4–5 among every rating of the responses submitted in the period, all surveys together.

    None below MIN_RESPONSES responses in the period, or without any rating.
    """
    period = Period(date_from, date_to)
    responses = select(func.count(SurveyResponse.id)).where(*_in_period(period)).correlate(None).scalar_subquery()
    satisfied = func.coalesce(func.sum(case((SurveyAnswer.likert.in_(SATISFIED), 1), else_=0)), 0)
    # One statement: the responses in the period, and their ratings (all, and those of 4 or 5).
    count, total, satisfied_count = session.execute(
        select(responses, func.count(SurveyAnswer.id), satisfied)
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.likert.is_not(None), *_in_period(period))
    ).one()
    if count < MIN_RESPONSES or not total:
        return None
    return int(satisfied_count) / total


def format_mean(value: float) -> str:
    """A mean rating with one decimal, as the reader's language writes it (4,2 in Lithuanian)."""
    return format_decimal(round(value, 1), format="0.0", locale=get_locale())
