"""Query budgets of the question bank pages: the same number of statements for 1 question (or version) as for 60."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.courses.content import fingerprint
from app.courses.importer import SyncSummary
from app.courses.models import Course
from app.courses.service import assign_trainer
from app.quizzes.bank import CategoryCache, new_bank_question
from app.quizzes.interchange import Essay, Numerical, NumericalAnswer
from app.quizzes.models import Question, QuestionVersion
from tests.factories import log_in, make_user
from tests.gates.queries import statements_for

_numbers = itertools.count(1)
# The session with its user; the course and the enrolment; the count, the page of rows and the categories.
BANK_BUDGET = 6
# The session with its user; the course and the enrolment; the question with its category, its versions, the categories.
EDIT_BUDGET = 6


@pytest.fixture
def trainer(client: TestClient, db: Session, synced: SyncSummary) -> User:
    user = make_user(db, roles={Role.TRAINER, Role.LEARNER})
    assign_trainer(db, code="SC9", user=user)
    db.commit()
    log_in(client, user.email)
    return user


def assert_same_count_for_1_and_60(
    client: TestClient, db: Session, url: str, grow: Callable[[int], None], *, budget: int
) -> None:
    grow(1)
    client.get(url)  # warm-up: first-request work is not the page's cost
    small = statements_for(client, db, url)
    grow(59)
    large = statements_for(client, db, url)
    assert small.count == large.count, f"{small.count} statements with 1, {large.count} with 60:\n" + "\n".join(
        large.statements
    )
    assert large.count <= budget, f"{large.count} statements, budget {budget}:\n" + "\n".join(large.statements)


def _add_questions(db: Session) -> Callable[[int], None]:
    course = db.scalar(select(Course).where(Course.code == "SC9"))
    assert course is not None

    def grow(how_many: int) -> None:
        categories = CategoryCache(db, course.id)
        for _ in range(how_many):
            number = next(_numbers)
            path = (f"Category {number}",)  # every question in its own category: categories grow too
            db.add(
                new_bank_question(
                    Essay(title=f"Essay {number}", text="Write.", category=path),
                    course_id=course.id,
                    category=categories.get(path),
                    language="en",
                    position=number,
                    source_key=None,
                )  # fmt: skip
            )
        db.commit()

    return grow


def test_bank_page_query_count_does_not_grow_with_questions(client: TestClient, db: Session, trainer: User) -> None:
    assert_same_count_for_1_and_60(client, db, "/courses/SC9/questions", _add_questions(db), budget=BANK_BUDGET)


def test_edit_page_query_count_does_not_grow_with_versions(client: TestClient, db: Session, trainer: User) -> None:
    question = db.scalar(select(Question).where(Question.title == "Q2"))
    assert question is not None

    def more_versions(how_many: int) -> None:
        for _ in range(how_many):
            question.current_version += 1
            data = Numerical(
                title="Q2", text=f"Version {question.current_version}", answers=(NumericalAnswer(value=2, tolerance=1),)
            ).model_dump(mode="json")
            db.add(
                QuestionVersion(
                    question_id=question.id, version=question.current_version, data=data, content_hash=fingerprint(data)
                )
            )
        db.commit()
        db.expire(question)  # the app shares this session: let it load the new versions

    url = f"/courses/SC9/questions/{question.id}/edit"
    assert_same_count_for_1_and_60(client, db, url, more_versions, budget=EDIT_BUDGET)
