"""Read models behind the learner's quiz pages: the quiz overview, an attempt page, its summary and review."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.db import utcnow
from app.core.i18n import _
from app.courses.models import Course
from app.quizzes.attempts import (
    attempt_question_model,
    attempts_left,
    course_quiz,
    finish_attempt,
    is_overdue,
    is_preview_for,
    quiz_closed_message,
    review_shows,
)
from app.quizzes.models import AttemptState, Quiz, QuizAttempt, QuizGrade
from app.quizzes.presentation import HIDDEN, Disclosure, QuestionView, question_view


@dataclass(frozen=True)
class QuizOverview:
    course: Course
    quiz: Quiz
    attempts: list[QuizAttempt]
    quiz_grade: QuizGrade | None
    is_preview: bool | None  # None: not enrolled
    in_progress: QuizAttempt | None
    blocked_reason: str | None
    attempts_left: int | None
    shows_marks: bool

    @property
    def can_start(self) -> bool:
        return self.in_progress is None and self.blocked_reason is None and self.is_preview is not None


def quiz_overview(session: Session, *, code: str, user: User) -> QuizOverview:
    """The quiz page of one person: rules, their attempts and grade, and whether they may start."""
    course, quiz = course_quiz(session, code=code)
    is_preview = is_preview_for(session, user, course.id)
    attempts = list(
        session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)
            .order_by(QuizAttempt.number)
        )
    )
    now = utcnow()
    for attempt in attempts:
        if is_overdue(attempt, now):
            # Submitted here too, so the table shows its grade rather than "in progress".
            finish_attempt(session, attempt=attempt, quiz=quiz, automatic=True)
    in_progress = next((a for a in attempts if a.state == AttemptState.IN_PROGRESS), None)
    used = sum(1 for attempt in attempts if not attempt.is_preview)
    left = None if is_preview else attempts_left(quiz, used)
    blocked: str | None = None
    if is_preview is None:
        blocked = _("Enrol in the course to take its quiz.")
    elif not is_preview:
        blocked = quiz_closed_message(quiz, now) or (
            _("You have used all your attempts at this quiz.") if left == 0 else None
        )
    quiz_grade = session.scalar(select(QuizGrade).where(QuizGrade.quiz_id == quiz.id, QuizGrade.user_id == user.id))
    return QuizOverview(
        course=course, quiz=quiz, attempts=attempts, quiz_grade=quiz_grade, is_preview=is_preview,
        in_progress=in_progress, blocked_reason=blocked, attempts_left=left,
        shows_marks=review_shows(quiz, as_trainer=bool(is_preview)).marks,
    )  # fmt: skip


@dataclass(frozen=True)
class NavItem:
    position: int
    number: int | None  # None for text-only descriptions
    page: int
    answered: bool


def _numbers(attempt: QuizAttempt) -> dict[int, int | None]:
    """Question numbers by position; descriptions have none and do not count."""
    numbers: dict[int, int | None] = {}
    number = 0
    for row in attempt.questions:
        if row.version.data["type"] == "description":
            numbers[row.position] = None
        else:
            number += 1
            numbers[row.position] = number
    return numbers


@dataclass(frozen=True)
class AttemptPage:
    course: Course
    quiz: Quiz
    attempt: QuizAttempt
    page: str  # a page number, or "all"
    page_count: int
    questions: list[QuestionView]  # the questions on this page
    navigation: list[NavItem]  # every question, for the navigation panel and the summary
    seconds_left: int | None

    @property
    def page_number(self) -> int | None:
        return None if self.page == "all" else int(self.page)

    @property
    def is_last_page(self) -> bool:
        return self.page == "all" or int(self.page) >= self.page_count


def question_views(
    attempt: QuizAttempt, quiz: Quiz, *, disclosure: Disclosure, immediate: bool, page: str = "all"
) -> list[QuestionView]:
    """Views of the questions on `page` ("all": every one); only these have their texts rendered."""
    numbers = _numbers(attempt)
    views: list[QuestionView] = []
    for row in attempt.questions:
        if page != "all" and str(row.page) != page:
            continue
        # With immediate feedback a checked answer shows its grading before the attempt is submitted.
        row_disclosure = disclosure
        if immediate and row.checked_at is not None and disclosure is HIDDEN:
            row_disclosure = Disclosure(
                marks=True, correct_answers=quiz.review_answers != "never", feedback=quiz.review_feedback != "never"
            )
        views.append(
            question_view(
                attempt_question_model(row),
                position=row.position,
                number=numbers[row.position],
                order=row.display_order,
                stored=row.response,
                max_mark=row.max_mark,
                disclosure=row_disclosure,
                locked=row.checked_at is not None,
                mark=row.mark,
                state=row.state,
                comment=row.manual_comment,
            )  # fmt: skip
        )
    return views


def attempt_page(
    course: Course, quiz: Quiz, attempt: QuizAttempt, *, page: str, with_questions: bool = True
) -> AttemptPage:
    """One page of an attempt (or "all"); the summary page needs only the navigation (with_questions=False)."""
    page_count = max((row.page for row in attempt.questions), default=1)
    if page != "all" and (not page.isdigit() or not 1 <= int(page) <= page_count):
        page = "1"
    numbers = _numbers(attempt)
    navigation = [
        NavItem(position=row.position, number=numbers[row.position], page=row.page, answered=row.response is not None)
        for row in attempt.questions
    ]
    questions = (
        question_views(attempt, quiz, disclosure=HIDDEN, immediate=quiz.feedback_timing == "immediate", page=page)
        if with_questions
        else []
    )
    seconds_left = None
    if attempt.deadline_at is not None:
        seconds_left = max(int((attempt.deadline_at - utcnow()).total_seconds()), 0)
    return AttemptPage(
        course=course, quiz=quiz, attempt=attempt, page=page, page_count=page_count, questions=questions,
        navigation=navigation, seconds_left=seconds_left,
    )  # fmt: skip


def page_of(attempt: QuizAttempt, position: int) -> int:
    return next((row.page for row in attempt.questions if row.position == position), 1)


@dataclass(frozen=True)
class AttemptReview:
    course: Course
    quiz: Quiz
    attempt: QuizAttempt
    questions: list[QuestionView]
    shows_marks: bool
    learner: User | None = None
    duration: dt.timedelta | None = None


def attempt_review(
    course: Course, quiz: Quiz, attempt: QuizAttempt, *, as_trainer: bool, learner: User | None = None
) -> AttemptReview:
    disclosure = review_shows(quiz, as_trainer=as_trainer or attempt.is_preview)
    duration = attempt.finished_at - attempt.started_at if attempt.finished_at else None
    return AttemptReview(
        course=course, quiz=quiz, attempt=attempt, shows_marks=disclosure.marks, learner=learner, duration=duration,
        questions=question_views(attempt, quiz, disclosure=disclosure, immediate=False),
    )  # fmt: skip
