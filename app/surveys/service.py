"""Survey templates: writing and ordering questions, archiving, the standard survey, attaching to events and courses."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.i18n import _, collation_key, pick
from app.courses.models import Course
from app.events.models import EventStatus, TrainingEvent
from app.surveys.models import (
    QuestionKind,
    Survey,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyTarget,
)
from app.surveys.schemas import MoveDirection, QuestionForm, SurveyForm

# Written for the programme in both languages; the first six are Likert statements, the last two comments.
STANDARD_TITLE = {"lt": "Dalyvių pasitenkinimo apklausa", "en": "Participant satisfaction survey"}
STANDARD_INTRODUCTION = {
    "lt": (
        "Prašome įvertinti mokymus. Jūsų atsakymai anonimiški: ataskaitose rodomi tik apibendrinti "
        "ne mažiau kaip trijų dalyvių atsakymai, be vardų."
    ),
    "en": (
        "Please tell us what you thought of the training. Your answers are anonymous: reports show only "
        "summaries of at least three participants' answers, never names."
    ),
}
STANDARD_QUESTIONS: tuple[tuple[QuestionKind, dict[str, str], bool], ...] = (
    (QuestionKind.LIKERT, {"lt": "Mokymai atitiko mano lūkesčius.", "en": "The training met my expectations."}, True),
    (
        QuestionKind.LIKERT,
        {"lt": "Mokymų turinys buvo naudingas mano darbui.", "en": "The content was useful for my work."},
        True,
    ),
    (QuestionKind.LIKERT, {"lt": "Lektoriai buvo gerai pasirengę.", "en": "The trainers were well prepared."}, True),
    (QuestionKind.LIKERT, {"lt": "Mokymų medžiaga buvo aiški.", "en": "The materials were clear."}, True),
    (
        QuestionKind.LIKERT,
        {"lt": "Tai, ką išmokau, taikysiu savo darbe.", "en": "I will apply what I learnt in my work."},
        True,
    ),
    (
        QuestionKind.LIKERT,
        {"lt": "Apskritai esu patenkintas (-a) mokymais.", "en": "Overall, I am satisfied with the training."},
        True,
    ),
    (QuestionKind.TEXT, {"lt": "Kas jums buvo naudingiausia?", "en": "What was most useful to you?"}, False),
    (QuestionKind.TEXT, {"lt": "Ką reikėtų patobulinti?", "en": "What should be improved?"}, False),
)


def kind_labels() -> dict[str, str]:
    return {QuestionKind.LIKERT: _("Rating from 1 to 5"), QuestionKind.TEXT: _("Free-text comment")}


def survey_missing() -> NotFound:
    return NotFound(_("This survey does not exist."))


# --- reading -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyRow:
    survey: Survey
    questions: int
    targets: int


def survey_list(session: Session) -> tuple[list[SurveyRow], list[SurveyRow]]:
    """(in use, archived) surveys with their question and attachment counts, newest first."""
    questions = select(func.count(SurveyQuestion.id)).where(SurveyQuestion.survey_id == Survey.id).scalar_subquery()
    targets = select(func.count(SurveyTarget.id)).where(SurveyTarget.survey_id == Survey.id).scalar_subquery()
    rows = [
        SurveyRow(survey, question_count, target_count)
        for survey, question_count, target_count in session.execute(
            select(Survey, questions, targets).order_by(Survey.created_at.desc(), Survey.id.desc())
        )
    ]
    return [row for row in rows if row.survey.archived_at is None], [row for row in rows if row.survey.archived_at]


def survey_or_404(session: Session, survey_id: int) -> Survey:
    survey = session.scalar(select(Survey).where(Survey.id == survey_id).options(selectinload(Survey.questions)))
    if survey is None:
        raise survey_missing()
    return survey


def has_responses(session: Session, *, survey_id: int) -> bool:
    """Whether anyone answered the survey anywhere: its questions' meaning is then fixed."""
    answered = (
        select(SurveyResponse.id)
        .join(SurveyTarget, SurveyTarget.id == SurveyResponse.target_id)
        .where(SurveyTarget.survey_id == survey_id)
    )
    return bool(session.scalar(select(exists(answered))))


@dataclass(frozen=True)
class TargetRow:
    target: SurveyTarget
    label: str  # the event's or course's name in the reader's language
    invitations: int


@dataclass(frozen=True)
class SurveyPage:
    survey: Survey
    answered: bool
    targets: list[TargetRow]
    event_choices: list[tuple[int, str]]
    course_choices: list[tuple[int, str]]


def target_label(event: TrainingEvent | None, course: Course | None, locale: str) -> str:
    if event is not None:
        return str(pick(event.title, locale))
    assert course is not None
    return f"{course.code} · {pick(course.title, locale)}"


