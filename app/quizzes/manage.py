"""The trainer's side of a quiz: settings, which questions it asks, previews, manual grading and regrading."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import BadRequest, NotFound, Unprocessable
from app.core.forms import form_id
from app.core.i18n import _
from app.courses.models import Course
from app.courses.service import taught_course
from app.quizzes.attempts import (
    apply_changed_rules,
    attempt_question_model,
    grade_attempt,
    question_adapter,
    quiz_missing,
    total_attempt,
    update_quiz_grade,
)
from app.quizzes.grading import grade
from app.quizzes.interchange import Matching, MultipleChoice, Question, ShortAnswer, SingleChoice
from app.quizzes.models import (
    AttemptQuestion,
    AttemptState,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizSlot,
)
from app.quizzes.models import Question as BankQuestion
from app.quizzes.presentation import Disclosure, QuestionView, question_view
from app.quizzes.responses import display_order_for, grading_response, response_from_form
from app.quizzes.schemas import ManualGradeForm, QuizSettingsForm

SETTINGS_FIELDS = tuple(QuizSettingsForm.model_fields)


def taught_quiz(session: Session, *, code: str, user: User) -> tuple[Course, Quiz]:
    course = taught_course(session, code=code, user=user)
    quiz = session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    if quiz is None:
        raise quiz_missing()
    return course, quiz


def update_settings(session: Session, *, quiz: Quiz, form: QuizSettingsForm) -> None:
    before = (quiz.pass_mark, quiz.grading_method, quiz.max_attempts)
    for name in SETTINGS_FIELDS:
        setattr(quiz, name, getattr(form, name))
    session.flush()
    if (quiz.pass_mark, quiz.grading_method, quiz.max_attempts) != before:
        apply_changed_rules(session, quiz=quiz, grades_affected=before[:2] != (quiz.pass_mark, quiz.grading_method))


# --- question slots ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotRow:
    slot: QuizSlot
    question: BankQuestion | None
    category: QuestionCategory | None
    available: int  # for a random slot: live questions in the category


@dataclass(frozen=True)
class SlotsPage:
    course: Course
    quiz: Quiz
    rows: list[SlotRow]
    addable: list[BankQuestion]
    categories: list[tuple[QuestionCategory, int]]


def slots_page(session: Session, *, code: str, user: User) -> SlotsPage:
    course, quiz = taught_quiz(session, code=code, user=user)
    slots = list(session.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)))
    questions = {
        question.id: question
        for question in session.scalars(
            select(BankQuestion)
            .where(BankQuestion.course_id == course.id)
            .order_by(BankQuestion.language, BankQuestion.position, BankQuestion.id)
        )
    }
    live_counts = dict(
        session.execute(
            select(BankQuestion.category_id, func.count())
            .where(BankQuestion.course_id == course.id, BankQuestion.archived_at.is_(None))
            .group_by(BankQuestion.category_id)
        ).all()
    )
    categories = list(
        session.scalars(
            select(QuestionCategory).where(QuestionCategory.course_id == course.id).order_by(QuestionCategory.path)
        )
    )
    by_id = {category.id: category for category in categories}
    rows = [
        SlotRow(
            slot=slot,
            question=questions.get(slot.question_id) if slot.question_id else None,
            category=by_id.get(slot.category_id) if slot.category_id else None,
            available=live_counts.get(slot.category_id, 0) if slot.category_id else 0,
        )
        for slot in slots
    ]
    used = {slot.question_id for slot in slots}
    addable = [q for q in questions.values() if q.id not in used and q.archived_at is None]
    return SlotsPage(
        course=course, quiz=quiz, rows=rows, addable=addable,
        categories=[(category, live_counts.get(category.id, 0)) for category in categories],
    )  # fmt: skip


def _slot(session: Session, quiz: Quiz, value: str) -> QuizSlot:
    slot_id = form_id(value)
    slot = session.get(QuizSlot, slot_id) if slot_id else None
    if slot is None or slot.quiz_id != quiz.id:
        raise NotFound(_("This question is no longer in the quiz."))
    return slot


def _renumber(session: Session, quiz: Quiz, ordered: list[QuizSlot]) -> None:
    # Positions are not unique in the table, so a plain rewrite is enough.
    for position, slot in enumerate(ordered, start=1):
        slot.position = position
    session.flush()


def change_slots(session: Session, *, code: str, user: User, form: Mapping[str, str]) -> str:
    """Apply one editor action (add, add random, remove, move); returns the notice key to show."""
    course, quiz = taught_quiz(session, code=code, user=user)
    slots = list(session.scalars(select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position)))
    action = form.get("action", "")
    if action == "add":
        value = form.get("question_id", "")
        question_id = form_id(value)
        question = session.get(BankQuestion, question_id) if question_id else None
        if question is None or question.course_id != course.id or question.archived_at is not None:
            raise Unprocessable(_("Choose a question of this course's bank."), field="question_id")
        if any(slot.question_id == question.id for slot in slots):
            return "quiz-slots-saved"  # already there: adding twice changes nothing
        session.add(QuizSlot(quiz_id=quiz.id, position=len(slots) + 1, question_id=question.id))
    elif action == "add_random":
        value, count = form.get("category_id", ""), form.get("random_count", "").strip()
        category_id = form_id(value)
        category = session.get(QuestionCategory, category_id) if category_id else None
        if category is None or category.course_id != course.id:
            raise Unprocessable(_("Choose a category of this course's bank."), field="category_id")
        if not count.isdigit() or not 1 <= int(count) <= 100:
            raise Unprocessable(_("Enter a number of questions from 1 to 100."), field="random_count")
        session.add(
            QuizSlot(quiz_id=quiz.id, position=len(slots) + 1, category_id=category.id, random_count=int(count))
        )
    elif action.startswith(("remove:", "up:", "down:")):
        verb, _sep, value = action.partition(":")
        slot = _slot(session, quiz, value)
        if verb == "remove":
            session.delete(slot)
            slots.remove(slot)
        else:
            index = slots.index(slot)
            other = index - 1 if verb == "up" else index + 1
            if 0 <= other < len(slots):
                slots[index], slots[other] = slots[other], slots[index]
        _renumber(session, quiz, slots)
    else:
        raise BadRequest(_("Choose what to do with the quiz's questions."))
    session.flush()
    return "quiz-slots-saved"


# --- preview ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preview:
    course: Course
    question: BankQuestion
    model: Question
    view: QuestionView
    seed: int
    versions: list[QuestionVersion]


def _bank_question(session: Session, course: Course, question_id: int) -> BankQuestion:
    question = session.scalar(
        select(BankQuestion)
        .where(BankQuestion.id == question_id, BankQuestion.course_id == course.id)
        .options(selectinload(BankQuestion.versions))
    )
    if question is None:
        raise NotFound(_("This question does not exist in this course."))
    return question


def question_preview(
    session: Session, *, code: str, user: User, question_id: int, seed: int, form: Mapping[str, str] | None
) -> Preview:
    """Show the current version as a learner would see it; with `form`, grade the answer and show everything."""
    course = taught_course(session, code=code, user=user)
    question = _bank_question(session, course, question_id)
    version = next(version for version in question.versions if version.version == question.current_version)
    model = question_adapter.validate_python(version.data)
    # The seed travels with the form, so the graded answer is read in the order the trainer saw.
    order = display_order_for(model, random.Random(seed), shuffle=True)
    stored = response_from_form(model, order, form, prefix="q1") if form is not None else None
    disclosure = Disclosure(marks=True, correct_answers=True, feedback=True) if form is not None else Disclosure()
    outcome = (
        grade(model, grading_response(model, stored)) if form is not None and model.type != "description" else None
    )
    mark = round(outcome.fraction * model.default_mark, 7) if outcome and outcome.fraction is not None else None
    view = question_view(
        model, position=1, number=1 if model.type != "description" else None, order=order, stored=stored,
        max_mark=model.default_mark if model.type != "description" else 0.0, disclosure=disclosure, mark=mark,
    )  # fmt: skip
    return Preview(course=course, question=question, model=model, view=view, seed=seed, versions=question.versions)


# --- manual grading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueItem:
    attempt: QuizAttempt
    row: AttemptQuestion
    learner: User


def grading_queue(session: Session, *, code: str, user: User) -> tuple[Course, list[QueueItem]]:
    """Answers waiting for a trainer (essays), oldest submission first."""
    course, quiz = taught_quiz(session, code=code, user=user)
    rows = session.execute(
        select(AttemptQuestion, QuizAttempt, User)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .join(User, User.id == QuizAttempt.user_id)
        .where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.state == AttemptState.FINISHED,
            QuizAttempt.is_preview.is_(False),
            AttemptQuestion.state == "needs_grading",
            AttemptQuestion.manual_mark.is_(None),
        )
        .order_by(QuizAttempt.finished_at, AttemptQuestion.position)
    ).all()
    return course, [QueueItem(attempt=attempt, row=row, learner=learner) for row, attempt, learner in rows]


def course_attempt(
    session: Session, *, code: str, user: User, attempt_id: int
) -> tuple[Course, Quiz, QuizAttempt, User]:
    """Any attempt at the course's quiz, for its trainers; 404 for an attempt of another course."""
    course, quiz = taught_quiz(session, code=code, user=user)
    attempt = session.scalar(
        select(QuizAttempt)
        .where(QuizAttempt.id == attempt_id, QuizAttempt.quiz_id == quiz.id)
        .options(selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version))
    )
    if attempt is None:
        raise NotFound(_("This attempt does not exist."))
    learner = session.scalar(select(User).where(User.id == attempt.user_id).options(joinedload(User.organisation)))
    assert learner is not None
    return course, quiz, attempt, learner


