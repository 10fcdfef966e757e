"""Survey templates: writing, questions and their order, the rules once answered, the standard survey, attaching."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.access import Role
from app.core.config import Settings
from app.surveys.models import Survey, SurveyQuestion, SurveyTarget
from tests.factories import csrf_from, make_user
from tests.surveys.survey_setup import (
    admin_post,
    attach_to,
    browser,
    invite,
    make_course,
    make_event,
    make_survey,
    respond,
)


def _admin(app: FastAPI, db: Session, settings: Settings) -> TestClient:
    return browser(app, db, settings, make_user(db, roles={Role.ADMIN}, locale="en"))


def _questions(db: Session, survey: Survey) -> list[tuple[str, str]]:
    db.expire_all()
    rows = db.scalars(
        select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id).order_by(SurveyQuestion.position)
    )
    return [(question.kind, question.text.get("en", "")) for question in rows]


def test_a_survey_needs_a_title_and_keeps_what_was_typed(app: FastAPI, db: Session, settings: Settings) -> None:
    client = _admin(app, db, settings)
    response = admin_post(client, "/admin/surveys/new", "/admin/surveys/new", {"introduction_en": "Hello there"})
    assert response.status_code == 422
    assert "Enter a title in at least one language." in response.text
    assert "Hello there" in response.text

    created = admin_post(client, "/admin/surveys/new", "/admin/surveys/new", {"title_en": "After the seminar"})
    assert created.status_code == 303
    assert created.headers["location"].endswith("notice=survey-created")
    page = client.get(created.headers["location"])
    assert page.status_code == 200 and "After the seminar" in page.text

    # The same form sent again (double submit) makes no second survey.
    again = admin_post(client, "/admin/surveys/new", "/admin/surveys/new", {"title_en": "After the seminar"})
    assert again.status_code == 409
    assert db.scalar(select(func.count(Survey.id))) == 1

    edit = created.headers["location"].split("?")[0] + "/edit"
    assert admin_post(client, edit, edit, {"title_en": ""}).status_code == 422
    assert (
        admin_post(client, edit, edit, {"title_en": "After the seminar", "title_lt": "Po seminaro"}).status_code == 303
    )
    assert "Po seminaro" in client.get(edit).text


def test_questions_are_added_edited_moved_and_removed(app: FastAPI, db: Session, settings: Settings) -> None:
    survey = make_survey(db, likert=0, texts=0)
    db.commit()
    client = _admin(app, db, settings)
    page = f"/admin/surveys/{survey.id}"
    add = f"{page}/questions"

    missing_text = admin_post(client, page, add, {"kind": "likert", "required": "on"})
    assert missing_text.status_code == 422
    assert "Enter the question in at least one language." in missing_text.text
    bad_kind = admin_post(client, page, add, {"kind": "essay", "text_en": "Typed text"})
    assert bad_kind.status_code == 422 and "Typed text" in bad_kind.text

    for kind, text in (("likert", "Useful"), ("likert", "Clear"), ("text", "Improve what?")):
        assert admin_post(client, page, add, {"kind": kind, "text_en": text, "required": "on"}).status_code == 303
    duplicate = admin_post(client, page, add, {"kind": "likert", "text_en": "Useful"})
    assert duplicate.status_code == 422 and "already has this question" in duplicate.text
    assert _questions(db, survey) == [("likert", "Useful"), ("likert", "Clear"), ("text", "Improve what?")]

    ids = [
        question.id
        for question in db.scalars(
            select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id).order_by(SurveyQuestion.position)
        )
    ]
    moved = admin_post(client, page, f"{page}/questions/{ids[2]}/move", {"direction": "up"})
    assert moved.status_code == 303
    assert _questions(db, survey) == [("likert", "Useful"), ("text", "Improve what?"), ("likert", "Clear")]
    assert admin_post(client, page, f"{page}/questions/{ids[0]}/move", {"direction": "up"}).status_code == 303
    assert admin_post(client, page, f"{page}/questions/{ids[0]}/move", {"direction": "sideways"}).status_code == 422

    edit = f"{page}/questions/{ids[1]}/edit"
    assert admin_post(client, edit, edit, {"kind": "likert", "text_en": ""}).status_code == 422
    assert admin_post(client, edit, edit, {"kind": "text", "text_en": "Very clear"}).status_code == 303
    assert _questions(db, survey) == [("likert", "Useful"), ("text", "Improve what?"), ("text", "Very clear")]

    assert admin_post(client, page, f"{page}/questions/{ids[1]}/remove", {}).status_code == 303
    # The same removal again (double submit) is not an error.
    assert admin_post(client, page, f"{page}/questions/{ids[1]}/remove", {}).status_code == 303
    assert _questions(db, survey) == [("likert", "Useful"), ("text", "Improve what?")]


def test_an_answered_survey_keeps_its_questions_but_wording_can_be_corrected(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    survey = make_survey(db, likert=1, texts=1)
    respond(db, attach_to(db, survey, event=make_event(db)), [4], ["Good"])
    db.commit()
    likert, text = db.scalars(
        select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id).order_by(SurveyQuestion.position)
    )
    client = _admin(app, db, settings)
    page = f"/admin/surveys/{survey.id}"

    removed = admin_post(client, page, f"{page}/questions/{text.id}/remove", {})
    assert removed.status_code == 409
    assert "cannot be removed" in removed.text
    edit = f"{page}/questions/{likert.id}/edit"
    kind_changed = admin_post(client, edit, edit, {"kind": "text", "text_en": "Statement 1"})
    assert kind_changed.status_code == 409
    reworded = admin_post(
        client, edit, edit, {"kind": "likert", "text_en": "The statement, corrected", "required": "on"}
    )
    assert reworded.status_code == 303
    assert _questions(db, survey) == [("likert", "The statement, corrected"), ("text", "Statement 2")]
    assert "can no longer be removed" in client.get(page).text


def test_the_standard_survey_is_made_once_in_both_languages(app: FastAPI, db: Session, settings: Settings) -> None:
    client = _admin(app, db, settings)
    first = admin_post(client, "/admin/surveys", "/admin/surveys/standard", {})
    assert first.status_code == 303 and first.headers["location"].endswith("notice=survey-created")
    second = admin_post(client, "/admin/surveys", "/admin/surveys/standard", {})
    assert second.headers["location"].endswith("notice=survey-standard-exists")

    survey = db.scalar(select(Survey))
    assert survey is not None and db.scalar(select(func.count(Survey.id))) == 1
    kinds = [kind for kind, _text in _questions(db, survey)]
    assert kinds == ["likert"] * 6 + ["text"] * 2
    questions = db.scalars(select(SurveyQuestion).where(SurveyQuestion.survey_id == survey.id))
    assert all(question.text.get("lt") and question.text.get("en") for question in questions)
    page = client.get(f"/admin/surveys/{survey.id}")
    assert "Mokymai atitiko mano lūkesčius." in page.text


def test_archived_surveys_are_listed_apart_and_cannot_be_attached(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    survey = make_survey(db, title="Old survey")
    event = make_event(db)
    db.commit()
    client = _admin(app, db, settings)
    page = f"/admin/surveys/{survey.id}"
    assert admin_post(client, page, f"{page}/archive", {}).status_code == 303
    listing = client.get("/admin/surveys").text
    assert listing.index("Archived surveys") < listing.index("Old survey")
    assert "Attach to an event or a course" not in client.get(page).text
    refused = client.post(f"{page}/attach", data={"csrf_token": _token(client), "event_id": str(event.id)})
    assert refused.status_code == 409
    assert admin_post(client, page, f"{page}/restore", {}).status_code == 303
    assert admin_post(client, page, f"{page}/attach", {"event_id": str(event.id)}).status_code == 303


def _token(client: TestClient) -> str:
    return csrf_from(client.get("/admin/surveys").text)


def test_attaching_one_survey_per_event_and_course_and_detaching_until_invited(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    first, second = make_survey(db), make_survey(db)
    event, course = make_event(db), make_course(db)
    learner = make_user(db)
    db.commit()
    client = _admin(app, db, settings)
    page = f"/admin/surveys/{first.id}"

    neither = admin_post(client, page, f"{page}/attach", {})
    assert neither.status_code == 422 and "Choose either an event or a course." in neither.text
    both = admin_post(client, page, f"{page}/attach", {"event_id": str(event.id), "course_id": str(course.id)})
    assert both.status_code == 422
    unknown = admin_post(client, page, f"{page}/attach", {"event_id": "999999"})
    assert unknown.status_code == 422

    assert admin_post(client, page, f"{page}/attach", {"event_id": str(event.id)}).status_code == 303
    again = admin_post(client, page, f"{page}/attach", {"event_id": str(event.id)})
    assert again.headers["location"].endswith("notice=survey-already-attached#targets")
    assert admin_post(client, page, f"{page}/attach", {"course_id": str(course.id)}).status_code == 303
    other = f"/admin/surveys/{second.id}"
    taken = admin_post(client, other, f"{other}/attach", {"event_id": str(event.id)})
    assert taken.status_code == 409 and "already has a survey" in taken.text

    targets = {
        ("event", target.event_id) if target.event_id else ("course", target.course_id): target
        for target in db.scalars(select(SurveyTarget))
    }
    assert set(targets) == {("event", event.id), ("course", course.id)}
    invite(db, targets["course", course.id], learner)
    db.commit()
    course_target, event_target = targets["course", course.id].id, targets["event", event.id].id
    kept = admin_post(client, page, f"{page}/targets/{course_target}/detach", {})
    assert kept.status_code == 409
    detached = admin_post(client, page, f"{page}/targets/{event_target}/detach", {})
    assert detached.status_code == 303
    db.expire_all()
    assert [target.course_id for target in db.scalars(select(SurveyTarget))] == [course.id]


def test_only_administrators_write_surveys(app: FastAPI, db: Session, settings: Settings) -> None:
    trainer = browser(app, db, settings, make_user(db, roles={Role.TRAINER}))
    assert trainer.get("/admin/surveys").status_code == 403
    admin = _admin(app, db, settings)
    assert admin.get("/admin/surveys/999999").status_code == 404
