"""A learner's quiz pages: overview, start or continue, answer page by page, summary, submit and review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.accounts.models import User
from app.core.access import SIGNED_IN
from app.core.deps import FormData, SessionDep
from app.core.forms import MAX_DB_ID, form_id
from app.core.i18n import _, get_locale
from app.core.notices import with_notice
from app.core.templating import render
from app.quizzes import attempts, pages
from app.quizzes.models import AttemptState

router = APIRouter()

CurrentUser = Annotated[User, Depends(SIGNED_IN)]
AttemptNumber = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def grading_method_labels() -> dict[str, str]:
    return {
        "highest": _("Highest grade"),
        "average": _("Average grade"),
        "first": _("First attempt"),
        "last": _("Last attempt"),
    }


def _attempt_url(code: str, number: int, suffix: str = "") -> str:
    return f"/courses/{code}/quiz/attempts/{number}{suffix}"


@router.get("/courses/{code}/quiz", name="quiz")
def quiz_page(request: Request, code: str, session: SessionDep, user: CurrentUser) -> Response:
    overview = pages.quiz_overview(session, code=code, user=user)
    return render(request, "quizzes/overview.html", {"view": overview, "grading_methods": grading_method_labels()})


@router.post("/courses/{code}/quiz/start", name="quiz_start")
def start(code: str, session: SessionDep, user: CurrentUser) -> Response:
    attempt = attempts.start_attempt(session, code=code, user=user, locale=get_locale())
    return RedirectResponse(_attempt_url(code, attempt.number), status_code=303)


@router.get("/courses/{code}/quiz/attempts/{number}", name="quiz_attempt")
def attempt_page(
    request: Request, code: str, number: AttemptNumber, session: SessionDep, user: CurrentUser
) -> Response:
    course, quiz, attempt = attempts.own_attempt(session, code=code, user=user, number=number)
    if attempt.state != AttemptState.IN_PROGRESS:
        return RedirectResponse(_attempt_url(code, number, "/review"), status_code=303)
    page = pages.attempt_page(course, quiz, attempt, page=request.query_params.get("page", "1"))
    return render(request, "quizzes/attempt.html", {"view": page})


def _next_address(code: str, number: int, form: dict[str, str], current: str, check: int | None, page_of: int) -> str:
    """Where the navigation button that was pressed leads; answers are saved whichever it was."""
    target = form.get("nav", "")
    if check is not None:
        return _attempt_url(code, number, f"?page={'all' if current == 'all' else page_of}#q{check}")
    if target == "summary":
        return _attempt_url(code, number, "/summary")
    if target == "all" or (target.startswith("page-") and target[5:].isdigit()):
        return _attempt_url(code, number, f"?page={target.removeprefix('page-')}")
    step = {"next": 1, "previous": -1}.get(target, 0)
    if current == "all" or not current.isdigit():
        return _attempt_url(code, number, "?page=all")
    return _attempt_url(code, number, f"?page={max(int(current) + step, 1)}")


@router.post("/courses/{code}/quiz/attempts/{number}", name="quiz_attempt_save")
def save_page(code: str, number: AttemptNumber, session: SessionDep, user: CurrentUser, form: FormData) -> Response:
    _course, quiz, attempt = attempts.own_attempt(session, code=code, user=user, number=number)
    current = form.get("page", "1")
    check = form_id(form.get("check"))
    outcome = attempts.save_responses(session, attempt=attempt, quiz=quiz, page=current, form=form, check=check)
    if outcome.closed:
        return RedirectResponse(with_notice(_attempt_url(code, number, "/review"), "attempt-closed"), status_code=303)
    page_of = pages.page_of(attempt, check) if check is not None else 1
    return RedirectResponse(_next_address(code, number, form, current, check, page_of), status_code=303)


@router.post("/courses/{code}/quiz/attempts/{number}/autosave", name="quiz_attempt_autosave")
def autosave(code: str, number: AttemptNumber, session: SessionDep, user: CurrentUser, form: FormData) -> Response:
    """The script's background save: same rules as the page's own submit, answered in JSON."""
    _course, quiz, attempt = attempts.own_attempt(session, code=code, user=user, number=number)
    outcome = attempts.save_responses(session, attempt=attempt, quiz=quiz, page=form.get("page", "1"), form=form)
    return JSONResponse({"saved": outcome.saved, "closed": outcome.closed}, status_code=409 if outcome.closed else 200)


@router.get("/courses/{code}/quiz/attempts/{number}/summary", name="quiz_attempt_summary")
def summary_page(
    request: Request, code: str, number: AttemptNumber, session: SessionDep, user: CurrentUser
) -> Response:
    course, quiz, attempt = attempts.own_attempt(session, code=code, user=user, number=number)
    if attempt.state != AttemptState.IN_PROGRESS:
        return RedirectResponse(_attempt_url(code, number, "/review"), status_code=303)
    page = pages.attempt_page(course, quiz, attempt, page="all", with_questions=False)
    return render(request, "quizzes/summary.html", {"view": page})


@router.post("/courses/{code}/quiz/attempts/{number}/submit", name="quiz_attempt_submit")
def submit(code: str, number: AttemptNumber, session: SessionDep, user: CurrentUser) -> Response:
    _course, quiz, attempt = attempts.own_attempt(session, code=code, user=user, number=number)
    attempts.finish_attempt(session, attempt=attempt, quiz=quiz)
    return RedirectResponse(_attempt_url(code, number, "/review"), status_code=303)


@router.get("/courses/{code}/quiz/attempts/{number}/review", name="quiz_attempt_review")
def review_page(request: Request, code: str, number: AttemptNumber, session: SessionDep, user: CurrentUser) -> Response:
    course, quiz, attempt = attempts.own_attempt(session, code=code, user=user, number=number)
    if attempt.state == AttemptState.IN_PROGRESS:
        return RedirectResponse(_attempt_url(code, number), status_code=303)
    review = pages.attempt_review(course, quiz, attempt, as_trainer=False)
    return render(
        request,
        "quizzes/review.html",
        {"view": review, "trainer_view": False, "grading_values": {}, "grading_errors": {}},
    )
