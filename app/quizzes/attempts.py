"""A person's attempts at a course quiz: start or resume, save answers as given, submit once, grade, review."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import TypeAdapter
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.core.access import Role
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.events import CourseRulesChanged, LearnerProgressChanged, publish
from app.core.i18n import _
from app.courses.models import Course, CourseRole, Enrolment
from app.courses.service import course_or_404
from app.quizzes.grading import GradingMethod, grade, overall_grade
from app.quizzes.interchange import Question
from app.quizzes.models import (
    AttemptQuestion,
    AttemptState,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizGrade,
    QuizSlot,
)
from app.quizzes.models import Question as BankQuestion
from app.quizzes.presentation import Disclosure
from app.quizzes.responses import display_order_for, grading_response, response_from_form

question_adapter: TypeAdapter[Question] = TypeAdapter(Question)
ATTEMPT_LANGUAGES = ("lt", "en")


def quiz_missing() -> NotFound:
    return NotFound(_("This course has no quiz."))


def course_quiz(session: Session, *, code: str) -> tuple[Course, Quiz]:
    course = course_or_404(session, code)
    quiz = session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    if quiz is None:
        raise quiz_missing()
    return course, quiz


def _course_role(session: Session, user: User, course_id: int) -> str | None:
    return session.scalar(select(Enrolment.role).where(Enrolment.user_id == user.id, Enrolment.course_id == course_id))


def is_preview_for(session: Session, user: User, course_id: int) -> bool | None:
    """True for the course's trainers and admins (their tries are previews), False for its learners, else None."""
    role = _course_role(session, user, course_id)
    if role == CourseRole.TRAINER or Role.ADMIN in user.role_set:
        return True
    if role == CourseRole.LEARNER:
        return False
    return None


# --- availability -------------------------------------------------------------------------------


def quiz_closed_message(quiz: Quiz, now: dt.datetime) -> str | None:
    if quiz.open_at is not None and now < quiz.open_at:
        return _("This quiz is not open yet.")
    if quiz.close_at is not None and now >= quiz.close_at:
        return _("This quiz is closed.")
    return None


def attempts_left(quiz: Quiz, used: int) -> int | None:
    """None means unlimited."""
    return None if quiz.max_attempts == 0 else max(quiz.max_attempts - used, 0)


def attempt_deadline(quiz: Quiz, started_at: dt.datetime) -> dt.datetime | None:
    """The time limit from the start, cut short by the quiz's close date."""
    deadlines = []
    if quiz.time_limit_minutes:
        deadlines.append(started_at + dt.timedelta(minutes=quiz.time_limit_minutes))
    if quiz.close_at is not None:
        deadlines.append(quiz.close_at)
    return min(deadlines) if deadlines else None


def is_overdue(attempt: QuizAttempt, now: dt.datetime) -> bool:
    return attempt.state == AttemptState.IN_PROGRESS and attempt.deadline_at is not None and now >= attempt.deadline_at


# --- starting -------------------------------------------------------------------------------------


def attempt_language(available: set[str], locale: str) -> str:
    """The learner's language when the quiz has questions in it; otherwise English, then Lithuanian."""
    for candidate in (locale, "en", "lt"):
        if candidate in available:
            return candidate
    return sorted(available)[0]


def _live_questions(session: Session, quiz: Quiz) -> tuple[list[tuple[QuizSlot, list[BankQuestion]]], set[str]]:
    """Each slot with the live questions it may use, and the languages the quiz can be taken in."""
    slots = list(session.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)))
    fixed_ids = [slot.question_id for slot in slots if slot.question_id is not None]
    category_ids = [slot.category_id for slot in slots if slot.category_id is not None]
    questions = list(
        session.scalars(
            select(BankQuestion)
            .where(
                BankQuestion.archived_at.is_(None),
                BankQuestion.id.in_(fixed_ids) | BankQuestion.category_id.in_(category_ids),
            )
            .order_by(BankQuestion.position, BankQuestion.id)
        )
    )
    by_id = {question.id: question for question in questions}
    by_category: dict[int, list[BankQuestion]] = {}
    for question in questions:
        by_category.setdefault(question.category_id, []).append(question)
    pool: list[tuple[QuizSlot, list[BankQuestion]]] = []
    for slot in slots:
        if slot.question_id is not None:
            pool.append((slot, [by_id[slot.question_id]] if slot.question_id in by_id else []))
        else:
            pool.append((slot, by_category.get(slot.category_id or 0, [])))
    languages = {question.language for _slot, candidates in pool for question in candidates}
    return pool, languages & set(ATTEMPT_LANGUAGES) or languages


