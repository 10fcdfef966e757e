"""Course completion: the evaluation rules, the real flow on SC9, rule changes by admins and trainers, re-imports."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.access import Role
from app.progress.completion import Criteria, LearnerFacts, Outcome, QuizStanding, evaluate
from app.progress.models import Certificate, CompletionCriteria, CompletionState
from tests.conftest import COURSE_DIR, sync
from tests.factories import csrf_from, log_in, make_user, post_form
from tests.progress.completion_setup import (
    CODE,
    LESSONS,
    admin,
    certificate_code,
    certificate_of,
    completed_at,
    completion_of,
    course,
    finish_attempt,
    learner,
    lesson_times,
    passed_at,
    quiz,
    quiz_grade_of,
    set_criteria,
    set_quiz_rules,
    standing,
    tick,
    tick_over_http,
)
from tests.quizzes.quiz_setup import learner_of, signed_in, trainer_of

NOT_STARTED, IN_PROGRESS = CompletionState.NOT_STARTED, CompletionState.IN_PROGRESS
COMPLETED, FAILED = CompletionState.COMPLETED, CompletionState.FAILED

# --- evaluate(): the pure rules ---------------------------------------------------------------------

BOTH, LESSONS_ONLY, QUIZ_ONLY = Criteria(True, True), Criteria(True, False), Criteria(False, True)
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def graded(grade: float | None, *, attempts: int = 1, max_attempts: int = 3, passed_at: int = 30) -> QuizStanding:
    passed = grade is not None and grade >= 70
    return QuizStanding(grade, passed, at(passed_at) if passed else None, attempts, max_attempts)


def facts(lessons: int = 0, quiz: QuizStanding | None = None, *, has_quiz: bool = True) -> LearnerFacts:
    """`lessons` of SC9's three done, one minute apart from T0."""
    return LearnerFacts(3, [at(minute) for minute in range(lessons)], quiz, has_quiz)


@pytest.mark.parametrize(
    ("criteria", "learner_facts", "expected"),
    [
        # not started: nothing done, whatever is required
        (BOTH, facts(), Outcome(NOT_STARTED, 0)),
        (LESSONS_ONLY, facts(), Outcome(NOT_STARTED, 0)),
        (QUIZ_ONLY, facts(), Outcome(NOT_STARTED, 0)),
        # in progress: the percent counts lessons and the quiz as one unit each, when required
        (BOTH, facts(2), Outcome(IN_PROGRESS, 50)),
        (BOTH, facts(2, graded(90)), Outcome(IN_PROGRESS, 75)),
        (BOTH, facts(0, graded(40)), Outcome(IN_PROGRESS, 0)),
        (BOTH, facts(0, graded(90)), Outcome(IN_PROGRESS, 25)),
        (LESSONS_ONLY, facts(2), Outcome(IN_PROGRESS, 66)),
        (LESSONS_ONLY, facts(2, graded(90)), Outcome(IN_PROGRESS, 66)),
        (LESSONS_ONLY, facts(0, graded(90)), Outcome(IN_PROGRESS, 0)),
        (QUIZ_ONLY, facts(3), Outcome(IN_PROGRESS, 0)),
        (QUIZ_ONLY, facts(1, graded(40)), Outcome(IN_PROGRESS, 0)),
        # completed: at the latest of the times that count
        (BOTH, facts(3, graded(90, passed_at=30)), Outcome(COMPLETED, 100, at(30))),
        (BOTH, facts(3, graded(90, passed_at=-10)), Outcome(COMPLETED, 100, at(2))),
        (LESSONS_ONLY, facts(3), Outcome(COMPLETED, 100, at(2))),
        (LESSONS_ONLY, facts(3, graded(90, passed_at=30)), Outcome(COMPLETED, 100, at(2))),
        (LESSONS_ONLY, facts(3, graded(40, attempts=3)), Outcome(COMPLETED, 100, at(2))),
        (QUIZ_ONLY, facts(0, graded(90, passed_at=30)), Outcome(COMPLETED, 100, at(30))),
        (QUIZ_ONLY, facts(3, graded(90, passed_at=-5)), Outcome(COMPLETED, 100, at(-5))),
        # a quiz criterion on a course without a quiz is ignored
        (BOTH, facts(3, has_quiz=False), Outcome(COMPLETED, 100, at(2))),
        (BOTH, facts(2, has_quiz=False), Outcome(IN_PROGRESS, 66)),
        # failed: quiz required, failed, graded and no attempt left
        (BOTH, facts(3, graded(40, attempts=3)), Outcome(FAILED, 75)),
        (BOTH, facts(0, graded(40, attempts=3)), Outcome(FAILED, 0)),
        (QUIZ_ONLY, facts(0, graded(40, attempts=4)), Outcome(FAILED, 0)),
        (BOTH, facts(3, graded(40, attempts=2)), Outcome(IN_PROGRESS, 75)),
        (BOTH, facts(3, graded(None, attempts=3)), Outcome(IN_PROGRESS, 75)),  # an essay waits for its mark
        (BOTH, facts(3, graded(40, attempts=9, max_attempts=0)), Outcome(IN_PROGRESS, 75)),  # unlimited
        (LESSONS_ONLY, facts(2, graded(40, attempts=3)), Outcome(IN_PROGRESS, 66)),  # the quiz does not count
    ],
)
def test_evaluate_gives_the_state_percent_and_date_for_each_criteria_combination(
    criteria: Criteria, learner_facts: LearnerFacts, expected: Outcome
) -> None:
    assert evaluate(criteria, learner_facts) == expected


