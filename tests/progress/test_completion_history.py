"""Property: on any history of SC9, `recompute_all` agrees with what the event handlers recorded, and is idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.progress.completion import recompute_all
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.progress.wiring import certify
from app.quizzes.models import QuizGrade
from tests.progress.completion_setup import (
    LESSONS,
    admin,
    course,
    finish_attempt,
    learner,
    quiz,
    set_criteria,
    set_quiz_rules,
    tick,
)

LEARNERS = 3

# Steps: ("lesson", learner, lesson), ("attempt", learner, grade), ("criteria", lessons, quiz), ("attempts", limit).
steps = st.one_of(
    st.tuples(st.just("lesson"), st.integers(0, LEARNERS - 1), st.integers(0, len(LESSONS) - 1)),
    st.tuples(st.just("attempt"), st.integers(0, LEARNERS - 1), st.integers(0, 100)),
    st.tuples(st.just("criteria"), st.sampled_from([(True, True), (True, False), (False, True)])),
    st.tuples(st.just("attempts"), st.integers(0, 4)),
)
histories = st.lists(steps, min_size=10, max_size=40)

Row = tuple[str, int, dt.datetime | None]
Snapshot = tuple[dict[int, Row], dict[int, tuple[str, dt.datetime]]]


def has_attempt_left(session: Session, user: User) -> bool:
    """The quiz page would refuse a new attempt once the limit is reached."""
    course_quiz = quiz(session)
    finished = session.scalar(
        select(QuizGrade.finished_attempts).where(QuizGrade.user_id == user.id, QuizGrade.quiz_id == course_quiz.id)
    )
    return course_quiz.max_attempts == 0 or (finished or 0) < course_quiz.max_attempts


def apply(session: Session, history: list[tuple[object, ...]], learners: list[User], by: User) -> None:
    """Each step through the services, so the incremental event handlers do the recording."""
    for step in history:
        match step:
            case ("lesson", int(who), int(lesson)):
                tick(session, learners[who], LESSONS[lesson])
            case ("attempt", int(who), int(grade)):
                if has_attempt_left(session, learners[who]):
                    finish_attempt(session, learners[who], grade)
            case ("criteria", (bool(lessons), bool(quiz_required))):
                set_criteria(session, by, lessons=lessons, quiz=quiz_required)
            case ("attempts", int(limit)):
                set_quiz_rules(session, max_attempts=limit)
            case _:
                raise AssertionError(f"unknown step {step!r}")


def snapshot(session: Session) -> Snapshot:
    session.expire_all()
    course_id = course(session).id
    rows = {
        row.user_id: (row.state, row.percent, row.completed_at)
        for row in session.scalars(select(CourseCompletion).where(CourseCompletion.course_id == course_id))
    }
    certificates = {
        certificate.user_id: (certificate.code, certificate.completed_at)
        for certificate in session.scalars(select(Certificate).where(Certificate.course_id == course_id))
    }
    return rows, certificates


def check_recompute_matches(session: Session) -> None:
    incremental = snapshot(session)
    rows, certificates = incremental
    completed = {user_id: row[2] for user_id, row in rows.items() if row[0] == CompletionState.COMPLETED}
    assert {user_id: completed_at for user_id, (_code, completed_at) in certificates.items()} == completed

    for _run in range(2):  # matches the incremental result, then stays put
        summary = recompute_all(session, on_completed=certify)
        assert summary.changed == 0 and summary.newly_completed == 0
        assert snapshot(session) == incremental

    unfinished = [user_id for user_id, row in rows.items() if row[0] != CompletionState.COMPLETED]
    session.execute(
        delete(CourseCompletion).where(
            CourseCompletion.course_id == course(session).id, CourseCompletion.user_id.in_(unfinished)
        )
    )
    summary = recompute_all(session, on_completed=certify)
    assert summary.changed == len(unfinished)
    assert snapshot(session) == incremental


@pytest.mark.usefixtures("synced")
def test_recompute_matches_the_incremental_result_on_any_history_and_is_idempotent(db: Session) -> None:
    learner_ids = [learner(db, f"Besimokanti Nr. {number}").id for number in range(LEARNERS)]
    admin_id = admin(db).id
    db.commit()
    connection = db.get_bind()
    assert isinstance(connection, Connection)

    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(history=histories)
    def recompute_agrees(history: list[tuple[object, ...]]) -> None:
        # Each example runs in a savepoint of the test's connection, rolled back afterwards.
        example = connection.begin_nested()
        session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            assert snapshot(session) == ({}, {}), "the previous example was not rolled back"
            learners = [session.get_one(User, user_id) for user_id in learner_ids]
            apply(session, history, learners, session.get_one(User, admin_id))
            check_recompute_matches(session)
        finally:
            session.close()
            example.rollback()

    recompute_agrees()
