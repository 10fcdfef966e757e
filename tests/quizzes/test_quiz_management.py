"""The trainer's quiz pages: settings, question slots, previews, the grading queue, manual grades and regrading."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.courses.content import fingerprint
from app.courses.models import Course
from app.quizzes.models import Question, QuestionVersion, Quiz, QuizGrade, QuizSlot
from tests.factories import csrf_from, post_form
from tests.quizzes.quiz_setup import (
    answer_page,
    attempt_rows,
    learner_of,
    make_quiz,
    right_answer_fields,
    signed_in,
    start,
    trainer_of,
)

pytestmark = pytest.mark.usefixtures("synced")
CODE = "SC9"
SETTINGS = {
    "pass_mark": "62,5", "max_attempts": "2", "time_limit_minutes": "", "grading_method": "average",
    "shuffle_answers": "on", "questions_per_page": "2", "feedback_timing": "after_submit",
    "review_marks": "immediately", "review_answers": "after_close", "review_feedback": "never",
    "open_at": "2026-12-01T09:00", "close_at": "2026-12-15T17:30",
}  # fmt: skip


def _quiz(db: Session) -> Quiz:
    db.expire_all()
    quiz = db.scalar(select(Quiz).join(Course).where(Course.code == CODE))
    assert quiz is not None
    return quiz


def _browser(app: FastAPI) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def test_content_sync_creates_the_quiz_with_the_course_file_settings(db: Session) -> None:
    quiz = _quiz(db)
    assert (quiz.pass_mark, quiz.max_attempts, quiz.time_limit_minutes) == (70.0, 3, 20)
    assert len(db.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id)).all()) == 3


def test_a_trainer_saves_the_settings(client: TestClient, db: Session) -> None:
    signed_in(client, trainer_of(db, CODE))
    url = f"/courses/{CODE}/quiz/settings"
    response = post_form(client, url, url, SETTINGS)
    assert response.status_code == 303, response.text
    quiz = _quiz(db)
    assert (quiz.pass_mark, quiz.max_attempts, quiz.time_limit_minutes, quiz.grading_method) == (
        62.5,
        2,
        None,
        "average",
    )
    assert quiz.shuffle_answers and not quiz.shuffle_questions
    # Vilnius is UTC+2 in winter.
    assert quiz.open_at == dt.datetime(2026, 12, 1, 7, 0, tzinfo=dt.UTC)
    assert quiz.close_at == dt.datetime(2026, 12, 15, 15, 30, tzinfo=dt.UTC)
    assert 'value="2026-12-01T09:00"' in client.get(url).text


def test_invalid_settings_are_shown_again_with_what_was_typed(client: TestClient, db: Session) -> None:
    signed_in(client, trainer_of(db, CODE))
    url = f"/courses/{CODE}/quiz/settings"
    response = post_form(client, url, url, {**SETTINGS, "pass_mark": "120", "close_at": "2026-11-30T09:00"})
    assert response.status_code == 422
    assert 'value="120"' in response.text and 'value="2026-11-30T09:00"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert _quiz(db).pass_mark == 70.0


def test_a_later_content_sync_keeps_the_trainers_settings_unless_the_file_changed(
    client: TestClient, db: Session, content_root
) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import COURSE_DIR, sync

    signed_in(client, trainer_of(db, CODE))
    url = f"/courses/{CODE}/quiz/settings"
    post_form(client, url, url, SETTINGS)
    sync(db, content_root)
    assert _quiz(db).pass_mark == 62.5
    course_file = content_root / COURSE_DIR / "course.yaml"
    course_file.write_text(course_file.read_text(encoding="utf-8").replace("pass_mark: 70", "pass_mark: 80"), "utf-8")
    sync(db, content_root)
    assert _quiz(db).pass_mark == 80.0


def test_trainers_of_other_courses_cannot_open_the_quiz_pages(app: FastAPI, db: Session) -> None:
    from app.core.access import Role
    from tests.factories import make_user

    other = make_user(db, roles={Role.TRAINER, Role.LEARNER})
    signed_in(client := _browser(app), other)
    for path in ("settings", "questions", "grading"):
        assert client.get(f"/courses/{CODE}/quiz/{path}").status_code == 404


def test_the_slot_editor_adds_moves_and_removes_questions(client: TestClient, db: Session) -> None:
    signed_in(client, trainer_of(db, CODE))
    url = f"/courses/{CODE}/quiz/questions"
    quiz = _quiz(db)
    slots = db.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)).all()
    first, second = slots[0].id, slots[1].id
    assert post_form(client, url, url, {"action": f"down:{first}"}).status_code == 303
    db.expire_all()
    assert [s.id for s in db.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position))][
        :2
    ] == [second, first]
    assert post_form(client, url, url, {"action": f"remove:{first}"}).status_code == 303
    removed_question = slots[0].question_id
    page = client.get(url).text
    assert f'<option value="{removed_question}"' in page
    assert post_form(client, url, url, {"action": "add", "question_id": str(removed_question)}).status_code == 303
    category_id = db.scalar(select(Question.category_id).where(Question.id == removed_question))
    bad = post_form(client, url, url, {"action": "add_random", "category_id": str(category_id), "random_count": "0"})
    assert bad.status_code == 422 and ("1 to 100" in bad.text or "1 iki 100" in bad.text)
    good = post_form(client, url, url, {"action": "add_random", "category_id": str(category_id), "random_count": "1"})
    assert good.status_code == 303
    db.expire_all()
    assert (
        db.scalar(select(QuizSlot.random_count).where(QuizSlot.quiz_id == quiz.id, QuizSlot.category_id.is_not(None)))
        == 1
    )


def test_a_random_slot_draws_questions_of_the_attempt_language(client: TestClient, db: Session) -> None:
    quiz = make_quiz(db, code=CODE, questions_per_page=0)
    category_id = db.scalar(select(QuizSlot.question_id).where(QuizSlot.quiz_id == quiz.id))
    category = db.scalar(select(Question.category_id).where(Question.id == category_id))
    for slot in db.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id)):
        db.delete(slot)
    db.add(QuizSlot(quiz_id=quiz.id, position=1, category_id=category, random_count=3))
    db.commit()
    learner = learner_of(db, CODE, locale="en")
    start(signed_in(client, learner), CODE)
    attempt = attempt_rows(db, learner)[0]
    assert len(attempt.questions) == 3 and attempt.language == "en"
    assert len({row.question_id for row in attempt.questions}) == 3


def test_preview_hides_the_answers_until_the_trainer_submits(client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE)
    signed_in(client, trainer_of(db, CODE))
    question_id = db.scalar(select(Question.id).where(Question.title == "Choice"))
    url = f"/courses/{CODE}/questions/{question_id}/preview?seed=7"
    page = client.get(url)
    assert page.status_code == 200 and "Yes, it does" not in page.text
    # With seed 7 the form's first option is whichever answer display order put there.
    graded = client.post(url.split("?")[0], data={"csrf_token": csrf_from(page.text), "seed": "7", "q1": "0"})
    assert graded.status_code == 200
    assert "correct answer" in graded.text or "teisingas atsakymas" in graded.text


def test_an_essay_waits_for_a_trainer_and_the_grade_follows(app: FastAPI, client: TestClient, db: Session) -> None:
    make_quiz(db, code=CODE, questions_per_page=0)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    attempt = attempt_rows(db, learner)[0]
    fields: dict[str, str] = {}
    for row in attempt.questions:
        fields.update(right_answer_fields(row))
    answer_page(client, url, "all", fields, nav="summary")
    summary = client.get(f"{url}/summary").text
    client.post(f"{url}/submit", data={"csrf_token": csrf_from(summary)})
    attempt = attempt_rows(db, learner)[0]
    assert attempt.needs_grading and attempt.grade is None
    assert db.scalar(select(QuizGrade.grade).where(QuizGrade.user_id == learner.id)) is None

    trainer = _browser(app)
    signed_in(trainer, trainer_of(db, CODE))
    queue = trainer.get(f"/courses/{CODE}/quiz/grading").text
    assert f"/quiz/results/{attempt.id}#q" in queue
    essay = next(row for row in attempt.questions if row.state == "needs_grading")
    review_url = f"/courses/{CODE}/quiz/results/{attempt.id}"
    too_high = post_form(
        trainer, review_url, f"{review_url}/grade", {"position": str(essay.position), "mark": "5", "comment": "Good"}
    )
    assert too_high.status_code == 422 and 'value="5"' in too_high.text
    done = post_form(
        trainer,
        review_url,
        f"{review_url}/grade",
        {"position": str(essay.position), "mark": "0,5", "comment": "Good start"},
    )
    assert done.status_code == 303
    attempt = attempt_rows(db, learner)[0]
    assert not attempt.needs_grading and attempt.score == 6.5 and attempt.grade == pytest.approx(6.5 / 7 * 100)
    assert db.scalar(select(QuizGrade.grade).where(QuizGrade.user_id == learner.id)) == pytest.approx(6.5 / 7 * 100)
    assert f"/quiz/results/{attempt.id}#q" not in trainer.get(f"/courses/{CODE}/quiz/grading").text
    assert "Good start" in client.get(f"{url}/review").text


def test_regrading_after_a_fix_moves_attempts_to_the_new_version(app: FastAPI, client: TestClient, db: Session) -> None:
    broken = "::Key:: Which body coordinates a cluster? {=A single ministry ~The coordination group}"
    make_quiz(db, code=CODE, gift=broken, max_attempts=0)
    learner = learner_of(db, CODE)
    url = start(signed_in(client, learner), CODE)
    row = attempt_rows(db, learner)[0].questions[0]
    truly_right = row.display_order["answers"].index(1)
    answer_page(client, url, "1", {"q1": str(truly_right)}, nav="summary")
    client.post(f"{url}/submit", data={"csrf_token": csrf_from(client.get(f"{url}/summary").text)})
    assert attempt_rows(db, learner)[0].grade == 0.0

    question = db.scalar(select(Question).where(Question.title == "Key"))
    assert question is not None
    old = db.scalar(select(QuestionVersion).where(QuestionVersion.question_id == question.id))
    data = dict(old.data)
    data["answers"] = [{**data["answers"][0], "fraction": 0.0}, {**data["answers"][1], "fraction": 1.0}]
    db.add(QuestionVersion(question_id=question.id, version=2, data=data, content_hash=fingerprint(data)))
    question.current_version = 2
    db.commit()

    trainer = _browser(app)
    signed_in(trainer, trainer_of(db, CODE))
    preview = f"/courses/{CODE}/questions/{question.id}/preview"
    response = post_form(trainer, preview, f"/courses/{CODE}/questions/{question.id}/regrade", {})
    assert response.status_code == 200
    attempt = attempt_rows(db, learner)[0]
    assert attempt.grade == 100.0 and attempt.questions[0].version.version == 2
    grade = db.scalar(select(QuizGrade).where(QuizGrade.user_id == learner.id))
    assert grade is not None and grade.grade == 100.0 and grade.passed
