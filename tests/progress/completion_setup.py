"""Completion tests on course SC9: learners, lesson ticks, quiz attempts, rule changes and what was recorded."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.service import create_user
from app.core.access import Role
from app.courses.models import Course, Lesson, LessonCompletion
from app.courses.service import complete_lesson
from app.progress.completion import Criteria
from app.progress.models import Certificate, CourseCompletion
from app.progress.rules import save_criteria
from app.progress.wiring import certify
from app.quizzes.manage import SETTINGS_FIELDS, update_settings
from app.quizzes.models import Quiz, QuizAttempt, QuizGrade
from app.quizzes.schemas import QuizSettingsForm
from tests.factories import csrf_from
from tests.quizzes import attempt_rows

CODE = "SC9"
LESSONS = ("first-steps", "partners", "english-only")
_serial = itertools.count(1)


def course(db: Session) -> Course:
    found = db.scalar(select(Course).where(Course.code == CODE))
    assert found is not None
    return found


def quiz(db: Session) -> Quiz:
    found = db.scalar(select(Quiz).where(Quiz.course_id == course(db).id))
    assert found is not None
    return found


def learner(db: Session, name: str = "Jūratė Kazlauskienė") -> User:
    """An enrolled SC9 learner without a password (cheap: services only, never signs in)."""
    return attempt_rows.learner(db, CODE, full_name=name)


def admin(db: Session) -> User:
    user = create_user(db, email=f"completion-admin-{next(_serial)}@example.lt", full_name="Admin", roles={Role.ADMIN})
    db.commit()
    return user


def tick(db: Session, user: User, *slugs: str) -> None:
    """Mark lessons complete through the service, as the lesson page's button does."""
    for slug in slugs:
        complete_lesson(db, code=CODE, slug=slug, user=user)
    db.commit()


def tick_over_http(client: TestClient, slug: str) -> None:
    page = client.get(f"/courses/{CODE}/lessons/{slug}")
    assert page.status_code == 200, page.text
    response = client.post(f"/courses/{CODE}/lessons/{slug}/complete", data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303, response.text


def finish_attempt(db: Session, user: User, grade: float | None) -> QuizAttempt:
    """A finished attempt with this grade in percent (None: an answer waits for the trainer's mark)."""
    entry = attempt_rows.bank_entries(db, CODE)[0]
    mark = None if grade is None else grade / 100 * entry.max_mark
    return attempt_rows.attempt(db, quiz=quiz(db), user=user, entries=[entry], marks=[mark])


def set_criteria(db: Session, by: User, *, lessons: bool, quiz: bool) -> None:
    save_criteria(db, code=CODE, criteria=Criteria(lessons=lessons, quiz=quiz), by=by, on_completed=certify)
    db.commit()


def set_quiz_rules(db: Session, **changes: Any) -> None:
    """What the trainer's settings page saves: every current setting, with `changes` applied."""
    current = quiz(db)
    values = {name: getattr(current, name) for name in SETTINGS_FIELDS} | changes
    update_settings(db, quiz=current, form=QuizSettingsForm.model_validate(values))
    db.commit()


def completion_of(db: Session, user: User) -> CourseCompletion | None:
    return db.scalar(
        select(CourseCompletion)
        .where(CourseCompletion.user_id == user.id, CourseCompletion.course_id == course(db).id)
        .execution_options(populate_existing=True)
    )


def standing(db: Session, user: User) -> tuple[str, int] | None:
    """(state, percent) recorded for the learner, None when no row (not started)."""
    row = completion_of(db, user)
    return None if row is None else (row.state, row.percent)


def certificate_of(db: Session, user: User) -> Certificate | None:
    return db.scalar(
        select(Certificate)
        .where(Certificate.user_id == user.id, Certificate.course_id == course(db).id)
        .execution_options(populate_existing=True)
    )


def completed_at(db: Session, user: User) -> dt.datetime:
    """When the learner's completion was recorded as achieved; the learner must have completed."""
    row = completion_of(db, user)
    assert row is not None and row.state == "completed" and row.completed_at is not None, row
    return row.completed_at


def certificate_code(db: Session, user: User) -> str:
    certificate = certificate_of(db, user)
    assert certificate is not None, "no certificate issued"
    return certificate.code


def passed_at(db: Session, user: User) -> dt.datetime:
    moment = quiz_grade_of(db, user).passed_at
    assert moment is not None, "the quiz is not passed"
    return moment


def quiz_grade_of(db: Session, user: User) -> QuizGrade:
    found = db.scalar(
        select(QuizGrade)
        .where(QuizGrade.user_id == user.id, QuizGrade.quiz_id == quiz(db).id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found


def lesson_times(db: Session, user: User) -> dict[str, dt.datetime]:
    rows = db.execute(
        select(Lesson.slug, LessonCompletion.completed_at)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(LessonCompletion.user_id == user.id, Lesson.course_id == course(db).id)
    )
    return {slug: completed_at for slug, completed_at in rows}
