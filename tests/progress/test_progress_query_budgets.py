"""Progress pages run the same number of SQL statements with 1 and with 50 courses, learners or certificates."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.db import utcnow
from app.courses.models import Course, Lesson, LessonCompletion
from app.progress.certificates import new_code
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade
from tests.factories import make_user
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import (
    CODE,
    client_for,
    complete_sc9,
    enrol_directly,
    extra_course,
    learner_of,
    take_quiz,
    tick_lessons,
)
from tests.quizzes import attempt_rows
from tests.quizzes.quiz_setup import trainer_of

pytestmark = pytest.mark.usefixtures("synced")
_levels = itertools.cycle([1, 2, 3])


def _finished_course(db: Session, learner: User, *, competencies: list[dict] | None = None) -> Course:
    """A course the learner completed, with a quiz grade and a certificate, written straight to the tables."""
    course = extra_course(db, lessons=2, competencies=competencies)
    enrol_directly(db, learner, course)
    lesson_ids = db.scalars(select(Lesson.id).where(Lesson.course_id == course.id)).all()
    db.add_all(LessonCompletion(user_id=learner.id, lesson_id=lesson_id) for lesson_id in lesson_ids)
    quiz = Quiz(course_id=course.id)
    db.add(quiz)
    db.flush()
    now = utcnow()
    db.add(QuizGrade(quiz_id=quiz.id, user_id=learner.id, grade=88.0, passed=True, finished_attempts=1, passed_at=now))
    db.add(
        CourseCompletion(
            user_id=learner.id, course_id=course.id, state=CompletionState.COMPLETED, percent=100, completed_at=now
        )
    )
    db.add(
        Certificate(
            code=new_code(),
            user_id=learner.id,
            course_id=course.id,
            locale="en",
            holder_name=learner.full_name,
            details={
                "course_code": course.code,
                "course": course.title,
                "programme": {"lt": "P", "en": "P"},
                "issuer": {},
                "hours": 1,
                "competencies": [],
            },
            completed_at=now,
        )  # fmt: skip
    )
    return course


def _more_finished_courses(db: Session, learner: User, **kwargs: object) -> Callable[[int], None]:
    def grow(count: int) -> None:
        for _ in range(count):
            _finished_course(db, learner, **kwargs)  # type: ignore[arg-type]
        db.commit()

    return grow


def test_my_learning_is_constant_in_the_number_of_courses(app: FastAPI, db: Session) -> None:
    learner = learner_of(db, CODE, locale="en")
    tick_lessons(db, learner, ["first-steps"])  # SC9 stays in progress: both parts of the page are filled
    take_quiz(db, learner, 40.0)
    browser = client_for(app, learner)
    # the session; enrolments with courses and programmes; lessons; ticks; completions; grades; certificates;
    # programme totals
    assert_constant_queries(browser, db, "/my/learning", _more_finished_courses(db, learner), budget=8)


def test_my_competencies_is_constant_in_the_number_of_completed_courses(app: FastAPI, db: Session) -> None:
    learner = learner_of(db, CODE, locale="en")
    complete_sc9(db, learner)

    def grow(count: int) -> None:
        for _ in range(count):
            _finished_course(db, learner, competencies=[{"code": "A1", "level": next(_levels), "min_grade": 80}])
        db.commit()

    browser = client_for(app, learner)
    # the session; areas, competencies and levels of the model; completed courses with their grades
    assert_constant_queries(browser, db, "/my/competencies", grow, budget=5)


def test_competency_profile_pdf_is_constant_in_the_number_of_completed_courses(app: FastAPI, db: Session) -> None:
    learner = learner_of(db, CODE, locale="en")

    def grow(count: int) -> None:
        for _ in range(count):
            _finished_course(db, learner, competencies=[{"code": "A1", "level": next(_levels)}])
        db.commit()

    browser = client_for(app, learner)
    assert_constant_queries(browser, db, "/my/competencies.pdf", grow, budget=5)


def _more_learners(db: Session) -> Callable[[int], None]:
    """Learners of SC9 in two organisations and every state: some completed, some failed, some just enrolled."""
    organisations = db.scalars(select(Organisation).order_by(Organisation.id).limit(2)).all()
    kinds = itertools.cycle(["completed", "started", "enrolled", "failed"])
    numbers = itertools.count(1)

    def grow(count: int) -> None:
        for _ in range(count):
            number = next(numbers)
            learner = attempt_rows.learner(
                db, CODE, full_name=f"Besimokantis {number:02d}", organisation=organisations[number % 2]
            )
            kind = next(kinds)
            if kind == "completed":
                complete_sc9(db, learner, grade=70.0 + number % 30)
            elif kind == "started":
                tick_lessons(db, learner, ["first-steps"])
            elif kind == "failed":
                tick_lessons(db, learner, ["partners"])
                for _ in range(3):
                    take_quiz(db, learner, 20.0)

    return grow


@pytest.mark.parametrize("suffix", ["", "?sort=grade&order=desc", ".csv", ".csv?sort=completed"])
def test_progress_report_is_constant_in_the_number_of_learners(app: FastAPI, db: Session, suffix: str) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    # the session; the course; the trainer's enrolment; lessons; lesson titles; learners with organisations;
    # ticks; completions; the quiz; grades
    assert_constant_queries(trainer, db, f"/courses/{CODE}/progress{suffix}", _more_learners(db), budget=10)


def test_organisation_filter_keeps_the_report_constant(app: FastAPI, db: Session) -> None:
    trainer = client_for(app, trainer_of(db, CODE))
    organisation_id = db.scalar(select(Organisation.id).order_by(Organisation.id))
    url = f"/courses/{CODE}/progress?organisation={organisation_id}"
    assert_constant_queries(trainer, db, url, _more_learners(db), budget=10)


def test_admin_certificate_list_is_constant_in_the_number_of_certificates(app: FastAPI, db: Session) -> None:
    holder = make_user(db, full_name="Žydrūnė Čepulytė")
    admin = client_for(app, make_user(db, roles={Role.ADMIN}, locale="en"))
    # the session; the count; one page of certificates with emails and course codes
    assert_constant_queries(admin, db, "/admin/certificates", _more_finished_courses(db, holder), budget=3)
    assert_constant_queries(admin, db, "/admin/certificates?q=example.lt", _more_finished_courses(db, holder), budget=3)
