"""Quiz attempt rows for the results tests, written straight to the tables with chosen marks and responses."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.accounts.service import create_user
from app.core.access import Role
from app.core.db import utcnow
from app.courses.models import Course, CourseRole, Enrolment
from app.quizzes.attempts import update_quiz_grade
from app.quizzes.bank import import_into_bank
from app.quizzes.gift import read_gift
from app.quizzes.models import AttemptQuestion, AttemptState, QuestionVersion, Quiz, QuizAttempt
from app.quizzes.models import Question as BankQuestion

_serial = itertools.count(1)


@dataclass(frozen=True)
class BankEntry:
    """A bank question with the version attempts will show."""

    question: BankQuestion
    version: QuestionVersion

    @property
    def max_mark(self) -> float:
        return 0.0 if self.version.data["type"] == "description" else float(self.version.data.get("default_mark", 1.0))


def course_id(db: Session, code: str) -> int:
    found = db.scalar(select(Course.id).where(Course.code == code))
    assert found is not None, f"course {code} is not imported"
    return found


def course_quiz(db: Session, code: str, **settings: object) -> Quiz:
    """The course's quiz, created when content sync has not made one; `settings` are applied to it."""
    quiz = db.scalar(select(Quiz).where(Quiz.course_id == course_id(db, code)))
    if quiz is None:
        quiz = Quiz(course_id=course_id(db, code))
        db.add(quiz)
    for name, value in settings.items():
        setattr(quiz, name, value)
    db.commit()
    return quiz


def bank_entries(db: Session, code: str, *, titles: Sequence[str] | None = None) -> list[BankEntry]:
    """The course's live bank questions at their current version, in bank order (or in the order of `titles`)."""
    rows = db.execute(
        select(BankQuestion, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.question_id == BankQuestion.id)
        .where(
            BankQuestion.course_id == course_id(db, code),
            BankQuestion.archived_at.is_(None),
            QuestionVersion.version == BankQuestion.current_version,
        )
        .order_by(BankQuestion.language, BankQuestion.position, BankQuestion.id)
    ).all()
    entries = [BankEntry(question, version) for question, version in rows]
    if titles is None:
        return entries
    by_title = {entry.question.title: entry for entry in entries}
    return [by_title[title] for title in titles]


def add_gift_questions(db: Session, code: str, gift: str, *, language: str = "en") -> list[BankEntry]:
    """Import GIFT questions into the course's bank; the new entries, in file order."""
    before = {entry.question.id for entry in bank_entries(db, code)}
    report = read_gift(gift)
    assert not [issue for issue in report.issues if issue.skipped], report.issues
    import_into_bank(db, course_code=code, report=report, language=language)
    db.commit()
    return [entry for entry in bank_entries(db, code) if entry.question.id not in before]


def new_version(db: Session, entry: BankEntry, data: dict[str, Any]) -> BankEntry:
    """Save an edited version of a bank question and make it current."""
    version = QuestionVersion(
        question_id=entry.question.id, version=entry.question.current_version + 1, data=data,
        content_hash=f"edited-{next(_serial)}",
    )  # fmt: skip
    db.add(version)
    entry.question.current_version = version.version
    db.commit()
    return BankEntry(entry.question, version)


def learner(db: Session, code: str, *, full_name: str, organisation: Organisation | None = None) -> User:
    """An enrolled learner without a password (no hashing cost: these accounts never sign in)."""
    if organisation is None:
        organisation = db.scalar(select(Organisation).order_by(Organisation.id))
    user = create_user(
        db, email=f"results-learner-{next(_serial)}@example.lt", full_name=full_name, roles={Role.LEARNER},
        organisation_id=organisation.id if organisation else None,
    )  # fmt: skip
    db.add(Enrolment(user_id=user.id, course_id=course_id(db, code), role=CourseRole.LEARNER))
    db.commit()
    return user


def _state(mark: float | None, max_mark: float, is_description: bool, response: Any) -> str:
    if is_description:
        return "not_graded"
    if mark is None:
        return "needs_grading"
    if response is None and mark == 0:
        return "unanswered"
    return "correct" if mark >= max_mark else "partial" if mark > 0 else "incorrect"


def attempt(
    db: Session,
    *,
    quiz: Quiz,
    user: User,
    entries: Sequence[BankEntry],
    marks: Sequence[float | None],
    responses: Sequence[Any] | None = None,
    is_preview: bool = False,
    in_progress: bool = False,
    auto_submitted: bool = False,
    started_at: dt.datetime | None = None,
    duration: dt.timedelta = dt.timedelta(minutes=12, seconds=5),
    update_grade: bool = True,
) -> QuizAttempt:
    """An attempt at `entries` with the given marks (None: an essay waiting for a trainer), finished by default."""
    assert len(marks) == len(entries)
    responses = list(responses) if responses is not None else [None] * len(entries)
    number = (
        db.scalar(
            select(func.max(QuizAttempt.number)).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)
        )
        or 0
    ) + 1
    started = started_at or utcnow() - dt.timedelta(hours=1)
    row = QuizAttempt(
        quiz_id=quiz.id, user_id=user.id, number=number, is_preview=is_preview, language="en", seed=1,
        started_at=started, state=AttemptState.IN_PROGRESS if in_progress else AttemptState.FINISHED,
        finished_at=None if in_progress else started + duration, auto_submitted=auto_submitted, questions=[],
    )  # fmt: skip
    for position, (entry, mark, response) in enumerate(zip(entries, marks, responses, strict=True), start=1):
        is_description = entry.version.data["type"] == "description"
        row.questions.append(
            AttemptQuestion(
                position=position,
                page=1,
                question_id=entry.question.id,
                version_id=entry.version.id,
                max_mark=entry.max_mark,
                display_order={},
                response=response,
                state="unanswered" if in_progress else _state(mark, entry.max_mark, is_description, response),
                fraction=None if mark is None or is_description or not entry.max_mark else mark / entry.max_mark,
                mark=None if is_description else mark,
            )  # fmt: skip
        )
    row.max_score = sum(entry.max_mark for entry in entries)
    graded = [mark for mark, entry in zip(marks, entries, strict=True) if entry.version.data["type"] != "description"]
    row.needs_grading = not in_progress and any(mark is None for mark in graded)
    if not in_progress and not row.needs_grading:
        row.score = sum(mark or 0.0 for mark in graded)
        row.grade = row.score / row.max_score * 100 if row.max_score else 100.0
    db.add(row)
    db.flush()
    if update_grade and not is_preview:
        update_quiz_grade(db, quiz=quiz, user_id=user.id)
    db.commit()
    return row
