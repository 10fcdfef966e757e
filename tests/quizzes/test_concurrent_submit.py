"""Two requests submitting the same attempt at the same moment (double click, two tabs) grade it once."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.core.db import make_engine, make_sessionmaker
from app.courses.content import load_content
from app.courses.importer import sync_content
from app.quizzes.attempts import create_attempt, finish_attempt
from app.quizzes.content_sync import sync_course_quizzes
from app.quizzes.models import AttemptQuestion, Quiz, QuizAttempt, QuizGrade
from tests.conftest import CONTENT_FIXTURE, migrate
from tests.factories import make_user, seed_organisations


def test_simultaneous_submits_claim_the_attempt_once(tmp_path: Path) -> None:
    # Committed rows seen by separate connections: a database file of its own, not the test's transaction.
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    migrate(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as session:
        seed_organisations(session)
        bundle = load_content(CONTENT_FIXTURE)
        sync_content(session, bundle)
        sync_course_quizzes(session, bundle)
        quiz = session.scalar(select(Quiz))
        assert quiz is not None
        learner = make_user(session)
        attempt_id = create_attempt(session, quiz=quiz, user=learner, is_preview=False, locale="lt").id
        session.commit()

    start = threading.Barrier(4)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            start.wait()
            with sessions() as session:
                attempt = session.scalar(
                    select(QuizAttempt)
                    .where(QuizAttempt.id == attempt_id)
                    .options(
                        selectinload(QuizAttempt.quiz),
                        selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version),
                    )
                )
                assert attempt is not None
                outcomes.append(finish_attempt(session, attempt=attempt, quiz=attempt.quiz))
                session.commit()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(outcomes) == [False, False, False, True]
    with sessions() as session:
        grade = session.scalar(select(QuizGrade))
        assert grade is not None and grade.finished_attempts == 1
    engine.dispose()