def grade_manually(session: Session, *, quiz: Quiz, attempt: QuizAttempt, grader: User, form: ManualGradeForm) -> None:
    """Set a trainer's mark (and comment) on one answer; the attempt and the learner's quiz grade follow."""
    if attempt.state != AttemptState.FINISHED:
        raise Unprocessable(_("An attempt can be graded once it has been submitted."))
    row = next((row for row in attempt.questions if row.position == form.position), None)
    if row is None or row.max_mark <= 0:
        raise Unprocessable(_("This question cannot be graded."))
    if not 0 <= form.mark <= row.max_mark + 1e-9:
        raise Unprocessable(
            _("Enter a mark from 0 to %(max)s.", max=f"{row.max_mark:g}"), field=f"mark-{form.position}"
        )
    row.manual_mark = round(form.mark, 7)
    row.mark = row.manual_mark
    row.manual_comment = form.comment
    row.graded_by_id, row.graded_at = grader.id, utcnow()
    total_attempt(attempt)
    session.flush()
    if not attempt.is_preview:
        update_quiz_grade(session, quiz=quiz, user_id=attempt.user_id)


# --- regrading after a question is fixed ------------------------------------------------------------


@dataclass(frozen=True)
class RegradeSummary:
    regraded: int
    changed: int
    incompatible: int