def survey_page(session: Session, *, survey_id: int, locale: str) -> SurveyPage:
    """A survey with its questions, where it is attached, and what it could be attached to."""
    survey = survey_or_404(session, survey_id)
    invitations = (
        select(func.count(SurveyInvitation.id)).where(SurveyInvitation.target_id == SurveyTarget.id).scalar_subquery()
    )
    targets = [
        TargetRow(target, target_label(event, course, locale), count)
        for target, event, course, count in session.execute(
            select(SurveyTarget, TrainingEvent, Course, invitations)
            .outerjoin(TrainingEvent, TrainingEvent.id == SurveyTarget.event_id)
            .outerjoin(Course, Course.id == SurveyTarget.course_id)
            .where(SurveyTarget.survey_id == survey.id)
            .order_by(SurveyTarget.id)
        )
    ]
    taken_events = select(SurveyTarget.event_id).where(SurveyTarget.event_id.is_not(None))
    taken_courses = select(SurveyTarget.course_id).where(SurveyTarget.course_id.is_not(None))
    events = session.scalars(
        select(TrainingEvent)
        .where(TrainingEvent.status != EventStatus.CANCELLED.value, TrainingEvent.id.not_in(taken_events))
        .order_by(TrainingEvent.starts_at.desc(), TrainingEvent.id)
    )
    courses = session.scalars(
        select(Course).where(Course.archived_at.is_(None), Course.id.not_in(taken_courses)).order_by(Course.code)
    )
    event_choices = [
        (event.id, f"{pick(event.title, locale)} ({event.starts_at.date().isoformat()})") for event in events
    ]
    course_choices = sorted(
        ((course.id, target_label(None, course, locale)) for course in courses),
        key=lambda choice: collation_key(choice[1], locale),
    )
    return SurveyPage(
        survey=survey,
        answered=has_responses(session, survey_id=survey.id),
        targets=targets,
        event_choices=event_choices,
        course_choices=course_choices,
    )


# --- writing the template ------------------------------------------------------------------------------


def _same_title_exists(session: Session, *, title: dict[str, str], except_id: int | None = None) -> bool:
    wanted = {key: value.casefold() for key, value in title.items()}
    for survey_id, existing in session.execute(select(Survey.id, Survey.title).where(Survey.archived_at.is_(None))):
        if survey_id != except_id and {key: value.casefold() for key, value in existing.items() if value} == wanted:
            return True
    return False


def _duplicate_title() -> Conflict:
    # Also what makes a double submit of the "new survey" form harmless.
    return Conflict(_("A survey with this title already exists. Give this one another title."), field="title_lt")


def create_survey(session: Session, *, form: SurveyForm, by: User) -> Survey:
    if _same_title_exists(session, title=form.title):
        raise _duplicate_title()
    survey = Survey(title=form.title, introduction=form.introduction, created_by_id=by.id)
    session.add(survey)
    session.flush()
    return survey


def update_survey(session: Session, *, survey: Survey, form: SurveyForm) -> bool:
    """Wording may always be corrected, even after answers came in. Returns whether anything changed."""
    if _same_title_exists(session, title=form.title, except_id=survey.id):
        raise _duplicate_title()
    if survey.title == form.title and survey.introduction == form.introduction:
        return False
    survey.title = form.title
    survey.introduction = form.introduction
    session.flush()
    return True


def create_standard_survey(session: Session, *, by: User) -> tuple[Survey, bool]:
    """The programme's standard satisfaction survey; an existing one (in use) is returned instead of a copy."""
    for survey in session.scalars(select(Survey).where(Survey.archived_at.is_(None)).order_by(Survey.id)):
        if survey.title == STANDARD_TITLE:
            return survey, False
    survey = Survey(title=dict(STANDARD_TITLE), introduction=dict(STANDARD_INTRODUCTION), created_by_id=by.id)
    survey.questions = [
        SurveyQuestion(position=position, kind=kind.value, text=dict(text), required=required)
        for position, (kind, text, required) in enumerate(STANDARD_QUESTIONS, start=1)
    ]
    session.add(survey)
    session.flush()
    return survey, True


def set_archived(session: Session, *, survey: Survey, archived: bool) -> bool:
    """Archive (hidden when attaching; results and attachments kept) or restore. Returns whether it changed."""
    if (survey.archived_at is not None) == archived:
        return False
    if not archived and _same_title_exists(session, title=survey.title):
        raise Conflict(_("Another survey in use has the same title. Rename one of them first."))
    survey.archived_at = utcnow() if archived else None
    session.flush()
    return True


def question_or_404(survey: Survey, question_id: int) -> SurveyQuestion:
    question = next((question for question in survey.questions if question.id == question_id), None)
    if question is None:
        raise NotFound(_("This question does not exist."))
    return question


