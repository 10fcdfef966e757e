"""Invitations: after an event is held and after a course is completed, only the right people, once, emailed."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.events import CourseCompleted, TrainingEventHeld, publish
from app.courses.models import Course
from app.surveys import invitations
from app.surveys.models import SurveyInvitation
from tests.factories import make_user, outbox_messages
from tests.progress.page_setup import completed_learner
from tests.surveys.survey_setup import attach_to, browser, make_course, make_event, make_survey, register


def _invited(db: Session) -> list[tuple[int, int]]:
    db.expire_all()
    return [
        (row.target_id, row.user_id) for row in db.scalars(select(SurveyInvitation).order_by(SurveyInvitation.user_id))
    ]


def _body(message) -> str:  # type: ignore[no-untyped-def]
    return message.get_payload(decode=True).decode()


def test_an_event_held_invites_the_participants_who_attended_or_were_not_marked_once(
    db: Session, mail: Settings
) -> None:
    event = make_event(db)
    target = attach_to(db, make_survey(db), event=event)
    attended = make_user(db, full_name="Ona Attended", locale="en")
    unmarked = make_user(db, full_name="Jonas Unmarked", locale="lt")
    absent, excused, waiting, cancelled = (make_user(db) for _ in range(4))
    register(db, event, attended, attendance="attended")
    register(db, event, unmarked)
    register(db, event, absent, attendance="absent")
    register(db, event, excused, attendance="excused")
    register(db, event, waiting, status="waiting")
    register(db, event, cancelled, status="cancelled")
    other_event = make_event(db)
    register(db, other_event, make_user(db))

    publish(db, TrainingEventHeld(event_id=event.id))
    publish(db, TrainingEventHeld(event_id=event.id))  # marked held again, or the handler repeated

    assert _invited(db) == sorted([(target.id, attended.id), (target.id, unmarked.id)], key=lambda row: row[1])
    messages = outbox_messages(mail.outbox_path)
    assert sorted(message["To"] for message in messages) == sorted([attended.email, unmarked.email])
    by_person = {message["To"]: message for message in messages}
    invitation = db.scalar(select(SurveyInvitation).where(SurveyInvitation.user_id == attended.id))
    assert invitation is not None and invitation.emailed_at is not None
    assert f"http://testserver/surveys/{invitation.id}" in _body(by_person[attended.email])
    assert "Training" in by_person[attended.email]["Subject"]
    assert "Mokymai" in _body(by_person[unmarked.email])  # Lithuanian mail, Lithuanian title


def test_an_event_without_a_survey_invites_nobody(db: Session, mail: Settings) -> None:
    event = make_event(db)
    register(db, event, make_user(db), attendance="attended")
    publish(db, TrainingEventHeld(event_id=event.id))
    assert _invited(db) == []
    assert outbox_messages(mail.outbox_path) == []


def test_a_completed_course_invites_its_learner_once(db: Session, mail: Settings) -> None:
    course, plain_course = make_course(db), make_course(db)
    target = attach_to(db, make_survey(db), course=course)
    learner = make_user(db, locale="en")

    publish(db, CourseCompleted(user_id=learner.id, course_id=course.id))
    publish(db, CourseCompleted(user_id=learner.id, course_id=course.id))
    publish(db, CourseCompleted(user_id=learner.id, course_id=plain_course.id))

    assert _invited(db) == [(target.id, learner.id)]
    (message,) = outbox_messages(mail.outbox_path)
    assert message["To"] == learner.email and course.code in message["Subject"]


def test_a_real_completion_invites_through_progress(db: Session, synced: object, mail: Settings) -> None:
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None
    target = attach_to(db, make_survey(db), course=course)
    db.commit()
    learner = completed_learner(db)
    assert _invited(db) == [(target.id, learner.id)]


def test_a_mail_failure_keeps_the_invitation_unemailed(
    db: Session, mail: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr(invitations, "send_mail", broken)
    course = make_course(db)
    attach_to(db, make_survey(db), course=course)
    learner = make_user(db)
    publish(db, CourseCompleted(user_id=learner.id, course_id=course.id))
    invitation = db.scalar(select(SurveyInvitation))
    assert invitation is not None and invitation.emailed_at is None


def test_the_home_page_shows_the_surveys_waiting(app: FastAPI, db: Session, settings: Settings) -> None:
    course = make_course(db)
    target = attach_to(db, make_survey(db), course=course)
    learner = make_user(db, locale="en")
    publish(db, CourseCompleted(user_id=learner.id, course_id=course.id))
    db.commit()
    invitation = db.scalar(select(SurveyInvitation).where(SurveyInvitation.target_id == target.id))
    assert invitation is not None

    client = browser(app, db, settings, learner)
    home = client.get("/")
    assert "You have 1 survey waiting" in home.text
    assert f'href="/surveys/{invitation.id}"' in home.text
    other = browser(app, db, settings, make_user(db, locale="en"))
    assert "survey waiting" not in other.get("/").text
