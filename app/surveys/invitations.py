"""Invitations to answer a survey (after an event is held or a course completed), their emails, and answering once.

An invitation records *that* a person answered; the response records *what* was answered, with only the
day and the language. The invitation's answered_at is kept to the day as well, so neither the order of rows
nor their times can match a response to a person.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.core.config import SUPPORTED_LOCALES, Settings
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.events import CourseCompleted, TrainingEventHeld
from app.core.forms import FormInvalid
from app.core.i18n import _, pick, using_locale
from app.core.mail import send_mail
from app.courses.models import Course
from app.events.models import Attendance, EventRegistration, RegistrationStatus, TrainingEvent
from app.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyTarget,
)
from app.surveys.schemas import MAX_COMMENT_LENGTH

logger = logging.getLogger("klasteris.surveys")


class _MailSetup:
    """The settings invitation emails are sent with: handlers receive only the publisher's session."""

    settings: Settings | None = None


_mail = _MailSetup()


def use_mail_settings(settings: Settings | None) -> None:
    """Set at start-up by `app.surveys.wiring.connect(settings)`; None stops emailing (invitations still made)."""
    _mail.settings = settings


# --- inviting ----------------------------------------------------------------------------------------


def _new_invitations(session: Session, *, target: SurveyTarget, user_ids: list[int]) -> list[SurveyInvitation]:
    """Invitations for the people not invited to this target yet (one per person and target)."""
    if not user_ids:
        return []
    already = set(
        session.scalars(
            select(SurveyInvitation.user_id).where(
                SurveyInvitation.target_id == target.id, SurveyInvitation.user_id.in_(user_ids)
            )
        )
    )
    invitations = [
        SurveyInvitation(target_id=target.id, user_id=user_id) for user_id in user_ids if user_id not in already
    ]
    session.add_all(invitations)
    session.flush()
    return invitations


def _invitation_mail(
    settings: Settings, user: User, invitation: SurveyInvitation, subject_name: str
) -> tuple[str, str]:
    locale = user.locale if user.locale in SUPPORTED_LOCALES else "lt"
    with using_locale(locale):
        subject = _("How was it? A short survey about %(name)s", name=subject_name)
        body = _(
            "Hello %(name)s,\n\n"
            "thank you for taking part in %(subject)s. Please tell us what you thought of it: the survey takes "
            "a few minutes and your answers are anonymous (reports show only summaries of at least three "
            "answers, never names).\n\n%(link)s\n\n"
            "You can also find the survey on your Klasteris home page after signing in.\n",
            name=user.full_name,
            subject=subject_name,
            link=f"{settings.base_url}/surveys/{invitation.id}",
        )
    return subject, body


def _email(session: Session, invitations: list[SurveyInvitation], names: dict[str, str]) -> None:
    """Email each new invitee in their language. A failure is logged and never undoes the invitation."""
    settings = _mail.settings
    if not invitations:
        return
    if settings is None:
        logger.warning("%d survey invitations made without email: mail is not configured", len(invitations))
        return
    people = {
        user.id: user
        for user in session.scalars(select(User).where(User.id.in_([item.user_id for item in invitations])))
    }
    for index, invitation in enumerate(invitations):
        user = people[invitation.user_id]
        subject, body = _invitation_mail(settings, user, invitation, names.get(user.locale) or names["lt"])
        try:
            send_mail(settings, to=user.email, subject=subject, body=body)
        except Exception:
            # Inside the publisher's transaction: stop trying (the server is likely down) but keep everything.
            logger.exception("survey invitation emails failed; %d left unsent", len(invitations) - index)
            return
        invitation.emailed_at = utcnow()
    session.flush()


def _names(titles: dict[str, str]) -> dict[str, str]:
    return {locale: str(pick(titles, locale)) for locale in SUPPORTED_LOCALES}


def invite_event_participants(session: Session, event: TrainingEventHeld) -> None:
    """After an event is held: everyone registered who attended (or was not marked), once."""
    target = session.scalar(select(SurveyTarget).where(SurveyTarget.event_id == event.event_id))
    if target is None:
        return
    training = session.get(TrainingEvent, event.event_id)
    if training is None:
        return
    user_ids = list(
        session.scalars(
            select(EventRegistration.user_id)
            .join(User, User.id == EventRegistration.user_id)
            .where(
                EventRegistration.event_id == event.event_id,
                EventRegistration.status == RegistrationStatus.REGISTERED.value,
                or_(EventRegistration.attendance.is_(None), EventRegistration.attendance == Attendance.ATTENDED.value),
                User.is_active.is_(True),
                User.anonymised_at.is_(None),
            )
            .order_by(EventRegistration.user_id)
        )
    )
    _email(session, _new_invitations(session, target=target, user_ids=user_ids), _names(training.title))


