"""Answering: the invitee only, required questions, once (double submit), and nothing linking answers to people."""

from __future__ import annotations

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import DateTime, Integer, func, inspect, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.surveys.models import SurveyAnswer, SurveyInvitation, SurveyQuestion, SurveyResponse
from tests.factories import csrf_from, make_user
from tests.gates.queries import assert_constant_queries
from tests.surveys.survey_setup import attach_to, browser, invite, make_course, make_survey


def _setup(db: Session):  # type: ignore[no-untyped-def]
    survey = make_survey(db, likert=2, texts=1)
    target = attach_to(db, survey, course=make_course(db))
    learner = make_user(db, locale="en")
    invitation = invite(db, target, learner)
    db.commit()
    questions = list(
        db.scalars(
            select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id).order_by(SurveyQuestion.position)
        )
    )
    return learner, invitation, questions


def test_required_ratings_are_checked_and_typed_answers_kept(app: FastAPI, db: Session, settings: Settings) -> None:
    learner, invitation, (first, second, comment) = _setup(db)
    client = browser(app, db, settings, learner)
    url = f"/surveys/{invitation.id}"
    page = client.get(url)
    assert page.status_code == 200
    assert "<fieldset" in page.text and "<legend>" in page.text and "5 – Strongly agree" in page.text

    response = client.post(
        url, data={"csrf_token": csrf_from(page.text), f"q{first.id}": "4", f"q{comment.id}": "Kept comment"}
    )
    assert response.status_code == 422
    assert "Choose one of the five answers." in response.text
    assert "Kept comment" in response.text
    assert f'id="field-q{first.id}-4" name="q{first.id}" value="4" checked' in response.text
    bad = client.post(url, data={"csrf_token": csrf_from(page.text), f"q{first.id}": "9", f"q{second.id}": "1"})
    assert bad.status_code == 422
    assert db.scalar(select(func.count(SurveyResponse.id))) == 0


def test_answering_twice_records_one_response(app: FastAPI, db: Session, settings: Settings) -> None:
    learner, invitation, (first, second, comment) = _setup(db)
    client = browser(app, db, settings, learner)
    url = f"/surveys/{invitation.id}"
    token = csrf_from(client.get(url).text)
    answers = {"csrf_token": token, f"q{first.id}": "5", f"q{second.id}": "2", f"q{comment.id}": "Great day"}

    first_submit = client.post(url, data=answers)
    assert first_submit.status_code == 303
    assert first_submit.headers["location"] == f"{url}?notice=survey-answered"
    second_submit = client.post(url, data=answers)  # double click, or the back button
    assert second_submit.headers["location"] == f"{url}?notice=survey-already-answered"

    assert db.scalar(select(func.count(SurveyResponse.id))) == 1
    assert sorted(db.scalars(select(SurveyAnswer.likert).where(SurveyAnswer.likert.is_not(None)))) == [2, 5]
    assert db.scalar(select(SurveyAnswer.comment).where(SurveyAnswer.question_id == comment.id)) == "Great day"
    thanks = client.get(first_submit.headers["location"])
    assert (
        "Your answers have been recorded" in thanks.text and '<form method="post" action="/surveys' not in thanks.text
    )
    assert "survey waiting" not in client.get("/").text


def test_someone_elses_invitation_is_not_found(app: FastAPI, db: Session, settings: Settings) -> None:
    _learner, invitation, (first, second, _comment) = _setup(db)
    stranger = browser(app, db, settings, make_user(db))
    url = f"/surveys/{invitation.id}"
    assert stranger.get(url).status_code == 404
    token = csrf_from(stranger.get("/profile").text)
    assert stranger.post(url, data={"csrf_token": token, f"q{first.id}": "5", f"q{second.id}": "5"}).status_code == 404
    assert stranger.get("/surveys/2147483647").status_code == 404
    assert stranger.get("/surveys/99999999999").status_code == 422
    assert db.scalar(select(func.count(SurveyResponse.id))) == 0


def test_nothing_links_a_response_to_its_author(app: FastAPI, db: Session, settings: Settings) -> None:
    learner, invitation, (first, second, _comment) = _setup(db)
    client = browser(app, db, settings, learner)
    url = f"/surveys/{invitation.id}"
    client.post(url, data={"csrf_token": csrf_from(client.get(url).text), f"q{first.id}": "3", f"q{second.id}": "4"})

    for table in ("survey_responses", "survey_answers"):
        columns = inspect(db.get_bind()).get_columns(table)
        names = {column["name"] for column in columns}
        assert not {name for name in names if "user" in name or name.endswith("_by_id")}, table
        # No moment finer than a day: times would line up with the invitation's.
        assert not [column for column in columns if isinstance(column["type"], DateTime)], table
        assert all(
            not isinstance(column["type"], Integer) or column["name"].endswith("id") or column["name"] == "likert"
            for column in columns
        )
    response = db.scalar(select(SurveyResponse))
    assert response is not None and response.language == "en"
    db.expire_all()
    answered = db.scalar(select(SurveyInvitation.answered_at).where(SurveyInvitation.id == invitation.id))
    assert answered is not None and answered.time() == dt.time.min  # kept to the day, like the response


def test_the_answer_page_runs_constant_queries(app: FastAPI, db: Session, settings: Settings) -> None:
    survey = make_survey(db, likert=0, texts=0)
    target = attach_to(db, survey, course=make_course(db))
    learner = make_user(db)
    invitation = invite(db, target, learner)
    db.commit()
    client = browser(app, db, settings, learner)
    added = [0]

    def grow(count: int) -> None:
        for _ in range(count):
            added[0] += 1
            db.add(SurveyQuestion(survey_id=survey.id, position=added[0], kind="likert", text={"en": f"S{added[0]}"}))
        db.commit()

    assert_constant_queries(client, db, f"/surveys/{invitation.id}", grow, budget=8)
