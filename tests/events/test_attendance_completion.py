"""Attendance toward course completion (SC9): the criterion, the trainer's marks, certificates, the course file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.core.config import Settings
from app.events.models import Attendance, EventStatus, TrainingEvent
from app.progress.completion import Criteria, LearnerFacts, Outcome, evaluate
from app.progress.models import CompletionCriteria, CompletionState
from app.progress.rules import save_criteria
from app.progress.wiring import certify
from tests.accounts.admin_setup import post, signed_in
from tests.conftest import COURSE_DIR, sync
from tests.events.attendance_setup import course_by_code, make_event, person, register
from tests.progress.completion_setup import (
    CODE,
    LESSONS,
    admin,
    certificate_of,
    completed_at,
    course,
    learner,
    lesson_times,
    standing,
    tick,
)

pytestmark = pytest.mark.usefixtures("synced")

COMPLETED, IN_PROGRESS = CompletionState.COMPLETED, CompletionState.IN_PROGRESS
ATTENDED, ABSENT, EXCUSED = Attendance.ATTENDED.value, Attendance.ABSENT.value, Attendance.EXCUSED.value


def require_lessons_and_attendance(db: Session) -> None:
    save_criteria(
        db, code=CODE, criteria=Criteria(lessons=True, quiz=False, attendance=True), by=admin(db), on_completed=certify
    )
    db.commit()


@pytest.fixture
def trainer(db: Session) -> User:
    return person(db, "Tomas Treneris", roles={Role.TRAINER})


@pytest.fixture
def event(db: Session, trainer: User) -> TrainingEvent:
    return make_event(db, courses=[course_by_code(db, CODE)], trainers=[trainer])


@pytest.fixture
def browser(app: FastAPI, db: Session, settings: Settings, trainer: User) -> TestClient:
    return signed_in(app, db, settings, trainer)


def mark(browser: TestClient, event: TrainingEvent, user_id: int, value: str) -> None:
    response = post(browser, f"/events/{event.id}/attendance", {f"attendance-{user_id}": value})
    assert response.status_code == 303, response.text


def test_attendance_is_one_unit_of_the_percentage_and_completes_the_course() -> None:
    criteria = Criteria(lessons=True, quiz=False, attendance=True)
    at = dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC)
    lessons_only = LearnerFacts(3, [at, at, at])
    assert evaluate(criteria, lessons_only) == Outcome(IN_PROGRESS, 75)
    attended_only = LearnerFacts(3, [], attended_at=at)
    assert evaluate(criteria, attended_only) == Outcome(IN_PROGRESS, 25)
    later = at + dt.timedelta(days=3)
    assert evaluate(criteria, LearnerFacts(3, [at, at, at], attended_at=later)) == Outcome(COMPLETED, 100, later)
    # Not required: attending alone is a start, but adds nothing.
    assert evaluate(Criteria(True, False), attended_only) == Outcome(IN_PROGRESS, 0)
    assert evaluate(Criteria(False, False, attendance=True), attended_only) == Outcome(COMPLETED, 100, at)


def test_being_marked_attended_completes_a_course_whose_other_criteria_are_met(
    browser: TestClient, db: Session, event: TrainingEvent
) -> None:
    require_lessons_and_attendance(db)
    user = learner(db, "Rūta Žemaitė")
    register(db, event, user)
    tick(db, user, *LESSONS)
    assert standing(db, user) == (IN_PROGRESS, 75)
    mark(browser, event, user.id, ATTENDED)
    assert standing(db, user) == (COMPLETED, 100)
    assert certificate_of(db, user) is not None
    # Achieved when the last requirement was met: the attendance (marked after the lessons were ticked).
    assert completed_at(db, user) > max(lesson_times(db, user).values())


@pytest.mark.parametrize("value", [ABSENT, EXCUSED])
def test_absent_or_excused_does_not_complete_the_course(
    browser: TestClient, db: Session, event: TrainingEvent, value: str
) -> None:
    require_lessons_and_attendance(db)
    user = learner(db, "Jonas Jonaitis")
    register(db, event, user)
    tick(db, user, *LESSONS)
    mark(browser, event, user.id, value)
    assert standing(db, user) == (IN_PROGRESS, 75)
    assert certificate_of(db, user) is None


def test_taking_back_the_attended_mark_does_not_undo_a_recorded_completion(
    browser: TestClient, db: Session, event: TrainingEvent
) -> None:
    require_lessons_and_attendance(db)
    user = learner(db, "Ona Onaitė")
    register(db, event, user)
    tick(db, user, *LESSONS)
    mark(browser, event, user.id, ATTENDED)
    done_at = completed_at(db, user)
    mark(browser, event, user.id, ABSENT)
    assert standing(db, user) == (COMPLETED, 100)
    assert completed_at(db, user) == done_at


def test_an_event_that_does_not_count_or_was_cancelled_or_is_of_another_course_does_not_complete(
    browser: TestClient, db: Session, trainer: User, event: TrainingEvent
) -> None:
    require_lessons_and_attendance(db)
    not_counting = make_event(db, courses=[course(db)], trainers=[trainer], counts_toward_completion=False)
    other_course = make_event(db, trainers=[trainer])
    user = learner(db, "Petras Petraitis")
    for each in (not_counting, other_course, event):
        register(db, each, user)
    tick(db, user, *LESSONS)
    mark(browser, not_counting, user.id, ATTENDED)
    mark(browser, other_course, user.id, ATTENDED)
    assert standing(db, user) == (IN_PROGRESS, 75)
    mark(browser, event, user.id, ATTENDED)
    event.status = EventStatus.CANCELLED.value  # cancelled after marking: recomputing later must not count it
    db.commit()
    other = learner(db, "Kitas Learneris")
    register(db, event, other, attendance=ATTENDED)
    tick(db, other, *LESSONS)
    assert standing(db, other) == (IN_PROGRESS, 75)
    assert standing(db, user) == (COMPLETED, 100)


# --- the criteria form and the course file -----------------------------------------------------------


def test_an_administrator_can_require_attendance_on_the_criteria_page(
    app: FastAPI, db: Session, settings: Settings, browser: TestClient, event: TrainingEvent
) -> None:
    user = learner(db, "Rūta Žemaitė")
    register(db, event, user)
    tick(db, user, *LESSONS)
    mark(browser, event, user.id, ATTENDED)
    administrator = signed_in(app, db, settings, person(db, "Ada Administratorė", roles={Role.ADMIN}))
    page = administrator.get(f"/admin/courses/{CODE}/completion").text
    assert "Attend a training event of this course" in page and 'name="require_attendance" checked' not in page
    response = post(administrator, f"/admin/courses/{CODE}/completion", {"require_attendance": "on"})
    assert response.status_code == 303
    db.expire_all()
    criteria = db.get(CompletionCriteria, course(db).id)
    assert criteria is not None
    assert (criteria.require_lessons, criteria.require_quiz, criteria.require_attendance) == (False, False, True)
    assert 'name="require_attendance" checked' in administrator.get(f"/admin/courses/{CODE}/completion").text
    assert standing(db, user) == (COMPLETED, 100)


def test_the_course_file_can_require_attendance(db: Session, content_root: Path) -> None:
    course_file = content_root / COURSE_DIR / "course.yaml"
    text = course_file.read_text(encoding="utf-8")
    course_file.write_text(text + "completion: {attendance: true}\n", encoding="utf-8")
    sync(db, content_root)
    db.expire_all()
    criteria = db.get(CompletionCriteria, course(db).id)
    assert criteria is not None
    # Lessons default to required, the quiz to "when there is one" (SC9 has one).
    assert (criteria.require_lessons, criteria.require_quiz, criteria.require_attendance) == (True, True, True)
    # An unchanged file keeps an administrator's later choice.
    save_criteria(db, code=CODE, criteria=Criteria(True, True, False), by=admin(db), on_completed=certify)
    db.commit()
    sync(db, content_root)
    db.expire_all()
    criteria = db.get(CompletionCriteria, course(db).id)
    assert criteria is not None and criteria.require_attendance is False
