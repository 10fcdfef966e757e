"""A learner with data in every section of the privacy archive, on course SC9, and the people around them."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import PasswordResetToken, User, UserImport
from app.audit.service import AuditAction, record
from app.core.access import Role
from app.core.db import utcnow
from app.core.security import new_token, token_digest
from app.courses.models import Course
from app.quizzes.models import QuizAttempt
from app.toolkits.models import Toolkit, ToolkitVersion
from tests.factories import make_user
from tests.progress.page_setup import CODE, certificate_of, client_for, completed_learner
from tests.quizzes import attempt_rows
from tests.quizzes.attempt_rows import BankEntry

FREE_TEXT_GIFT = """\
::Privacy short:: Name the first stage of the cluster life cycle. {=Idea}

::Privacy essay:: Describe a cluster you know. {}

::Privacy number:: How many partner institutions had the network? {#13:0}
"""
_serial = itertools.count(1)


@dataclass(frozen=True)
class Person:
    user: User
    email: str
    full_name: str
    essay: str
    short_answer: str
    certificate_code: str
    file_name: str


def free_text_entries(db: Session) -> list[BankEntry]:
    """A short answer, an essay and a numerical question in SC9's bank (added once per test)."""
    existing = attempt_rows.bank_entries(db, CODE)
    titles = ["Privacy short", "Privacy essay", "Privacy number"]
    if not {entry.question.title for entry in existing} >= set(titles):
        attempt_rows.add_gift_questions(db, CODE, FREE_TEXT_GIFT)
    return attempt_rows.bank_entries(db, CODE, titles=titles)


def free_text_attempt(db: Session, user: User, *, essay: str, short_answer: str) -> QuizAttempt:
    """A finished attempt with typed answers: 1 mark for the short answer, 0.5 from the trainer for the essay."""
    quiz = attempt_rows.course_quiz(db, CODE)
    attempt = attempt_rows.attempt(
        db,
        quiz=quiz,
        user=user,
        entries=free_text_entries(db),
        marks=[1.0, 0.5, 1.0],
        responses=[short_answer, essay, "13"],
    )
    essay_row = attempt.questions[1]
    essay_row.manual_mark, essay_row.manual_comment = 0.5, f"Thank you, {user.full_name.split()[0]}."
    db.commit()
    return attempt


def uploaded_toolkit(db: Session, user: User, file_name: str) -> Toolkit:
    course_id = db.scalar(select(Course.id).where(Course.code == CODE))
    toolkit = Toolkit(
        course_id=course_id, title={"lt": "Klasterio žemėlapis", "en": "Cluster map"},
        description={"lt": "Aprašas", "en": "Description"}, language="both", kind="handout",
        created_by_id=user.id, version_count=1,
    )  # fmt: skip
    toolkit.versions = [
        ToolkitVersion(
            number=1,
            storage_key=secrets.token_hex(16),
            file_name=file_name,
            file_type="pdf",
            mime="application/pdf",
            size=1234,
            sha256=secrets.token_hex(32),
            uploaded_by_id=user.id,
        )  # fmt: skip
    ]
    db.add(toolkit)
    db.commit()
    return toolkit


def seeded_person(db: Session, *, full_name: str, email: str, job_title: str = "Socialinė darbuotoja") -> Person:
    """A learner who completed SC9 (certificate issued), wrote free-text answers and uploaded a toolkit file."""
    user = completed_learner(db, full_name=full_name, email_address=email)
    user.job_title = job_title
    serial = next(_serial)
    essay = f"Essay {serial}: the Utena cluster joins a library, a school and two NGOs."
    short_answer = f"Idea-{serial}"
    free_text_attempt(db, user, essay=essay, short_answer=short_answer)
    file_name = f"cluster-map-{serial}.pdf"
    uploaded_toolkit(db, user, file_name)
    return Person(
        user=user,
        email=email,
        full_name=full_name,
        essay=essay,
        short_answer=short_answer,
        certificate_code=certificate_of(db, user).code,
        file_name=file_name,
    )


def traces_around(db: Session, person: Person, admin: User) -> None:
    """What else mentions a person: a reset link, an administrator's entries about them, an import row."""
    db.add(
        PasswordResetToken(
            user_id=person.user.id, token_digest=token_digest(new_token()), expires_at=utcnow().replace(year=2099)
        )
    )
    record(
        db,
        actor=admin,
        action=AuditAction.USER_ROLES_CHANGED,
        target_type="user",
        target_id=person.user.id,
        details={"before": ["learner"], "after": ["learner", "trainer"]},
    )
    record(
        db,
        actor=admin,
        action=AuditAction.COURSE_TRAINER_ASSIGNED,
        target_type="course",
        target_id=CODE,
        details={"email": person.email.upper(), "name": person.full_name},
    )
    db.add(
        UserImport(
            created_by_id=admin.id,
            file_name="people.csv",
            file_sha256="1" * 64,
            rows=[
                {"line": 2, "email": person.email, "full_name": person.full_name, "job_title": "Vadovė"},
                {"line": 3, "email": "someone.else@example.lt", "full_name": "Kitas Žmogus", "job_title": ""},
            ],
        )
    )
    db.commit()


def admin_client(app: FastAPI, db: Session, *, full_name: str = "Administratorė Ona") -> tuple[User, TestClient]:
    # English pages, so the checks of page texts hold once the Lithuanian translations arrive.
    admin = make_user(
        db,
        email_address=f"privacy-admin-{next(_serial)}@example.lt",
        full_name=full_name,
        roles={Role.ADMIN},
        locale="en",
    )
    return admin, client_for(app, admin)
