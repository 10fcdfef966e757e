"""Set-up for the progress page tests: learners who reach SC9's completion quickly, extra courses, signed-in clients."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.courses.models import Course, CourseRole, Enrolment, Lesson, Programme, Section
from app.courses.service import complete_lesson
from app.progress.models import Certificate, CourseCompletion
from tests.factories import log_in
from tests.quizzes import attempt_rows
from tests.quizzes.attempt_rows import BankEntry
from tests.quizzes.quiz_setup import learner_of

CODE = "SC9"
LESSONS = ("first-steps", "partners", "english-only")  # in course order
PASS_MARK = 70.0
_numbers = itertools.count(1)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")


def quiz_entries(db: Session) -> list[BankEntry]:
    """SC9's Lithuanian quiz questions: a true/false and a numerical one, one mark each."""
    entries = [entry for entry in attempt_rows.bank_entries(db, CODE) if entry.question.language == "lt"]
    assert [entry.max_mark for entry in entries] == [1.0, 1.0], entries
    return entries


def take_quiz(db: Session, user: User, grade: float) -> None:
    """A finished attempt at SC9's quiz that earns `grade` percent (publishes the completion event)."""
    points = 2 * grade / 100
    marks = [min(1.0, points), max(0.0, points - 1)]
    quiz = attempt_rows.course_quiz(db, CODE)
    attempt_rows.attempt(db, quiz=quiz, user=user, entries=quiz_entries(db), marks=marks)


def tick_lessons(db: Session, user: User, slugs: Sequence[str] = LESSONS, *, code: str = CODE) -> None:
    for slug in slugs:
        complete_lesson(db, code=code, slug=slug, user=user)
    db.commit()


def complete_sc9(db: Session, user: User, *, grade: float = 80.0) -> None:
    tick_lessons(db, user)
    take_quiz(db, user, grade)


def completed_learner(db: Session, *, grade: float = 80.0, **user_fields: object) -> User:
    """An SC9 learner who ticked every lesson and passed the quiz with `grade`."""
    user = learner_of(db, CODE, **user_fields)
    complete_sc9(db, user, grade=grade)
    return user


def certificate_of(db: Session, user: User, *, code: str = CODE) -> Certificate:
    db.expire_all()
    certificate = db.scalar(
        select(Certificate)
        .join(Course, Course.id == Certificate.course_id)
        .where(Certificate.user_id == user.id, Course.code == code)
    )
    assert certificate is not None, f"{user.full_name} has no certificate of {code}"
    return certificate


def completion_of(db: Session, user: User, *, code: str = CODE) -> CourseCompletion | None:
    db.expire_all()
    return db.scalar(
        select(CourseCompletion)
        .join(Course, Course.id == CourseCompletion.course_id)
        .where(CourseCompletion.user_id == user.id, Course.code == code)
    )


def extra_course(
    db: Session, *, programme: str = "SC", lessons: int = 1, competencies: list[dict] | None = None
) -> Course:
    """A course written straight to the tables (no content files): one section with `lessons` lessons."""
    number = next(_numbers)
    programme_id = db.scalar(select(Programme.id).where(Programme.code == programme))
    assert programme_id is not None, f"programme {programme} is not imported"
    course = Course(
        code=f"XP{number}", slug=f"extra-progress-{number}", programme_id=programme_id, position=200 + number,
        title={"lt": f"Papildomas kursas {number}", "en": f"Extra course {number}"},
        summary={"lt": "Santrauka", "en": "Summary"}, outcomes={"lt": ["Tikslas"], "en": ["Outcome"]},
        estimated_hours=1, competencies=competencies or [], content_hash="x",
    )  # fmt: skip
    db.add(course)
    db.flush()
    section = Section(course_id=course.id, slug="only", position=1, title={"lt": "Skyrius", "en": "Section"})
    db.add(section)
    db.flush()
    for position in range(1, lessons + 1):
        db.add(
            Lesson(course_id=course.id, section_id=section.id, slug=f"l{position}", position=position, content_hash="x")
        )
    db.flush()
    return course


def enrol_directly(db: Session, user: User, course: Course, *, role: str = CourseRole.LEARNER) -> None:
    db.add(Enrolment(user_id=user.id, course_id=course.id, role=role))
    db.flush()


def client_for(app: FastAPI, user: User | None = None) -> TestClient:
    """A browser of its own (own cookies), signed in as `user` when one is given."""
    client = TestClient(app, base_url="http://testserver", follow_redirects=False)
    if user is not None:
        log_in(client, user.email)
    return client


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def page_text(html: str) -> str:
    """What a reader sees: tags removed, runs of white space made one space."""
    return _SPACES.sub(" ", _TAGS.sub(" ", html))
