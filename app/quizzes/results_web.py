"""Trainer pages of quiz results: attempts per learner, CSV export and per-question statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from app.accounts.models import User
from app.core.access import TRAINER
from app.core.deps import ReadingSessionDep, SessionDep
from app.core.errors import Unprocessable
from app.core.forms import FormInvalid, parse_form, query_values
from app.core.i18n import _, get_locale
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.quizzes import results, statistics_report
from app.quizzes.interchange import QUESTION_TYPES
from app.quizzes.presentation import inline_html
from app.quizzes.question_forms import type_name

router = APIRouter()

TrainerUser = Annotated[User, Depends(TRAINER)]


@router.get("/courses/{code}/quiz/results", name="quiz_results")
def results_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    values = query_values(request)
    try:
        filters, errors = parse_form(results.ResultsFilters, values), {}
    except FormInvalid as invalid:
        # Show every attempt with the messages, rather than a filtered list the trainer did not ask for.
        filters, errors = results.ResultsFilters(), invalid.errors
    view = results.results_page(session, code=code, user=user, filters=filters, locale=get_locale())
    return render(
        request,
        "quizzes/results/attempts.html",
        {
            "view": view,
            "course": view.course,
            "values": values,
            "errors": errors,
            "state_labels": results.state_labels(),
            "duration_text": results.duration_text,
            "percent": results.percent_text,
        },  # fmt: skip
        status_code=422 if errors else 200,
    )


@router.get("/courses/{code}/quiz/results.csv", name="quiz_results_csv")
def results_csv(request: Request, code: str, session: ReadingSessionDep, user: TrainerUser) -> Response:
    try:
        filters = parse_form(results.ResultsFilters, query_values(request))
    except FormInvalid as invalid:
        results.taught_quiz(session, code=code, user=user)  # other courses stay hidden behind a 404
        raise Unprocessable(_("The filters are not valid. Choose them again on the results page.")) from invalid
    export = results.results_csv(session, code=code, user=user, filters=filters, locale=get_locale())
    return StreamingResponse(
        export.lines,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": attachment_disposition(export.filename)},
    )


@router.get("/courses/{code}/quiz/statistics", name="quiz_statistics")
def statistics_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    values = query_values(request)
    try:
        filters, errors = parse_form(statistics_report.StatisticsFilters, values), {}
    except FormInvalid as invalid:
        filters, errors = statistics_report.StatisticsFilters(), invalid.errors
    view = statistics_report.statistics_page(session, code=code, user=user, filters=filters)
    return render(
        request,
        "quizzes/results/statistics.html",
        {
            "view": view,
            "course": view.course,
            "values": {"attempts": filters.attempts, **values},
            "errors": errors,
            "type_names": {kind: type_name(kind) for kind in QUESTION_TYPES},
            "answer_html": inline_html,
            "percent": results.percent_text,
        },  # fmt: skip
        status_code=422 if errors else 200,
    )