def invite_course_completer(session: Session, event: CourseCompleted) -> None:
    """After a learner completes a course that has a survey: that learner, once."""
    target = session.scalar(select(SurveyTarget).where(SurveyTarget.course_id == event.course_id))
    if target is None:
        return
    course = session.get(Course, event.course_id)
    user = session.get(User, event.user_id)
    if course is None or user is None or not user.is_active or user.anonymised_at is not None:
        return
    names = {locale: f"{course.code} {name}" for locale, name in _names(course.title).items()}
    _email(session, _new_invitations(session, target=target, user_ids=[user.id]), names)


# --- waiting surveys (the home page's prompt) ------------------------------------------------------------


@dataclass(frozen=True)
class WaitingSurvey:
    invitation_id: int
    name: str  # the event or course, in the reader's language


def waiting_surveys(session: Session, *, user: User, locale: str) -> list[WaitingSurvey]:
    rows = session.execute(
        select(SurveyInvitation.id, TrainingEvent.title, Course.code, Course.title)
        .join(SurveyTarget, SurveyTarget.id == SurveyInvitation.target_id)
        .outerjoin(TrainingEvent, TrainingEvent.id == SurveyTarget.event_id)
        .outerjoin(Course, Course.id == SurveyTarget.course_id)
        .where(SurveyInvitation.user_id == user.id, SurveyInvitation.answered_at.is_(None))
        .order_by(SurveyInvitation.invited_at, SurveyInvitation.id)
    )
    return [
        WaitingSurvey(
            invitation_id,
            str(pick(event_title, locale))
            if event_title is not None
            else f"{code} · {pick(course_title or {}, locale)}",
        )
        for invitation_id, event_title, code, course_title in rows
    ]


# --- answering ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerSheet:
    invitation: SurveyInvitation
    survey: Survey
    name: str  # what is being evaluated: the event or course

    @property
    def questions(self) -> list[SurveyQuestion]:
        return self.survey.questions


def invitation_missing() -> NotFound:
    return NotFound(_("This survey invitation does not exist."))


def answer_sheet(session: Session, *, invitation_id: int, user: User, locale: str) -> AnswerSheet:
    """The person's own invitation with its survey's questions; anyone else's is not found."""
    row = session.execute(
        select(SurveyInvitation, SurveyTarget, TrainingEvent, Course)
        .join(SurveyTarget, SurveyTarget.id == SurveyInvitation.target_id)
        .outerjoin(TrainingEvent, TrainingEvent.id == SurveyTarget.event_id)
        .outerjoin(Course, Course.id == SurveyTarget.course_id)
        .where(SurveyInvitation.id == invitation_id, SurveyInvitation.user_id == user.id)
    ).one_or_none()
    if row is None:
        raise invitation_missing()
    invitation, target, training, course = row
    survey = session.scalar(select(Survey).where(Survey.id == target.survey_id).options(selectinload(Survey.questions)))
    assert survey is not None
    if training is not None:
        name = str(pick(training.title, locale))
    else:
        name = f"{course.code} · {pick(course.title, locale)}" if course is not None else ""
    return AnswerSheet(invitation=invitation, survey=survey, name=name)


def field_name(question: SurveyQuestion) -> str:
    return f"q{question.id}"


@dataclass(frozen=True)
class GivenAnswer:
    question_id: int
    likert: int | None
    comment: str


def read_answers(questions: list[SurveyQuestion], form: dict[str, Any]) -> list[GivenAnswer]:
    """The answers in the form, checked: a rating is 1–5, required questions answered, comments not too long."""
    errors: dict[str, str] = {}
    answers: list[GivenAnswer] = []
    for question in questions:
        name = field_name(question)
        raw = str(form.get(name, "")).strip()
        if question.kind == QuestionKind.LIKERT:
            if not raw:
                if question.required:
                    errors[name] = _("Choose one of the five answers.")
                continue
            if raw not in ("1", "2", "3", "4", "5"):
                errors[name] = _("Choose one of the options.")
                continue
            answers.append(GivenAnswer(question.id, int(raw), ""))
        else:
            if len(raw) > MAX_COMMENT_LENGTH:
                errors[name] = _("Enter at most %(count)s characters.", count=MAX_COMMENT_LENGTH)
                continue
            if not raw:
                if question.required:
                    errors[name] = _("This field is required.")
                continue
            answers.append(GivenAnswer(question.id, None, raw))
    if errors:
        raise FormInvalid(errors)
    return answers


def _today() -> dt.date:
    return utcnow().date()


def submit_answers(session: Session, *, sheet: AnswerSheet, answers: list[GivenAnswer], language: str) -> bool:
    """Record the answers once. Returns False when the invitation was already answered (double submit)."""
    day = _today()
    # Compare-and-set: of two submits racing, exactly one finds the invitation unanswered.
    claimed = session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == sheet.invitation.id, SurveyInvitation.answered_at.is_(None))
        .values(answered_at=dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC))
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return False
    response = SurveyResponse(target_id=sheet.invitation.target_id, submitted_on=day, language=language)
    session.add(response)
    session.flush()
    session.add_all(
        SurveyAnswer(
            response_id=response.id, question_id=answer.question_id, likert=answer.likert, comment=answer.comment
        )
        for answer in answers
    )
    session.flush()
    session.expire(sheet.invitation, ["answered_at"])
    return True