def _same_text_exists(survey: Survey, text: dict[str, str], *, except_id: int | None = None) -> bool:
    wanted = {key: value.casefold() for key, value in text.items()}
    return any(
        question.id != except_id and {key: value.casefold() for key, value in question.text.items()} == wanted
        for question in survey.questions
    )


def add_question(session: Session, *, survey: Survey, form: QuestionForm) -> SurveyQuestion:
    if _same_text_exists(survey, form.text):
        # A repeated submit of the same question adds nothing.
        raise Unprocessable(_("This survey already has this question."), field="text_lt")
    position = max((question.position for question in survey.questions), default=0) + 1
    question = SurveyQuestion(
        survey_id=survey.id, position=position, kind=form.kind.value, text=form.text, required=form.required
    )
    survey.questions.append(question)
    session.flush()
    return question


def _answered_refusal(action: str) -> Conflict:
    return Conflict(
        _(
            "People have already answered this survey, so its questions cannot be %(action)s. You can still "
            "correct their wording, or make a new survey.",
            action=action,
        )
    )


def update_question(session: Session, *, survey: Survey, question: SurveyQuestion, form: QuestionForm) -> bool:
    if form.kind.value != question.kind and has_responses(session, survey_id=survey.id):
        raise _answered_refusal(_("changed to another kind"))
    if _same_text_exists(survey, form.text, except_id=question.id):
        raise Unprocessable(_("This survey already has this question."), field="text_lt")
    if (question.kind, question.text, question.required) == (form.kind.value, form.text, form.required):
        return False
    question.kind = form.kind.value
    question.text = form.text
    question.required = form.required
    session.flush()
    return True


def remove_question(session: Session, *, survey: Survey, question_id: int) -> bool:
    """Remove a question of a survey nobody answered yet. A question already gone is not an error (double submit)."""
    question = next((question for question in survey.questions if question.id == question_id), None)
    if question is None:
        return False
    if has_responses(session, survey_id=survey.id):
        raise _answered_refusal(_("removed"))
    survey.questions.remove(question)
    session.flush()
    return True


def move_question(session: Session, *, survey: Survey, question: SurveyQuestion, direction: MoveDirection) -> bool:
    """Swap the question with its neighbour above or below. Returns False at the top or bottom already."""
    ordered = sorted(survey.questions, key=lambda item: item.position)
    index = ordered.index(question)
    other_index = index - 1 if direction is MoveDirection.UP else index + 1
    if not 0 <= other_index < len(ordered):
        return False
    other = ordered[other_index]
    mine, theirs = question.position, other.position
    # (survey, position) is unique and checked row by row: park one question on a free position first.
    statement = update(SurveyQuestion).execution_options(synchronize_session=False)
    session.execute(statement.where(SurveyQuestion.id == question.id).values(position=-mine))
    session.execute(statement.where(SurveyQuestion.id == other.id).values(position=mine))
    session.execute(statement.where(SurveyQuestion.id == question.id).values(position=theirs))
    set_committed_value(question, "position", theirs)
    set_committed_value(other, "position", mine)
    return True


# --- attaching ---------------------------------------------------------------------------------------


def attach(session: Session, *, survey: Survey, event_id: int | None, course_id: int | None) -> bool:
    """Attach the survey to one event or course (each has at most one survey). Returns False if already so."""
    if survey.archived_at is not None:
        raise Conflict(_("This survey is archived. Restore it before attaching it."))
    if not survey.questions:
        raise Conflict(_("Add at least one question before attaching the survey."))
    if event_id is not None:
        if session.get(TrainingEvent, event_id) is None:
            raise Unprocessable(_("Choose one of the options."), field="event_id")
        existing = session.scalar(select(SurveyTarget).where(SurveyTarget.event_id == event_id))
        taken = _("This event already has a survey. Detach that one first.")
    else:
        if session.get(Course, course_id) is None:
            raise Unprocessable(_("Choose one of the options."), field="course_id")
        existing = session.scalar(select(SurveyTarget).where(SurveyTarget.course_id == course_id))
        taken = _("This course already has a survey. Detach that one first.")
    if existing is not None:
        if existing.survey_id == survey.id:
            return False
        raise Conflict(taken, field="event_id" if event_id is not None else "course_id")
    session.add(SurveyTarget(survey_id=survey.id, event_id=event_id, course_id=course_id))
    session.flush()
    return True


def detach(session: Session, *, survey: Survey, target_id: int) -> bool:
    """Detach while nobody has been invited yet. A target already gone is not an error (double submit)."""
    target = session.scalar(
        select(SurveyTarget).where(SurveyTarget.id == target_id, SurveyTarget.survey_id == survey.id)
    )
    if target is None:
        return False
    invited = session.scalar(select(exists().where(SurveyInvitation.target_id == target.id)))
    if invited:
        raise Conflict(
            _("People have already been invited to answer here, so the survey stays attached (results are kept).")
        )
    session.delete(target)
    session.flush()
    return True