# --- the real flow on SC9 ---------------------------------------------------------------------------

needs_sc9 = pytest.mark.usefixtures("synced")


def certificates_of_course(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Certificate).where(Certificate.course_id == course(db).id)) or 0


@needs_sc9
def test_lessons_then_a_passed_quiz_complete_the_course_once_at_the_pass(client: TestClient, db: Session) -> None:
    user = learner_of(db, CODE)
    signed_in(client, user)
    tick_over_http(client, LESSONS[0])
    tick_over_http(client, LESSONS[1])
    assert standing(db, user) == (IN_PROGRESS, 50)
    tick_over_http(client, LESSONS[2])
    finish_attempt(db, user, 50)
    assert standing(db, user) == (IN_PROGRESS, 75) and certificate_of(db, user) is None

    finish_attempt(db, user, 85)
    passed = passed_at(db, user)
    row, certificate = completion_of(db, user), certificate_of(db, user)
    assert row is not None and (row.state, row.percent) == (COMPLETED, 100)
    assert passed > max(lesson_times(db, user).values())
    assert row.completed_at == passed
    assert certificate is not None and certificate.completed_at == passed

    # Doing more afterwards changes neither the date nor the certificate.
    finish_attempt(db, user, 30)
    tick_over_http(client, LESSONS[0])
    row = completion_of(db, user)
    assert row is not None and (row.state, row.completed_at) == (COMPLETED, passed)
    assert certificate_code(db, user) == certificate.code
    assert certificates_of_course(db) == 1


@needs_sc9
def test_a_quiz_passed_first_completes_the_course_when_the_last_lesson_is_ticked(
    client: TestClient, db: Session
) -> None:
    user = learner_of(db, CODE)
    signed_in(client, user)
    finish_attempt(db, user, 100)
    assert standing(db, user) == (IN_PROGRESS, 25)
    for slug in LESSONS:
        tick_over_http(client, slug)
    last_lesson = lesson_times(db, user)[LESSONS[-1]]
    assert last_lesson > passed_at(db, user)
    row = completion_of(db, user)
    assert row is not None and (row.state, row.completed_at) == (COMPLETED, last_lesson)
    certificate = certificate_of(db, user)
    assert certificate is not None and certificate.completed_at == last_lesson


@needs_sc9
def test_a_completion_survives_a_grading_method_that_no_longer_passes_the_learner(db: Session) -> None:
    user = learner(db)
    tick(db, user, *LESSONS)
    finish_attempt(db, user, 90)
    achieved, code = completed_at(db, user), certificate_code(db, user)
    finish_attempt(db, user, 20)
    set_quiz_rules(db, grading_method="last")
    assert not quiz_grade_of(db, user).passed
    row = completion_of(db, user)
    assert row is not None and (row.state, row.completed_at) == (COMPLETED, achieved)
    assert certificate_code(db, user) == code


@needs_sc9
def test_the_last_attempt_awaiting_a_mark_does_not_fail_the_learner(db: Session) -> None:
    user = learner(db)
    tick(db, user, *LESSONS)
    finish_attempt(db, user, 40)
    finish_attempt(db, user, 30)
    finish_attempt(db, user, None)  # the third and last attempt holds an essay the trainer has not marked
    assert quiz_grade_of(db, user).finished_attempts == 3
    assert standing(db, user) == (IN_PROGRESS, 75)


# --- administrators change the criteria -------------------------------------------------------------

CRITERIA_URL = f"/admin/courses/{CODE}/completion"


