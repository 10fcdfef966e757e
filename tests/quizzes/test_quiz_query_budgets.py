"""Quiz pages run the same number of SQL statements however many questions, answers and attempts they show."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.quizzes.attempts import create_attempt, finish_attempt
from app.quizzes.bank import import_into_bank
from app.quizzes.gift import read_gift
from app.quizzes.models import AttemptQuestion, Question, QuestionVersion, Quiz, QuizAttempt
from tests.gates.queries import assert_constant_queries
from tests.quizzes.quiz_setup import ALL_TYPES_GIFT, learner_of, make_quiz, signed_in, trainer_of

pytestmark = pytest.mark.usefixtures("synced")
CODE = "SC9"
_blocks = ALL_TYPES_GIFT.strip().split("\n\n")


def _add_questions_to(db: Session, attempt: QuizAttempt, count: int) -> None:
    """Append `count` questions of every type in turn to an attempt, answered where a type takes an answer."""
    kinds = itertools.cycle(_blocks)
    gift = "\n\n".join(next(kinds) for _ in range(count))
    import_into_bank(db, course_code=CODE, report=read_gift(gift), language="en")
    newest = list(db.scalars(select(Question).order_by(Question.id.desc()).limit(count)))
    versions = {
        v.question_id: v
        for v in db.scalars(select(QuestionVersion).where(QuestionVersion.question_id.in_([q.id for q in newest])))
    }
    last = db.scalar(select(func.max(AttemptQuestion.position)).where(AttemptQuestion.attempt_id == attempt.id)) or 0
    for offset, question in enumerate(reversed(newest), start=1):
        kind = question.question_type
        order = {"answers": [0, 1, 2]} if kind in ("single_choice", "multiple_choice") else {}
        if kind == "matching":
            order = {"prompts": [0, 1, 2], "choices": [2, 0, 1]}
        response = {"single_choice": 0, "multiple_choice": [0, 1], "true_false": True, "short_answer": "Idea",
                    "numerical": "13", "matching": {"0": "Vilnius"}, "essay": "Text"}.get(kind)  # fmt: skip
        db.add(
            AttemptQuestion(
                attempt_id=attempt.id,
                position=last + offset,
                page=1,
                question_id=question.id,
                version_id=versions[question.id].id,
                max_mark=0.0 if kind == "description" else 1.0,
                display_order=order,
                response=response,
                state="answered" if response is not None else "unanswered",
            )  # fmt: skip
        )
    db.commit()


def _grow_attempt(db: Session, attempt_of: Callable[[], QuizAttempt]) -> Callable[[int], None]:
    def grow(count: int) -> None:
        _add_questions_to(db, attempt_of(), count)

    return grow


def _start(db: Session, learner: User) -> QuizAttempt:
    quiz = db.scalar(select(Quiz).join(Quiz.slots).limit(1)) or db.scalar(select(Quiz))
    assert quiz is not None
    attempt = create_attempt(db, quiz=quiz, user=learner, is_preview=False, locale="en")
    db.commit()
    return attempt


def test_attempt_page_is_constant_in_the_number_of_questions(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=_blocks[0], questions_per_page=0)
    learner = learner_of(db, CODE)
    signed_in(client, learner)
    attempt = _start(db, learner)
    url = f"/courses/{CODE}/quiz/attempts/{attempt.number}?page=1"
    assert_constant_queries(client, db, url, _grow_attempt(db, lambda: attempt), budget=9)


def test_summary_page_is_constant_in_the_number_of_questions(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=_blocks[0], questions_per_page=0)
    learner = learner_of(db, CODE)
    signed_in(client, learner)
    attempt = _start(db, learner)
    url = f"/courses/{CODE}/quiz/attempts/{attempt.number}/summary"
    assert_constant_queries(client, db, url, _grow_attempt(db, lambda: attempt), budget=9)


def test_review_pages_are_constant_in_the_number_of_answers(app: FastAPI, client: TestClient, db: Session) -> None:
    quiz = make_quiz(db, code=CODE, gift=_blocks[0], questions_per_page=0)
    learner = learner_of(db, CODE)
    signed_in(client, learner)
    attempt = _start(db, learner)
    finish_attempt(db, attempt=attempt, quiz=quiz)
    db.commit()
    url = f"/courses/{CODE}/quiz/attempts/{attempt.number}/review"
    assert_constant_queries(client, db, url, _grow_attempt(db, lambda: attempt), budget=9)

    trainer = TestClient(app, base_url="http://testserver", follow_redirects=False)
    signed_in(trainer, trainer_of(db, CODE))
    trainer_url = f"/courses/{CODE}/quiz/results/{attempt.id}"
    assert_constant_queries(trainer, db, trainer_url, _grow_attempt(db, lambda: attempt), budget=11)


def test_quiz_overview_is_constant_in_the_number_of_attempts(client: TestClient, db: Session) -> None:
    quiz = make_quiz(db, code=CODE, gift=_blocks[0], questions_per_page=0)
    learner = learner_of(db, CODE)
    signed_in(client, learner)

    def grow(count: int) -> None:
        for _ in range(count):
            attempt = _start(db, learner)
            finish_attempt(db, attempt=attempt, quiz=quiz)
        db.commit()

    assert_constant_queries(client, db, f"/courses/{CODE}/quiz", grow, budget=9)


def test_grading_queue_is_constant_in_the_number_of_answers(app: FastAPI, client: TestClient, db: Session) -> None:
    quiz = make_quiz(db, code=CODE, gift=_blocks[6], questions_per_page=0)
    signed_in(client, trainer_of(db, CODE))

    def grow(count: int) -> None:
        for _ in range(count):
            learner = learner_of(db, CODE)
            attempt = _start(db, learner)
            db.refresh(attempt, attribute_names=["questions"])
            for row in attempt.questions:
                row.response = "An essay"
            db.flush()
            finish_attempt(db, attempt=attempt, quiz=quiz)
        db.commit()

    assert_constant_queries(client, db, f"/courses/{CODE}/quiz/grading", grow, budget=8)


def test_slot_editor_is_constant_in_the_number_of_questions(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=_blocks[0])
    signed_in(client, trainer_of(db, CODE))
    quiz = db.scalar(select(Quiz))
    assert quiz is not None

    def grow(count: int) -> None:
        from app.quizzes.models import QuizSlot

        kinds = itertools.cycle(_blocks)
        import_into_bank(
            db, course_code=CODE, report=read_gift("\n\n".join(next(kinds) for _ in range(count))), language="lt"
        )
        newest = db.scalars(select(Question.id).order_by(Question.id.desc()).limit(count)).all()
        top = db.scalar(select(func.max(QuizSlot.position)).where(QuizSlot.quiz_id == quiz.id)) or 0
        for offset, question_id in enumerate(newest, start=1):
            db.add(QuizSlot(quiz_id=quiz.id, position=top + offset, question_id=question_id))
        db.commit()

    assert_constant_queries(client, db, f"/courses/{CODE}/quiz/questions", grow, budget=10)