def _draw_questions(
    pool: list[tuple[QuizSlot, list[BankQuestion]]], *, language: str, rng: random.Random
) -> list[BankQuestion]:
    fixed = {slot.question_id for slot, _candidates in pool if slot.question_id is not None}
    chosen: list[BankQuestion] = []
    used: set[int] = set()
    for slot, candidates in pool:
        in_language = [question for question in candidates if question.language == language]
        if slot.question_id is not None:
            picked = in_language
        else:
            # A random slot never repeats a question the quiz asks anyway, nor one an earlier draw picked.
            free = [question for question in in_language if question.id not in fixed and question.id not in used]
            picked = rng.sample(free, min(slot.random_count, len(free)))
        for question in picked:
            if question.id not in used:
                used.add(question.id)
                chosen.append(question)
    return chosen


def _current_versions(session: Session, questions: list[BankQuestion]) -> dict[int, QuestionVersion]:
    wanted = [(question.id, question.current_version) for question in questions]
    if not wanted:
        return {}
    rows = session.scalars(
        select(QuestionVersion).where(
            QuestionVersion.question_id.in_([question_id for question_id, _version in wanted])
        )
    )
    current = dict(wanted)
    return {row.question_id: row for row in rows if current[row.question_id] == row.version}


def create_attempt(session: Session, *, quiz: Quiz, user: User, is_preview: bool, locale: str) -> QuizAttempt:
    """Draw, order and lay out the questions of a new attempt. Raises Conflict when there are none."""
    pool, languages = _live_questions(session, quiz)
    if not languages:
        raise Conflict(_("This quiz has no questions yet."))
    seed = secrets.randbelow(2**31 - 1)
    rng = random.Random(seed)
    language = attempt_language(languages, locale)
    questions = _draw_questions(pool, language=language, rng=rng)
    if quiz.shuffle_questions:
        rng.shuffle(questions)
    versions = _current_versions(session, questions)
    number = (
        session.scalar(
            select(func.max(QuizAttempt.number)).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)
        )
        or 0
    ) + 1
    started_at = utcnow()
    attempt = QuizAttempt(
        quiz_id=quiz.id, user_id=user.id, number=number, is_preview=is_preview, language=language, seed=seed,
        started_at=started_at, deadline_at=attempt_deadline(quiz, started_at), state=AttemptState.IN_PROGRESS,
        questions=[],
    )  # fmt: skip
    per_page = quiz.questions_per_page or len(questions) or 1
    for index, question in enumerate(questions):
        version = versions[question.id]
        model = question_adapter.validate_python(version.data)
        attempt.questions.append(
            AttemptQuestion(
                position=index + 1,
                page=index // per_page + 1,
                question_id=question.id,
                version_id=version.id,
                max_mark=model.default_mark if model.type != "description" else 0.0,
                display_order=display_order_for(model, rng, shuffle=quiz.shuffle_answers),
                response=None,
                state="unanswered",
            )  # fmt: skip
        )
    attempt.max_score = sum(row.max_mark for row in attempt.questions)
    session.add(attempt)
    session.flush()
    return attempt


def _in_progress(session: Session, quiz: Quiz, user: User) -> QuizAttempt | None:
    return session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.user_id == user.id,
            QuizAttempt.state == AttemptState.IN_PROGRESS,
        )
    )


def start_attempt(session: Session, *, code: str, user: User, locale: str) -> QuizAttempt:
    """Resume the person's open attempt, or start a new one when the rules allow it (idempotent per click)."""
    course, quiz = course_quiz(session, code=code)
    is_preview = is_preview_for(session, user, course.id)
    if is_preview is None:
        raise Forbidden(_("Enrol in the course to take its quiz."))
    now = utcnow()
    current = _in_progress(session, quiz, user)
    if current is not None:
        if not is_overdue(current, now):
            return current
        finish_attempt(session, attempt=current, quiz=quiz, automatic=True)
    if not is_preview:
        closed = quiz_closed_message(quiz, now)
        if closed:
            raise Conflict(closed)
        used = session.scalar(
            select(func.count())
            .select_from(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id, QuizAttempt.is_preview.is_(False))
        )
        if attempts_left(quiz, used or 0) == 0:
            raise Conflict(_("You have used all your attempts at this quiz."))
    try:
        # Two tabs starting at once race for the same attempt number; the loser resumes the winner's attempt.
        with session.begin_nested():
            return create_attempt(session, quiz=quiz, user=user, is_preview=is_preview, locale=locale)
    except IntegrityError:
        current = _in_progress(session, quiz, user)
        if current is None:
            raise
        return current