def save_criteria_form(client: TestClient, **boxes: str) -> Response:
    page = client.get(CRITERIA_URL)
    assert page.status_code == 200, page.text
    return client.post(CRITERIA_URL, data={"csrf_token": csrf_from(page.text), **boxes})


@needs_sc9
def test_an_admin_changing_the_criteria_recomputes_every_learner_at_once(client: TestClient, db: Session) -> None:
    lessons_done, quiz_passed, nothing_yet = learner(db), learner(db), learner(db)
    tick(db, lessons_done, *LESSONS)
    finish_attempt(db, quiz_passed, 95)
    assert (standing(db, lessons_done), standing(db, quiz_passed)) == ((IN_PROGRESS, 75), (IN_PROGRESS, 25))
    log_in(client, make_user(db, roles={Role.ADMIN}).email)
    page = client.get(CRITERIA_URL).text
    assert 'name="require_lessons" checked' in page and 'name="require_quiz" checked' in page

    response = save_criteria_form(client, require_lessons="on")
    assert response.status_code == 303
    row = completion_of(db, lessons_done)
    assert row is not None and (row.state, row.completed_at) == (COMPLETED, lesson_times(db, lessons_done)[LESSONS[-1]])
    assert certificate_of(db, lessons_done) is not None
    assert standing(db, quiz_passed) == (IN_PROGRESS, 0)
    assert standing(db, nothing_yet) is None

    assert save_criteria_form(client, require_quiz="on").status_code == 303
    assert standing(db, quiz_passed) == (COMPLETED, 100)
    assert completed_at(db, quiz_passed) == passed_at(db, quiz_passed)
    assert completed_at(db, lessons_done) == row.completed_at
    assert 'name="require_lessons" checked' not in client.get(CRITERIA_URL).text


@needs_sc9
def test_saving_the_criteria_with_no_box_ticked_shows_the_form_again_and_changes_nothing(
    client: TestClient, db: Session
) -> None:
    user = learner(db)
    tick(db, user, *LESSONS)
    log_in(client, make_user(db, roles={Role.ADMIN}).email)
    response = save_criteria_form(client)
    assert response.status_code == 422
    html = response.text
    assert f'action="{CRITERIA_URL}"' in html and 'id="error-require_lessons"' in html
    db.expire_all()
    criteria = db.get(CompletionCriteria, course(db).id)
    assert criteria is not None and criteria.updated_by_id is None
    assert (criteria.require_lessons, criteria.require_quiz) == (True, True)
    assert standing(db, user) == (IN_PROGRESS, 75)


# --- trainers change the quiz rules -----------------------------------------------------------------


def quiz_settings_form(db: Session, **changes: str) -> dict[str, str]:
    current = quiz(db)
    form = {
        "pass_mark": f"{current.pass_mark:g}", "max_attempts": str(current.max_attempts),
        "time_limit_minutes": str(current.time_limit_minutes or ""), "grading_method": current.grading_method,
        "questions_per_page": str(current.questions_per_page), "feedback_timing": current.feedback_timing,
        "review_marks": current.review_marks, "review_answers": current.review_answers,
        "review_feedback": current.review_feedback, "open_at": "", "close_at": "",
    }  # fmt: skip
    return form | changes


@needs_sc9
def test_more_attempts_from_the_trainer_bring_a_failed_learner_back_in_progress(
    client: TestClient, db: Session
) -> None:
    failed, passing = learner(db), learner(db)
    tick(db, failed, *LESSONS)
    for grade in (40, 50, 60):
        finish_attempt(db, failed, grade)
    finish_attempt(db, passing, 40)
    assert (standing(db, failed), standing(db, passing)) == ((FAILED, 75), (IN_PROGRESS, 0))

    signed_in(client, trainer_of(db, CODE))
    url = f"/courses/{CODE}/quiz/settings"
    assert post_form(client, url, url, quiz_settings_form(db, max_attempts="5")).status_code == 303
    assert standing(db, failed) == (IN_PROGRESS, 75)
    set_quiz_rules(db, max_attempts=2)
    assert standing(db, failed) == (FAILED, 75)
    set_quiz_rules(db, max_attempts=0)
    assert standing(db, failed) == (IN_PROGRESS, 75)
    assert standing(db, passing) == (IN_PROGRESS, 0)


@needs_sc9
def test_a_lower_pass_mark_completes_learners_whose_grade_now_passes(client: TestClient, db: Session) -> None:
    user = learner(db)
    tick(db, user, *LESSONS)
    finish_attempt(db, user, 60)
    assert standing(db, user) == (IN_PROGRESS, 75)
    signed_in(client, trainer_of(db, CODE))
    url = f"/courses/{CODE}/quiz/settings"
    assert post_form(client, url, url, quiz_settings_form(db, pass_mark="55")).status_code == 303
    row = completion_of(db, user)
    assert row is not None and row.state == COMPLETED
    assert row.completed_at == passed_at(db, user)
    assert certificate_of(db, user) is not None