def _compatible(old: Question, new: Question) -> bool:
    """A saved response still means the same with the new version (same kind, same answers to point at)."""
    if old.type != new.type:
        return False
    if isinstance(old, SingleChoice | MultipleChoice | ShortAnswer) and isinstance(
        new, SingleChoice | MultipleChoice | ShortAnswer
    ):
        return len(old.answers) == len(new.answers)
    if isinstance(old, Matching) and isinstance(new, Matching):
        return [pair.prompt for pair in old.pairs] == [pair.prompt for pair in new.pairs]
    return True


def regrade_question(session: Session, *, code: str, user: User, question_id: int) -> RegradeSummary:
    """Move finished attempts to the question's current version and grade them again, with their course grades."""
    course, quiz = taught_quiz(session, code=code, user=user)
    question = _bank_question(session, course, question_id)
    current = next(version for version in question.versions if version.version == question.current_version)
    new_model = question_adapter.validate_python(current.data)
    attempts = list(
        session.scalars(
            select(QuizAttempt)
            .where(
                QuizAttempt.quiz_id == quiz.id,
                QuizAttempt.state == AttemptState.FINISHED,
                QuizAttempt.id.in_(
                    select(AttemptQuestion.attempt_id).where(AttemptQuestion.question_id == question.id)
                ),
            )
            .options(selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version))
        )
    )
    regraded = changed = incompatible = 0
    learners: set[int] = set()
    for attempt in attempts:
        rows = [row for row in attempt.questions if row.question_id == question.id]
        if any(not _compatible(attempt_question_model(row), new_model) for row in rows):
            incompatible += 1
            continue
        before = attempt.grade
        for row in rows:
            row.version_id, row.version = current.id, current
        grade_attempt(attempt)
        regraded += 1
        changed += before != attempt.grade
        if not attempt.is_preview:
            learners.add(attempt.user_id)
    session.flush()
    for learner_id in sorted(learners):
        update_quiz_grade(session, quiz=quiz, user_id=learner_id)
    return RegradeSummary(regraded=regraded, changed=changed, incompatible=incompatible)
