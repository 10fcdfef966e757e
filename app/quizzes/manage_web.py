"""The trainer's quiz pages: settings, question slots, question preview and regrade, grading of answers."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.models import User
from app.core.access import TRAINER
from app.core.deps import FormData, SessionDep
from app.core.errors import BadRequest, DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from, form_id, parse_form
from app.core.i18n import DISPLAY_TIMEZONE, _
from app.core.notices import with_notice
from app.core.templating import render
from app.quizzes import manage, pages
from app.quizzes.schemas import ManualGradeForm, QuizSettingsForm
from app.quizzes.web import grading_method_labels

router = APIRouter()

TrainerUser = Annotated[User, Depends(TRAINER)]
ObjectId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def review_rule_labels() -> dict[str, str]:
    return {
        "immediately": _("Right after the attempt"),
        "after_close": _("After the quiz closes"),
        "never": _("Never"),
    }


def _local_input(value: dt.datetime | None) -> str:
    return value.astimezone(ZoneInfo(DISPLAY_TIMEZONE)).strftime("%Y-%m-%dT%H:%M") if value else ""


def _settings_page(request: Request, course, quiz, values: dict[str, str], errors: dict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    return render(
        request,
        "quizzes/settings.html",
        {
            "course": course,
            "quiz": quiz,
            "values": values,
            "errors": errors,
            "grading_methods": grading_method_labels(),
            "review_rules": review_rule_labels(),
        },  # fmt: skip
        status_code=status,
    )


@router.get("/courses/{code}/quiz/settings", name="quiz_settings")
def settings_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    course, quiz = manage.taught_quiz(session, code=code, user=user)
    values = {name: getattr(quiz, name) for name in manage.SETTINGS_FIELDS}
    values |= {"open_at": _local_input(quiz.open_at), "close_at": _local_input(quiz.close_at)}
    values["time_limit_minutes"] = quiz.time_limit_minutes or ""
    values["pass_mark"] = f"{quiz.pass_mark:g}"
    return _settings_page(request, course, quiz, values, {})


@router.post("/courses/{code}/quiz/settings", name="quiz_settings_save")
def settings_save(request: Request, code: str, session: SessionDep, user: TrainerUser, form: FormData) -> Response:
    course, quiz = manage.taught_quiz(session, code=code, user=user)
    try:
        data = parse_form(QuizSettingsForm, form)
    except FormInvalid as invalid:
        return _settings_page(request, course, quiz, form, invalid.errors, status=422)
    manage.update_settings(session, quiz=quiz, form=data)
    return RedirectResponse(with_notice(f"/courses/{code}/quiz/settings", "quiz-settings-saved"), status_code=303)


def _slots_page(request: Request, code: str, session, user, errors: dict[str, str], status: int = 200):  # type: ignore[no-untyped-def]
    view = manage.slots_page(session, code=code, user=user)
    question_options = [(question.id, f"[{question.language.upper()}] {question.title}") for question in view.addable]
    category_options = [
        (category.id, f"{category.path or _('Top')} ({count})") for category, count in view.categories if count
    ]
    return render(
        request,
        "quizzes/slots.html",
        {"view": view, "errors": errors, "question_options": question_options, "category_options": category_options},
        status_code=status,
    )


@router.get("/courses/{code}/quiz/questions", name="quiz_slots")
def slots_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    return _slots_page(request, code, session, user, {})


@router.post("/courses/{code}/quiz/questions", name="quiz_slots_change")
def slots_change(request: Request, code: str, session: SessionDep, user: TrainerUser, form: FormData) -> Response:
    try:
        notice = manage.change_slots(session, code=code, user=user, form=form)
    except DomainError as error:
        if error.status_code == 404 or error.field is None:
            raise
        return _slots_page(request, code, session, user, errors_from(error), status=error.status_code)
    return RedirectResponse(with_notice(f"/courses/{code}/quiz/questions", notice), status_code=303)


def _seed(value: str | None) -> int:
    return int(value) if value and value.isdigit() and len(value) < 10 else secrets.randbelow(2**31 - 1)


@router.get("/courses/{code}/questions/{question_id}/preview", name="question_preview")
def preview_page(
    request: Request, code: str, question_id: ObjectId, session: SessionDep, user: TrainerUser
) -> Response:
    preview = manage.question_preview(
        session, code=code, user=user, question_id=question_id, seed=_seed(request.query_params.get("seed")), form=None
    )
    return render(request, "quizzes/preview.html", {"view": preview, "graded": False})


@router.post("/courses/{code}/questions/{question_id}/preview", name="question_preview_check")
def preview_check(
    request: Request, code: str, question_id: ObjectId, session: SessionDep, user: TrainerUser, form: FormData
) -> Response:
    preview = manage.question_preview(
        session, code=code, user=user, question_id=question_id, seed=_seed(form.get("seed")), form=form
    )
    return render(request, "quizzes/preview.html", {"view": preview, "graded": True})


@router.post("/courses/{code}/questions/{question_id}/regrade", name="question_regrade")
def regrade(request: Request, code: str, question_id: ObjectId, session: SessionDep, user: TrainerUser) -> Response:
    summary = manage.regrade_question(session, code=code, user=user, question_id=question_id)
    return render(request, "quizzes/regraded.html", {"summary": summary, "code": code, "question_id": question_id})


@router.get("/courses/{code}/quiz/grading", name="quiz_grading")
def grading_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    course, queue = manage.grading_queue(session, code=code, user=user)
    return render(request, "quizzes/grading.html", {"course": course, "queue": queue})


def _trainer_review(request: Request, session, code: str, user, attempt_id: int, values, errors, status=200):  # type: ignore[no-untyped-def]
    course, quiz, attempt, learner = manage.course_attempt(session, code=code, user=user, attempt_id=attempt_id)
    review = pages.attempt_review(course, quiz, attempt, as_trainer=True, learner=learner)
    return render(
        request,
        "quizzes/review.html",
        {"view": review, "trainer_view": True, "grading_values": values, "grading_errors": errors},
        status_code=status,
    )


@router.get("/courses/{code}/quiz/results/{attempt_id}", name="quiz_attempt_trainer_review")
def trainer_review(
    request: Request, code: str, attempt_id: ObjectId, session: SessionDep, user: TrainerUser
) -> Response:
    return _trainer_review(request, session, code, user, attempt_id, {}, {})


@router.post("/courses/{code}/quiz/results/{attempt_id}/grade", name="quiz_attempt_grade")
def grade_answer(
    request: Request, code: str, attempt_id: ObjectId, session: SessionDep, user: TrainerUser, form: FormData
) -> Response:
    _course, quiz, attempt, _learner = manage.course_attempt(session, code=code, user=user, attempt_id=attempt_id)
    position = form_id(form.get("position")) or 0
    if not any(row.position == position and row.max_mark > 0 for row in attempt.questions):
        # The position is a hidden field of the page, not something a person typed.
        raise BadRequest(_("This question cannot be graded."))
    try:
        data = parse_form(ManualGradeForm, form)
        manage.grade_manually(session, quiz=quiz, attempt=attempt, grader=user, form=data)
    except FormInvalid as invalid:
        message = next(iter(invalid.errors.values()))
        return _trainer_review(request, session, code, user, attempt_id, {position: form}, {position: message}, 422)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _trainer_review(
            request, session, code, user, attempt_id, {position: form}, {position: error.message}, 422
        )
    address = with_notice(f"/courses/{code}/quiz/results/{attempt_id}", "answer-graded")
    return RedirectResponse(f"{address}#q{position}", status_code=303)
