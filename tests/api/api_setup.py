"""Set-up for the API tests: tokens, clients that send them, and completion records written straight to the tables."""

from __future__ import annotations

import datetime as dt
import itertools

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.api.tokens import create_token, new_form_nonce
from app.core.access import Role
from app.core.db import utcnow
from app.courses.models import Course, CourseRole, Enrolment, Programme
from app.progress.certificates import new_code
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade
from tests.factories import make_user

_numbers = itertools.count(1)


def issue_token(db: Session, *, organisation: Organisation | None = None, name: str = "HR system") -> str:
    """A working token, made through the service as the admin page makes it; returns the token itself."""
    admin = make_user(db, roles={Role.ADMIN}, full_name="Token Administratorė")
    issued = create_token(
        db,
        secret=b"test-secret",
        nonce=new_form_nonce(),
        name=name,
        organisation_id=organisation.id if organisation else None,
        by=admin,
    )
    db.commit()
    return issued.secret


def api_client(app: FastAPI, token: str | None, *, language: str | None = None) -> TestClient:
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    if token is not None:
        client.headers["Authorization"] = f"Bearer {token}"
    if language is not None:
        client.headers["Accept-Language"] = language
    return client


def organisations(db: Session) -> list[Organisation]:
    return list(db.scalars(select(Organisation).order_by(Organisation.id)))


def extra_course(db: Session, *, programme: str = "SC", hours: int = 3) -> Course:
    number = next(_numbers)
    programme_id = db.scalar(select(Programme.id).where(Programme.code == programme))
    assert programme_id is not None, f"programme {programme} is not imported"
    course = Course(
        code=f"AP{number}", slug=f"api-course-{number}", programme_id=programme_id, position=300 + number,
        title={"lt": f"API kursas {number}", "en": f"API course {number}"},
        summary={"lt": "Santrauka", "en": "Summary"}, outcomes={"lt": ["Tikslas"], "en": ["Outcome"]},
        estimated_hours=hours, content_hash="x",
    )  # fmt: skip
    db.add(course)
    db.flush()
    return course


def enrolment(
    db: Session,
    user: User,
    course: Course,
    *,
    state: CompletionState | None = None,
    completed_at: dt.datetime | None = None,
    grade: float | None = None,
    certificate: bool = False,
) -> Enrolment:
    """A learner's record in a course: enrolment, and as asked a completion row, a quiz grade and a certificate."""
    row = Enrolment(user_id=user.id, course_id=course.id, role=CourseRole.LEARNER)
    db.add(row)
    if state is not None:
        done = state is CompletionState.COMPLETED
        db.add(
            CourseCompletion(
                user_id=user.id,
                course_id=course.id,
                state=state,
                percent=100 if done else 50,
                completed_at=(completed_at or utcnow()) if done else None,
            )
        )
    if grade is not None:
        quiz = db.scalar(select(Quiz).where(Quiz.course_id == course.id))
        if quiz is None:
            quiz = Quiz(course_id=course.id)
            db.add(quiz)
            db.flush()
        db.add(QuizGrade(quiz_id=quiz.id, user_id=user.id, grade=grade, passed=grade >= 70, finished_attempts=1))
    if certificate:
        db.flush()
        db.add(
            Certificate(
                code=new_code(),
                user_id=user.id,
                course_id=course.id,
                locale="en",
                holder_name=user.full_name,
                completed_at=completed_at or utcnow(),
                details={"course_code": course.code},
            )
        )
    db.commit()
    return row
