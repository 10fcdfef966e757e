"""Query budgets of the quiz results pages: the same statements with one attempt or fifty."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.core.access import Role
from app.courses.service import assign_trainer
from app.quizzes.models import Quiz
from tests.factories import log_in, make_user
from tests.gates.queries import assert_constant_queries
from tests.quizzes import attempt_rows
from tests.quizzes.attempt_rows import BankEntry

pytestmark = pytest.mark.usefixtures("synced")
CODE = "SC9"
_numbers = itertools.count(1)
MIXED_GIFT = """\
::Capital:: Which city is the capital of Lithuania? {=Vilnius ~Kaunas}

::Stage:: Name the first stage of the cluster life cycle. {=Idea}

::Story:: Describe a cluster you know. {}
"""


@pytest.fixture
def quiz(db: Session, client: TestClient) -> Quiz:
    trainer = make_user(db, roles={Role.TRAINER, Role.LEARNER})
    assign_trainer(db, code=CODE, user=trainer)
    db.commit()
    log_in(client, trainer.email)
    return attempt_rows.course_quiz(db, CODE)


def _more_attempts(db: Session, quiz: Quiz, entries: list[BankEntry]) -> Callable[[int], None]:
    """Each call adds learners from two organisations, with finished, ungraded and open attempts in turn."""

    organisations = list(db.scalars(select(Organisation).order_by(Organisation.id).limit(2)))

    def grow(how_many: int) -> None:
        for _ in range(how_many):
            number = next(_numbers)
            organisation = organisations[number % 2]
            person = attempt_rows.learner(db, CODE, full_name=f"Learner {number}", organisation=organisation)
            marks: list[float | None] = [number % 2, 1.0, None if number % 3 == 0 else 0.5][: len(entries)]
            responses = [number % 2, "Idea", "An essay."][: len(entries)]
            attempt_rows.attempt(
                db, quiz=quiz, user=person, entries=entries, marks=marks, responses=responses,
                in_progress=number % 5 == 0,
            )  # fmt: skip

    return grow


def test_results_page_query_count_does_not_grow_with_attempts(client: TestClient, db: Session, quiz: Quiz) -> None:
    entries = attempt_rows.bank_entries(db, CODE)
    # principal; course and trainer's place; quiz; summary; learners of the page; organisations
    assert_constant_queries(
        client, db, f"/courses/{CODE}/quiz/results", _more_attempts(db, quiz, entries[:2]), budget=7
    )


def test_csv_export_query_count_does_not_grow_with_attempts(client: TestClient, db: Session, quiz: Quiz) -> None:
    entries = attempt_rows.bank_entries(db, CODE)
    # principal; course and trainer's place; quiz; every row, read in batches from one statement
    assert_constant_queries(
        client, db, f"/courses/{CODE}/quiz/results.csv", _more_attempts(db, quiz, entries[:2]), budget=5
    )


def test_statistics_page_query_count_does_not_grow_with_attempts(client: TestClient, db: Session, quiz: Quiz) -> None:
    entries = attempt_rows.add_gift_questions(db, CODE, MIXED_GIFT)
    # principal; course and trainer's place; quiz; attempt questions; versions
    assert_constant_queries(client, db, f"/courses/{CODE}/quiz/statistics", _more_attempts(db, quiz, entries), budget=6)
    assert_constant_queries(
        client, db, f"/courses/{CODE}/quiz/statistics?attempts=first", _more_attempts(db, quiz, entries), budget=6
    )
