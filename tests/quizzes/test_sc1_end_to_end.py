"""The acceptance walk: the nine modules' quizzes import, and a learner passes SC1's quiz through the web pages."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.courses.content import load_content
from app.courses.importer import sync_content
from app.quizzes.content_sync import sync_course_quizzes
from app.quizzes.models import Quiz, QuizGrade, QuizSlot
from tests.factories import csrf_from
from tests.quizzes.quiz_setup import answer_page, attempt_rows, learner_of, right_answer_fields, signed_in, start

PROJECT_CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_a_learner_passes_the_sc1_quiz_end_to_end(client: TestClient, db: Session) -> None:
    bundle = load_content(PROJECT_CONTENT)
    sync_content(db, bundle)
    summary = sync_course_quizzes(db, bundle)
    db.commit()
    assert len(summary.per_course) == 9 and all(count >= 30 for count in summary.per_course.values())
    assert db.scalar(select(func.count()).select_from(Quiz)) == 9
    assert db.scalar(select(func.count()).select_from(QuizSlot)) == sum(summary.per_course.values())

    learner = learner_of(db, "SC1", full_name="Gintarė Šukienė", locale="lt")
    signed_in(client, learner)
    overview = client.get("/courses/SC1/quiz")
    assert overview.status_code == 200 and "70" in overview.text
    url = start(client, "SC1")
    attempt = attempt_rows(db, learner)[0]
    assert attempt.language == "lt" and len(attempt.questions) >= 15
    for page in sorted({row.page for row in attempt.questions}):
        fields: dict[str, str] = {}
        for row in attempt.questions:
            if row.page == page:
                fields.update(right_answer_fields(row))
        assert answer_page(client, url, str(page), fields).status_code == 303
    summary_page = client.get(f"{url}/summary")
    assert "Neatsakyta" not in summary_page.text
    submitted = client.post(f"{url}/submit", data={"csrf_token": csrf_from(summary_page.text)})
    review = client.get(submitted.headers["location"])
    assert review.status_code == 200
    attempt = attempt_rows(db, learner)[0]
    assert attempt.state == "finished" and attempt.grade is not None and attempt.grade >= 70
    grade = db.scalar(select(QuizGrade).where(QuizGrade.user_id == learner.id))
    assert grade is not None and grade.passed
