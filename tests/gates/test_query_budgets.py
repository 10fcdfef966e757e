"""Query budgets: each main page runs a fixed number of statements however much data it lists."""

from __future__ import annotations

import itertools

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.accounts.service import start_session
from app.core.config import Settings
from app.courses.models import Course, Enrolment, Lesson, LessonCompletion, LessonText, Programme, Section
from tests.factories import log_in, make_user
from tests.gates.queries import assert_constant_queries
from tests.gates.routes import client_as

_numbers = itertools.count(1)


def _add_organisations(session: Session):  # type: ignore[no-untyped-def]
    def grow(how_many: int) -> None:
        for _ in range(how_many):
            number = next(_numbers)
            session.add(
                Organisation(slug=f"extra-{number}", name_lt=f"Įstaiga {number}", name_en=f"Institution {number}")
            )
        session.commit()

    return grow


def test_home_page_query_count_does_not_grow_with_organisations(client: TestClient, db: Session) -> None:
    assert_constant_queries(client, db, "/", _add_organisations(db), budget=1)


def test_signed_in_home_page_query_count_does_not_grow(client: TestClient, db: Session) -> None:
    log_in(client, make_user(db).email)
    # the session with its user, roles and organisation; the organisations; surveys waiting for an answer
    assert_constant_queries(client, db, "/", _add_organisations(db), budget=3)


def test_registration_page_query_count_does_not_grow_with_organisations(client: TestClient, db: Session) -> None:
    assert_constant_queries(client, db, "/register", _add_organisations(db), budget=1)


def test_profile_page_query_count_does_not_grow_with_sessions(
    client: TestClient, db: Session, settings: Settings
) -> None:
    user = make_user(db)
    log_in(client, user.email)

    def more_sign_ins(how_many: int) -> None:
        for _ in range(how_many):
            start_session(db, settings=settings, user=user, ip_address="10.0.0.1", user_agent="other")
        db.commit()

    assert_constant_queries(client, db, "/profile", more_sign_ins, budget=1)


def _add_courses(session: Session):  # type: ignore[no-untyped-def]
    programme = session.scalar(select(Programme).where(Programme.code == "SC"))
    assert programme is not None

    def grow(how_many: int) -> None:
        for _ in range(how_many):
            number = next(_numbers)
            course = Course(
                code=f"QB{number}", slug=f"qb-{number}", programme_id=programme.id, position=100 + number,
                title={"lt": f"Kursas {number}", "en": f"Course {number}"}, summary={"lt": "Santrauka", "en": "Summary"},
                outcomes={"lt": ["Tikslas"], "en": ["Outcome"]}, estimated_hours=2, content_hash="x",
            )  # fmt: skip
            session.add(course)
        session.commit()

    return grow


def _add_lessons(session: Session):  # type: ignore[no-untyped-def]
    section = session.scalar(select(Section).join(Course).where(Course.code == "SC9", Section.slug == "basics"))
    assert section is not None

    def grow(how_many: int) -> None:
        for _ in range(how_many):
            number = next(_numbers)
            lesson = Lesson(
                course_id=section.course_id,
                section_id=section.id,
                slug=f"extra-{number}",
                position=50 + number,
                content_hash="x",
            )
            session.add(lesson)
            session.flush()
            session.add(
                LessonText(
                    lesson_id=lesson.id,
                    locale="lt",
                    title=f"Pamoka {number}",
                    minutes=5,
                    word_count=3,
                    body_markdown="Tekstas",
                    body_html="<p>Tekstas</p>",
                )
            )
            session.add(LessonCompletion(user_id=learner_id[0], lesson_id=lesson.id)) if learner_id else None
        session.commit()

    learner_id: list[int] = []
    grow.learner_id = learner_id  # type: ignore[attr-defined]
    return grow


@pytest.mark.usefixtures("synced")
def test_catalogue_query_count_does_not_grow_with_courses(client: TestClient, db: Session) -> None:
    user = make_user(db)
    log_in(client, user.email)
    assert_constant_queries(client, db, "/courses", _add_courses(db), budget=9)


@pytest.mark.usefixtures("synced")
def test_course_page_query_count_does_not_grow_with_lessons(client: TestClient, db: Session) -> None:
    user = make_user(db)
    log_in(client, user.email)
    grow = _add_lessons(db)
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None
    db.add(Enrolment(user_id=user.id, course_id=course.id))
    db.commit()
    grow.learner_id.append(user.id)  # type: ignore[attr-defined]
    # 2 of them: the toolkits panel; 1: the upcoming training events panel
    assert_constant_queries(client, db, "/courses/SC9", grow, budget=10)


@pytest.mark.usefixtures("synced")
def test_learner_list_query_count_does_not_grow_with_learners(app: FastAPI, db: Session, settings: Settings) -> None:
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None
    admin = client_as(app, db, settings, "admin")

    def grow(how_many: int) -> None:
        for _ in range(how_many):
            learner = make_user(db)
            db.add(Enrolment(user_id=learner.id, course_id=course.id))
        db.commit()

    assert_constant_queries(admin, db, "/courses/SC9/learners", grow, budget=4)