# --- re-imports -------------------------------------------------------------------------------------


def course_file(root: Path) -> Path:
    return root / COURSE_DIR / "course.yaml"


def edit_course_file(root: Path, old: str, new: str) -> None:
    path = course_file(root)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def add_lesson(root: Path, slug: str) -> None:
    """A fourth lesson: the first lesson's texts under a new slug, listed in the last section."""
    folder = root / COURSE_DIR
    for locale in ("lt", "en"):
        shutil.copy(folder / f"01-first-steps.{locale}.md", folder / f"04-{slug}.{locale}.md")
    edit_course_file(root, "lessons: [english-only]", f"lessons: [english-only, {slug}]")


def remove_english_only(root: Path) -> None:
    (root / COURSE_DIR / "03-english-only.en.md").unlink()
    edit_course_file(root, '  - slug: more\n    title: {lt: "Daugiau", en: "More"}\n    lessons: [english-only]\n', "")


@needs_sc9
def test_a_new_lesson_lowers_the_percent_of_unfinished_learners_but_not_a_completion(
    db: Session, content_root: Path
) -> None:
    finished, two_lessons, lessons_only = learner(db), learner(db), learner(db)
    tick(db, finished, *LESSONS)
    finish_attempt(db, finished, 80)
    tick(db, two_lessons, *LESSONS[:2])
    tick(db, lessons_only, *LESSONS)
    assert (standing(db, two_lessons), standing(db, lessons_only)) == ((IN_PROGRESS, 50), (IN_PROGRESS, 75))
    achieved, code = completed_at(db, finished), certificate_code(db, finished)

    add_lesson(content_root, "new-lesson")
    sync(db, content_root)
    row = completion_of(db, finished)
    assert row is not None and (row.state, row.percent, row.completed_at) == (COMPLETED, 100, achieved)
    assert certificate_code(db, finished) == code
    assert standing(db, two_lessons) == (IN_PROGRESS, 40)
    assert standing(db, lessons_only) == (IN_PROGRESS, 60)


@needs_sc9
def test_archiving_the_one_lesson_a_learner_missed_completes_them(db: Session, content_root: Path) -> None:
    missed_one, finished = learner(db), learner(db)
    tick(db, missed_one, *LESSONS[:2])
    finish_attempt(db, missed_one, 90)
    tick(db, finished, *LESSONS)
    finish_attempt(db, finished, 75)
    assert standing(db, missed_one) == (IN_PROGRESS, 75)
    finished_at = completed_at(db, finished)

    remove_english_only(content_root)
    summary = sync(db, content_root)
    assert summary.archived.get("lessons") == 1
    row = completion_of(db, missed_one)
    assert row is not None and (row.state, row.percent) == (COMPLETED, 100)
    times = lesson_times(db, missed_one)
    assert row.completed_at == max(times[LESSONS[0]], times[LESSONS[1]], passed_at(db, missed_one))
    assert certificate_of(db, missed_one) is not None
    assert completed_at(db, finished) == finished_at


@needs_sc9
def test_a_changed_completion_rule_in_the_file_overrides_an_admin_edit_but_an_unchanged_one_does_not(
    db: Session, content_root: Path
) -> None:
    quiz_only_learner = learner(db)
    finish_attempt(db, quiz_only_learner, 90)
    set_criteria(db, admin(db), lessons=True, quiz=False)
    sync(db, content_root)  # the same files
    edit_course_file(content_root, "hours: 2", "hours: 3")  # the file changed, its completion rules did not
    sync(db, content_root)
    db.expire_all()
    criteria = db.get(CompletionCriteria, course(db).id)
    assert criteria is not None and (criteria.require_lessons, criteria.require_quiz) == (True, False)
    assert criteria.updated_by_id is not None
    assert standing(db, quiz_only_learner) == (IN_PROGRESS, 0)

    edit_course_file(content_root, "quiz: {pass_mark", "completion: {lessons: false, quiz: true}\nquiz: {pass_mark")
    sync(db, content_root)
    db.expire_all()
    criteria = db.get(CompletionCriteria, course(db).id)
    assert criteria is not None and (criteria.require_lessons, criteria.require_quiz) == (False, True)
    assert criteria.updated_by_id is None
    assert standing(db, quiz_only_learner) == (COMPLETED, 100)
