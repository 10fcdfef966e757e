"""Taking a quiz over HTTP: start, save as you go, resume, submit once, time limits, grades and review rules."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.quizzes.attempts import close_overdue_attempts
from app.quizzes.models import QuizAttempt, QuizGrade
from tests.factories import csrf_from
from tests.quizzes.quiz_setup import (
    answer_page,
    attempt_rows,
    hidden_texts,
    learner_of,
    make_quiz,
    right_answer_fields,
    signed_in,
    start,
)

pytestmark = pytest.mark.usefixtures("synced")
CODE = "SC9"
NO_ESSAY = "\n\n".join(
    block
    for block in __import__("tests.quizzes.quiz_setup").quizzes.quiz_setup.ALL_TYPES_GIFT.split("\n\n")
    if "Essay" not in block
)


def _answer_everything_right(client: TestClient, db: Session, user, url: str) -> None:  # type: ignore[no-untyped-def]
    attempt = attempt_rows(db, user)[-1]
    for page in sorted({row.page for row in attempt.questions}):
        fields: dict[str, str] = {}
        for row in attempt.questions:
            if row.page == page:
                fields.update(right_answer_fields(row))
        assert answer_page(client, url, str(page), fields).status_code == 303


def _submit(client: TestClient, url: str):  # type: ignore[no-untyped-def]
    summary = client.get(f"{url.split('?')[0]}/summary")
    assert summary.status_code == 200, summary.text
    return client.post(f"{url.split('?')[0]}/submit", data={"csrf_token": csrf_from(summary.text)})


def test_a_learner_answers_every_type_right_and_gets_full_marks(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    _answer_everything_right(client, db, learner, url)
    response = _submit(client, url)
    assert response.status_code == 303 and response.headers["location"].endswith("/review")
    attempt = attempt_rows(db, learner)[0]
    assert attempt.state == "finished" and attempt.grade == 100.0
    assert [row.state for row in attempt.questions if row.max_mark] == ["correct"] * 6
    grade = db.scalar(select(QuizGrade).where(QuizGrade.user_id == learner.id))
    assert grade is not None and grade.passed and grade.grade == 100.0
    review = client.get(response.headers["location"])
    assert review.status_code == 200 and "Yes, it does" in review.text


def test_answers_are_saved_per_page_and_the_attempt_resumes(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    first = attempt_rows(db, learner)[0].questions[0]
    answer_page(client, url, "1", right_answer_fields(first))
    saved = attempt_rows(db, learner)[0].questions[0]
    assert saved.response is not None and saved.saved_at is not None
    # A new browser session (closing the browser) and "start" again leads back to the same attempt.
    assert start(client, CODE) == url
    page = client.get(url)
    assert "checked" in page.text or 'value="' in page.text
    assert len(attempt_rows(db, learner)) == 1


def test_autosave_stores_an_answer_without_leaving_the_page(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    html = client.get(url).text
    row = attempt_rows(db, learner)[0].questions[0]
    response = client.post(
        f"{url}/autosave", data={"csrf_token": csrf_from(html), "page": "1", **right_answer_fields(row)}
    )
    assert response.status_code == 200 and response.json() == {"saved": 1, "closed": False}
    assert attempt_rows(db, learner)[0].questions[0].response is not None


def test_correct_answers_and_feedback_are_not_in_the_page_before_submission(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, questions_per_page=0)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    html = client.get(f"{url}?page=all").text
    assert "Which body coordinates" in html
    for secret in hidden_texts():
        assert secret not in html, secret
    summary = client.get(f"{url}/summary").text
    for secret in hidden_texts():
        assert secret not in summary


def test_submitting_twice_grades_one_attempt(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    summary = client.get(f"{url}/summary").text
    token = csrf_from(summary)
    first = client.post(f"{url}/submit", data={"csrf_token": token})
    second = client.post(f"{url}/submit", data={"csrf_token": token})
    assert first.status_code == second.status_code == 303
    rows = attempt_rows(db, learner)
    assert len(rows) == 1 and rows[0].state == "finished"
    grade = db.scalar(select(QuizGrade).where(QuizGrade.user_id == learner.id))
    assert grade is not None and grade.finished_attempts == 1


def test_double_click_on_start_opens_one_attempt(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE)
    learner = learner_of(db, CODE)
    first = start(signed_in(client, learner), CODE)
    assert start(client, CODE) == first
    assert len(attempt_rows(db, learner)) == 1


def test_an_attempt_past_its_deadline_is_submitted_with_the_saved_answers(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY, time_limit_minutes=10)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    attempt = attempt_rows(db, learner)[0]
    assert attempt.deadline_at is not None
    first = attempt.questions[0]
    answer_page(client, url, "1", right_answer_fields(first))
    html = client.get(f"{url}?page=2").text
    attempt.deadline_at = utcnow() - dt.timedelta(seconds=1)
    db.commit()
    # A late answer is refused: the attempt is submitted with what was saved before the deadline.
    late = client.post(
        url, data={"csrf_token": csrf_from(html), "page": "2", **right_answer_fields(attempt.questions[3])}
    )
    assert late.status_code == 303 and "/review" in late.headers["location"]
    attempt = attempt_rows(db, learner)[0]
    assert attempt.state == "finished" and attempt.auto_submitted
    assert attempt.questions[0].state == "correct" and attempt.questions[3].response is None
    assert client.get(url).headers["location"].endswith("/review")


def test_the_sweep_submits_abandoned_attempts(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY, time_limit_minutes=5)
    learner = learner_of(db, CODE)
    start(signed_in(client, learner), CODE)
    assert close_overdue_attempts(db) == 0
    assert close_overdue_attempts(db, now=utcnow() + dt.timedelta(minutes=6)) == 1
    db.commit()
    attempt = attempt_rows(db, learner)[0]
    assert attempt.state == "finished" and attempt.auto_submitted and attempt.grade == 0.0


def test_no_more_attempts_than_allowed(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY, max_attempts=1)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    _submit(client, url)
    page = client.get(f"/courses/{CODE}/quiz?lang=en")
    assert "used all your attempts" in page.text
    refused = client.post(f"/courses/{CODE}/quiz/start", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 409
    assert len(attempt_rows(db, learner)) == 1


@pytest.mark.parametrize(
    ("method", "expected"), [("highest", 100.0), ("average", 50.0), ("first", 0.0), ("last", 100.0)]
)
def test_grading_methods_combine_attempts(client: TestClient, db: Session, method: str, expected: float) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY, grading_method=method)
    learner = learner_of(db, CODE)
    signed_in(client, learner)
    _submit(client, start(client, CODE))  # nothing answered: 0 %
    url = start(client, CODE)
    _answer_everything_right(client, db, learner, url)
    _submit(client, url)
    grade = db.scalar(select(QuizGrade).where(QuizGrade.user_id == learner.id))
    assert grade is not None and grade.grade == expected and grade.finished_attempts == 2


def test_shuffled_order_is_stored_and_the_review_shows_it(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY, shuffle_questions=True, questions_per_page=0)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    attempt = attempt_rows(db, learner)[0]
    assert attempt.seed > 0
    order_before = [row.question_id for row in attempt.questions]
    html = client.get(f"{url}?page=all").text
    _submit(client, url)
    review = client.get(f"{url}/review").text
    texts = [
        "Which body coordinates",
        "Which are social economy",
        "A cluster needs",
        "first stage",
        "How many partner",
        "Match the countries",
    ]
    assert sorted(texts, key=html.index) == sorted(texts, key=review.index)
    assert [row.question_id for row in attempt_rows(db, learner)[0].questions] == order_before


def test_someone_elses_attempt_is_not_found(client: TestClient, db: Session, app) -> None:  # type: ignore[no-untyped-def]
    make_quiz(db, code=CODE)
    owner = learner_of(db, CODE)
    url = start(signed_in(client, owner), CODE)
    other = learner_of(db, CODE)
    stranger = TestClient(app, base_url="http://testserver", follow_redirects=False)
    signed_in(stranger, other)
    assert stranger.get(url).status_code == 404
    assert stranger.get(f"{url}/review").status_code == 404
    token = csrf_from(stranger.get("/profile").text)
    assert stranger.post(f"{url}/submit", data={"csrf_token": token}).status_code == 404
    assert attempt_rows(db, owner)[0].state == "in_progress"


def test_review_rules_can_hide_marks_and_answers(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY, review_marks="never", review_answers="never", review_feedback="never")
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    _submit(client, url)
    review = client.get(f"{url}/review").text
    for secret in hidden_texts():
        assert secret not in review
    assert "%" not in review.split("<main", 1)[1].split("</dl>", 1)[0]


def test_immediate_feedback_checks_and_locks_one_question(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, gift=NO_ESSAY, feedback_timing="immediate")
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    first = attempt_rows(db, learner)[0].questions[0]
    html = client.get(url).text
    checked = client.post(
        url, data={"csrf_token": csrf_from(html), "page": "1", "check": "1", **right_answer_fields(first)}
    )
    assert checked.status_code == 303
    page = client.get(checked.headers["location"]).text
    assert "Yes, it does" in page
    row = attempt_rows(db, learner)[0].questions[0]
    assert row.checked_at is not None and row.state == "correct"
    # A changed answer after the check is ignored.
    client.post(
        url,
        data={
            "csrf_token": csrf_from(page),
            "page": "1",
            "q1": "1" if first.display_order["answers"].index(0) != 1 else "2",
        },
    )
    assert attempt_rows(db, learner)[0].questions[0].response == row.response


def test_a_learner_not_enrolled_cannot_start(client: TestClient, db: Session) -> None:
    from tests.factories import make_user

    make_quiz(db, code=CODE)
    outsider = make_user(db)
    signed_in(client, outsider)
    page = client.get(f"/courses/{CODE}/quiz")
    assert page.status_code == 200
    refused = client.post(f"/courses/{CODE}/quiz/start", data={"csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
    assert db.scalar(select(QuizAttempt).where(QuizAttempt.user_id == outsider.id)) is None