# --- loading --------------------------------------------------------------------------------------


def own_attempt(session: Session, *, code: str, user: User, number: int) -> tuple[Course, Quiz, QuizAttempt]:
    """The person's own attempt by its number, with its questions; an overdue one is submitted first."""
    course, quiz = course_quiz(session, code=code)
    attempt = session.scalar(
        select(QuizAttempt)
        .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id, QuizAttempt.number == number)
        .options(selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version))
    )
    if attempt is None:
        raise NotFound(_("This attempt does not exist."))
    if is_overdue(attempt, utcnow()):
        finish_attempt(session, attempt=attempt, quiz=quiz, automatic=True)
    return course, quiz, attempt


def attempt_question_model(row: AttemptQuestion) -> Question:
    return question_adapter.validate_python(row.version.data)


# --- saving ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SaveOutcome:
    saved: int
    # The attempt was already over (submitted, or its time ran out): nothing was saved.
    closed: bool = False


def page_questions(attempt: QuizAttempt, page: str) -> list[AttemptQuestion]:
    if page == "all":
        return list(attempt.questions)
    return [row for row in attempt.questions if str(row.page) == page]


def save_responses(
    session: Session, *, attempt: QuizAttempt, quiz: Quiz, page: str, form: Mapping[str, str], check: int | None = None
) -> SaveOutcome:
    """Store the answers of the questions on the posted page; with immediate feedback, grade a checked one."""
    now = utcnow()
    if attempt.state != AttemptState.IN_PROGRESS:
        return SaveOutcome(saved=0, closed=True)
    if is_overdue(attempt, now):
        finish_attempt(session, attempt=attempt, quiz=quiz, automatic=True)
        return SaveOutcome(saved=0, closed=True)
    saved = 0
    for row in page_questions(attempt, page):
        if row.checked_at is not None:
            continue  # a checked answer is final
        model = attempt_question_model(row)
        response = response_from_form(model, row.display_order, form, prefix=f"q{row.position}")
        if response != row.response:
            row.response = response
            row.saved_at = now
            row.state = "unanswered" if response is None else "answered"
            saved += 1
        if check == row.position and quiz.feedback_timing == "immediate":
            row.checked_at = now
            _grade_row(row, model)
    session.flush()
    return SaveOutcome(saved=saved)


# --- finishing and grading ------------------------------------------------------------------------


def _grade_row(row: AttemptQuestion, model: Question) -> None:
    outcome = grade(model, grading_response(model, row.response))
    row.state = outcome.state
    row.fraction = outcome.fraction
    if row.manual_mark is not None:
        row.mark = row.manual_mark
    elif outcome.fraction is not None:
        row.mark = round(outcome.fraction * row.max_mark, 7)
    else:
        row.mark = None


def total_attempt(attempt: QuizAttempt) -> None:
    """Sum the marks; an essay still waiting for a trainer leaves the grade open."""
    attempt.needs_grading = any(row.state == "needs_grading" and row.manual_mark is None for row in attempt.questions)
    attempt.max_score = sum(row.max_mark for row in attempt.questions)
    if attempt.needs_grading:
        attempt.score = attempt.grade = None
        return
    attempt.score = round(sum(row.mark or 0.0 for row in attempt.questions), 7)
    attempt.grade = round(attempt.score / attempt.max_score * 100, 5) if attempt.max_score > 0 else 100.0


def grade_attempt(attempt: QuizAttempt) -> None:
    for row in attempt.questions:
        _grade_row(row, attempt_question_model(row))
    total_attempt(attempt)


def _load_questions(session: Session, attempt: QuizAttempt) -> None:
    """Make sure the attempt's questions and the versions they show are loaded (one query each)."""
    loaded = "questions" in attempt.__dict__ and all("version" in row.__dict__ for row in attempt.questions)
    if not loaded:
        session.flush()
        session.scalars(
            select(QuizAttempt)
            .where(QuizAttempt.id == attempt.id)
            .options(selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version))
            .execution_options(populate_existing=True)
        ).one()


