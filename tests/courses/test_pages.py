"""Course pages through HTTP: catalogue, search, course outline, lessons, enrolment and learner lists."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.access import Role
from app.core.config import Settings
from app.courses.importer import SyncSummary
from app.courses.models import Course, Enrolment, LessonCompletion
from app.courses.service import assign_trainer
from tests.factories import csrf_from, log_in, make_user
from tests.gates.routes import client_as


def test_catalogue_lists_programmes_and_courses_in_both_languages(client: TestClient, synced: SyncSummary) -> None:
    lithuanian = client.get("/courses")
    assert "Bandomasis kursas" in lithuanian.text and "Socialinės klasterystės programa" in lithuanian.text
    english = client.get("/courses?lang=en")
    assert "Test course" in english.text and "2 hours" in english.text and "3 lessons" in english.text


def test_catalogue_filters_by_programme(client: TestClient, synced: SyncSummary) -> None:
    page = client.get("/courses?programme=AC&lang=en")
    assert "Administrative capacity programme" in page.text and "Test course" not in page.text


def test_search_finds_words_in_each_language_without_diacritics(client: TestClient, synced: SyncSummary) -> None:
    lithuanian = client.get("/courses?q=klasteryste")
    assert "Pirmieji žingsniai" in lithuanian.text
    english = client.get("/courses?q=health+SCHOOL&lang=en")
    assert (
        "Partners" in english.text
        and "First steps" not in english.text.split("results-title")[1].split("</section>")[0]
    )
    assert "0 lessons match" in client.get("/courses?q=nonexistentword&lang=en").text


def test_course_page_shows_outline_and_enrol_button(client: TestClient, db: Session, synced: SyncSummary) -> None:
    log_in(client, make_user(db).email)
    page = client.get("/courses/SC9?lang=en")
    assert "Recognise a cluster." in page.text and "Enrol in this course" in page.text
    assert client.get("/courses/NOPE").status_code == 404


def test_enrol_complete_and_resume(client: TestClient, db: Session, synced: SyncSummary) -> None:
    user = make_user(db)
    log_in(client, user.email)
    token = csrf_from(client.get("/courses/SC9").text)
    assert client.post("/courses/SC9/enrol", data={"csrf_token": token}).status_code == 303
    assert client.post("/courses/SC9/enrol", data={"csrf_token": token}).status_code == 303
    assert db.scalar(select(func.count()).select_from(Enrolment).where(Enrolment.user_id == user.id)) == 1

    lesson = client.get("/courses/SC9/lessons/first-steps?lang=en")
    assert "Mark as complete" in lesson.text and 'rel="next"' in lesson.text
    for _ in range(2):  # a double submit records one completion
        assert client.post("/courses/SC9/lessons/first-steps/complete", data={"csrf_token": token}).status_code == 303
    assert db.scalar(select(func.count()).select_from(LessonCompletion).where(LessonCompletion.user_id == user.id)) == 1

    client.get("/courses/SC9/lessons/partners")
    outline = client.get("/courses/SC9?lang=en")
    assert "33% done" in outline.text
    assert 'href="/courses/SC9/lessons/partners">Continue where you left off' in outline.text


def test_lesson_falls_back_to_the_other_language_with_a_note(
    client: TestClient, db: Session, synced: SyncSummary
) -> None:
    log_in(client, make_user(db).email)
    page = client.get("/courses/SC9/lessons/english-only?lang=lt")
    assert '<article lang="en">' in page.text and "Written only in English" in page.text
    assert client.get("/courses/SC9/lessons/english-only?lang=en").text.count("available in English only") == 0


def test_completion_needs_enrolment(client: TestClient, db: Session, synced: SyncSummary) -> None:
    log_in(client, make_user(db).email)
    token = csrf_from(client.get("/courses/SC9").text)
    assert client.post("/courses/SC9/lessons/first-steps/complete", data={"csrf_token": token}).status_code == 409


def test_lessons_need_sign_in(client: TestClient, synced: SyncSummary) -> None:
    assert (
        client.get("/courses/SC9/lessons/first-steps").headers["location"]
        == "/login?next=/courses/SC9/lessons/first-steps"
    )


def test_learner_list_is_for_the_course_trainers_only(
    app: FastAPI, db: Session, settings: Settings, synced: SyncSummary
) -> None:
    learner = make_user(db, full_name="Ona Onaitė")
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None
    db.add(Enrolment(user_id=learner.id, course_id=course.id))
    trainer = make_user(db, roles={Role.TRAINER, Role.LEARNER})
    assign_trainer(db, code="SC9", user=trainer)
    db.commit()

    own = TestClient(app, follow_redirects=False)
    log_in(own, trainer.email)
    page = own.get("/courses/SC9/learners?lang=en")
    assert page.status_code == 200 and "Ona Onaitė" in page.text and "0 / 3" in page.text

    other_trainer = client_as(app, db, settings, "trainer-of-another-course")
    assert other_trainer.get("/courses/SC9/learners").status_code == 404
    assert client_as(app, db, settings, "learner").get("/courses/SC9/learners").status_code == 403
    assert client_as(app, db, settings, "admin").get("/courses/SC9/learners").status_code == 200


def test_lesson_images_are_served_but_nothing_else(
    app: FastAPI, db: Session, settings: Settings, synced: SyncSummary
) -> None:
    client = client_as(app, db, settings, "learner")
    assert client.get("/courses/SC9/media/diagram.png").status_code == 200
    assert client.get("/courses/SC9/media/course.yaml").status_code == 404
    assert client.get("/courses/SC9/media/..%2F..%2Fprogrammes.yaml").status_code == 404


def test_competency_model_and_glossary_pages(client: TestClient, synced: SyncSummary) -> None:
    model = client.get("/competencies?lang=en")
    assert "A1 · Understanding clustering" in model.text and "Teaches others." in model.text and "Leader" in model.text
    glossary = client.get("/glossary?lang=lt")
    assert (
        "socialinis klasteris" in glossary.text
        and '<span class="muted" lang="en">(social cluster)</span>' in glossary.text
    )
    catalogue = client.get("/courses?lang=en")
    assert (
        'href="/competencies#competency-A1"' in catalogue.text
        and "Understanding clustering · Practitioner" in catalogue.text
    )


def test_trainer_notes_are_for_the_course_trainers(
    app: FastAPI, db: Session, settings: Settings, synced: SyncSummary
) -> None:
    trainer = make_user(db, roles={Role.TRAINER, Role.LEARNER})
    assign_trainer(db, code="SC9", user=trainer)
    db.commit()
    own = TestClient(app, follow_redirects=False)
    log_in(own, trainer.email)
    page = own.get("/courses/SC9/trainer-notes?lang=en")
    assert page.status_code == 200 and "map the partners together" in page.text
    assert 'href="/courses/SC9/trainer-notes"' in own.get("/courses/SC9").text
    # Only English notes exist: Lithuanian readers get them rather than nothing.
    assert "map the partners together" in own.get("/courses/SC9/trainer-notes?lang=lt").text
    assert (
        client_as(app, db, settings, "trainer-of-another-course").get("/courses/SC9/trainer-notes").status_code == 404
    )
    assert client_as(app, db, settings, "learner").get("/courses/SC9/trainer-notes").status_code == 403
