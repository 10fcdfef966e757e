"""Set-up for the survey tests: events, registrations, courses, surveys, invitations and responses as plain rows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.config import Settings
from app.core.db import utcnow
from app.courses.models import Course, CourseRole, Enrolment, Programme
from app.events.models import EventRegistration, EventStatus, EventTrainer, TrainingEvent
from app.surveys.models import (
    QuestionKind,
    Survey,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
    SurveyTarget,
)
from tests.accounts.admin_setup import signed_in
from tests.factories import csrf_from

_numbers = itertools.count(1)


def make_event(db: Session, *, title: str = "Mokymai", status: str = EventStatus.HELD.value) -> TrainingEvent:
    number = next(_numbers)
    starts = dt.datetime(2025, 3, 10, 8, 0, tzinfo=dt.UTC) + dt.timedelta(days=number)
    event = TrainingEvent(
        title={"lt": f"{title} {number}", "en": f"Training {number}"},
        description={},
        country="LT",
        time_zone="Europe/Vilnius",
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=6),
        registration_deadline=starts,
        capacity=100,
        status=status,
    )
    db.add(event)
    db.flush()
    return event


def make_course(db: Session) -> Course:
    number = next(_numbers)
    programme = Programme(
        code=f"SV{number}", slug=f"survey-programme-{number}", position=900 + number,
        title={"lt": "Programa", "en": "Programme"}, description={"lt": "", "en": ""}, content_hash="x",
    )  # fmt: skip
    db.add(programme)
    db.flush()
    course = Course(
        code=f"SVC{number}", slug=f"survey-course-{number}", programme_id=programme.id, position=number,
        title={"lt": f"Kursas {number}", "en": f"Course {number}"}, summary={}, outcomes={},
        estimated_hours=1, competencies=[], content_hash="x",
    )  # fmt: skip
    db.add(course)
    db.flush()
    return course


def register(
    db: Session, event: TrainingEvent, user: User, *, status: str = "registered", attendance: str | None = None
) -> None:
    db.add(EventRegistration(event_id=event.id, user_id=user.id, status=status, attendance=attendance))
    db.flush()


def train(db: Session, event: TrainingEvent, user: User) -> None:
    db.add(EventTrainer(event_id=event.id, user_id=user.id))
    db.flush()


def teach(db: Session, course: Course, user: User) -> None:
    db.add(Enrolment(user_id=user.id, course_id=course.id, role=CourseRole.TRAINER))
    db.flush()


def make_survey(
    db: Session,
    *,
    likert: int = 2,
    texts: int = 1,
    title: str | None = None,
) -> Survey:
    number = next(_numbers)
    survey = Survey(
        title={"lt": title or f"Apklausa {number}", "en": title or f"Survey {number}"},
        introduction={"lt": "Įvadas", "en": "Introduction"},
    )
    kinds = [QuestionKind.LIKERT] * likert + [QuestionKind.TEXT] * texts
    survey.questions = [
        SurveyQuestion(
            position=position,
            kind=kind.value,
            text={"lt": f"Teiginys {position}", "en": f"Statement {position}"},
            required=kind == QuestionKind.LIKERT,
        )
        for position, kind in enumerate(kinds, start=1)
    ]
    db.add(survey)
    db.flush()
    return survey


def attach_to(
    db: Session, survey: Survey, *, event: TrainingEvent | None = None, course: Course | None = None
) -> SurveyTarget:
    target = SurveyTarget(
        survey_id=survey.id, event_id=event.id if event else None, course_id=course.id if course else None
    )
    db.add(target)
    db.flush()
    return target


def invite(db: Session, target: SurveyTarget, user: User) -> SurveyInvitation:
    invitation = SurveyInvitation(target_id=target.id, user_id=user.id)
    db.add(invitation)
    db.flush()
    return invitation


def respond(
    db: Session,
    target: SurveyTarget,
    ratings: Sequence[int | None],
    comments: Sequence[str] = (),
    *,
    day: dt.date | None = None,
) -> SurveyResponse:
    """One response: `ratings` for the Likert questions in order, `comments` for the text ones."""
    survey = db.scalar(select(Survey).where(Survey.id == target.survey_id))
    assert survey is not None
    questions = list(
        db.scalars(
            select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id).order_by(SurveyQuestion.position)
        )
    )
    response = SurveyResponse(target_id=target.id, submitted_on=day or utcnow().date(), language="lt")
    db.add(response)
    db.flush()
    likert = iter(ratings)
    text = iter(comments)
    for question in questions:
        if question.kind == QuestionKind.LIKERT:
            value = next(likert, None)
            if value is not None:
                db.add(SurveyAnswer(response_id=response.id, question_id=question.id, likert=value))
        else:
            comment = next(text, "")
            if comment:
                db.add(SurveyAnswer(response_id=response.id, question_id=question.id, comment=comment))
    db.flush()
    return response


def admin_post(client: TestClient, page: str, action: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Open the page like a browser and submit one of its forms with the page's CSRF token."""
    opened = client.get(page)
    assert opened.status_code == 200, opened.text
    return client.post(action, data={"csrf_token": csrf_from(opened.text), **data})


def browser(app: FastAPI, db: Session, settings: Settings, user: User) -> TestClient:
    return signed_in(app, db, settings, user)