def finish_attempt(session: Session, *, attempt: QuizAttempt, quiz: Quiz, automatic: bool = False) -> bool:
    """Submit and grade once. False when the attempt was already submitted (double click, replay, second tab)."""
    now = utcnow()
    # Compare-and-set on the state: of two concurrent submits, exactly one updates the row.
    claimed = session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.state == AttemptState.IN_PROGRESS)
        .values(state=AttemptState.FINISHED, finished_at=now, auto_submitted=automatic)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        session.refresh(attempt)
        return False
    _load_questions(session, attempt)
    attempt.state, attempt.finished_at, attempt.auto_submitted = AttemptState.FINISHED, now, automatic
    grade_attempt(attempt)
    session.flush()
    if not attempt.is_preview:
        update_quiz_grade(session, quiz=quiz, user_id=attempt.user_id)
    return True


def update_quiz_grade(session: Session, *, quiz: Quiz, user_id: int, announce: bool = True) -> QuizGrade:
    """Recompute a learner's quiz grade from their finished attempts by the quiz's grading method.

    `announce=False` when the caller announces a change for the whole course afterwards anyway.
    """
    attempts = list(
        session.execute(
            select(QuizAttempt.grade)
            .where(
                QuizAttempt.quiz_id == quiz.id,
                QuizAttempt.user_id == user_id,
                QuizAttempt.is_preview.is_(False),
                QuizAttempt.state == AttemptState.FINISHED,
            )
            .order_by(QuizAttempt.number)
        ).scalars()
    )
    method: GradingMethod = quiz.grading_method  # type: ignore[assignment]
    overall = overall_grade(attempts, method)
    record = session.scalar(select(QuizGrade).where(QuizGrade.quiz_id == quiz.id, QuizGrade.user_id == user_id))
    if record is None:
        record = QuizGrade(quiz_id=quiz.id, user_id=user_id)
        session.add(record)
    record.grade = overall
    record.finished_attempts = len(attempts)
    record.passed = overall is not None and overall >= quiz.pass_mark - 1e-9
    record.updated_at = utcnow()
    if not record.passed:
        record.passed_at = None
    elif record.passed_at is None:
        record.passed_at = record.updated_at
    session.flush()
    if announce:
        publish(session, LearnerProgressChanged(user_id=user_id, course_id=quiz.course_id))
    return record


def apply_changed_rules(session: Session, *, quiz: Quiz, grades_affected: bool) -> None:
    """After the pass mark, grading method or attempt limit changed: grades first, then everyone's completion."""
    if grades_affected:
        learners = session.scalars(select(QuizGrade.user_id).where(QuizGrade.quiz_id == quiz.id)).all()
        for user_id in learners:
            update_quiz_grade(session, quiz=quiz, user_id=user_id, announce=False)
    publish(session, CourseRulesChanged(course_id=quiz.course_id))  # one recompute for everyone


def close_overdue_attempts(session: Session, *, now: dt.datetime | None = None) -> int:
    """Submit every attempt whose time ran out with what was saved: the sweep behind `klasteris quizzes sweep`."""
    now = now or utcnow()
    overdue = list(
        session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.state == AttemptState.IN_PROGRESS,
                QuizAttempt.deadline_at.is_not(None),
                QuizAttempt.deadline_at <= now,
            )
            .options(
                selectinload(QuizAttempt.quiz),
                selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version),
            )
        )
    )
    return sum(finish_attempt(session, attempt=attempt, quiz=attempt.quiz, automatic=True) for attempt in overdue)


# --- what a review shows ----------------------------------------------------------------------------


def _review_allowed(rule: str, quiz: Quiz, now: dt.datetime) -> bool:
    if rule == "immediately":
        return True
    if rule == "after_close":
        return quiz.close_at is not None and now >= quiz.close_at
    return False


def review_shows(quiz: Quiz, *, as_trainer: bool, now: dt.datetime | None = None) -> Disclosure:
    """What a review may show now, by the quiz's review rules; trainers see everything."""
    if as_trainer:
        return Disclosure(marks=True, correct_answers=True, feedback=True)
    now = now or utcnow()
    return Disclosure(
        marks=_review_allowed(quiz.review_marks, quiz, now),
        correct_answers=_review_allowed(quiz.review_answers, quiz, now),
        feedback=_review_allowed(quiz.review_feedback, quiz, now),
    )
