"""Answering a survey (the invitee only) and reading results (administrators, the event's or course's trainers)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts.deps import CurrentUser, TrainerUser
from app.audit.service import AuditAction, record
from app.core.deps import FormData, SessionDep
from app.core.forms import MAX_DB_ID, FormInvalid, parse_form, query_values
from app.core.i18n import get_locale
from app.core.notices import with_notice
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.surveys import exports, invitations, results
from app.surveys.invitations import AnswerSheet
from app.surveys.schemas import ResultsQuery

router = APIRouter()

InvitationId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
TargetId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


# --- answering ---------------------------------------------------------------------------------------


def _answer_page(
    request: Request, sheet: AnswerSheet, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "surveys/answer.html",
        {
            "sheet": sheet,
            "values": values,
            "errors": errors,
            "field_name": invitations.field_name,
            "likert_labels": results.likert_labels(),
        },
        status_code=status,
    )


@router.get("/surveys/{invitation_id:int}", name="survey_answer_form")
def answer_form(request: Request, invitation_id: InvitationId, session: SessionDep, user: CurrentUser) -> Response:
    sheet = invitations.answer_sheet(session, invitation_id=invitation_id, user=user, locale=get_locale())
    return _answer_page(request, sheet, {}, {})


@router.post("/surveys/{invitation_id:int}", name="survey_answer")
def answer(
    request: Request, invitation_id: InvitationId, session: SessionDep, user: CurrentUser, form: FormData
) -> Response:
    sheet = invitations.answer_sheet(session, invitation_id=invitation_id, user=user, locale=get_locale())
    if sheet.invitation.answered_at is not None:
        return RedirectResponse(with_notice(f"/surveys/{invitation_id}", "survey-already-answered"), status_code=303)
    try:
        given = invitations.read_answers(sheet.questions, form)
    except FormInvalid as invalid:
        return _answer_page(request, sheet, form, invalid.errors, status=422)
    recorded = invitations.submit_answers(session, sheet=sheet, answers=given, language=get_locale())
    notice = "survey-answered" if recorded else "survey-already-answered"
    return RedirectResponse(with_notice(f"/surveys/{invitation_id}", notice), status_code=303)


# --- results -----------------------------------------------------------------------------------------


@router.get("/reports/surveys", name="survey_results_list")
def results_list(request: Request, session: SessionDep, user: TrainerUser) -> Response:
    rows = results.target_list(session, user=user, locale=get_locale())
    return render(request, "surveys/results_list.html", {"rows": rows, "minimum": results.MIN_RESPONSES})


def _period(request: Request) -> tuple[results.Period, dict[str, str], dict[str, str]]:
    values = query_values(request)
    try:
        query = parse_form(ResultsQuery, values)
    except FormInvalid as invalid:
        return results.Period(), values, invalid.errors
    return results.Period(query.date_from, query.date_to), values, {}


@router.get("/reports/surveys/{target_id:int}", name="survey_results")
def results_page(request: Request, target_id: TargetId, session: SessionDep, user: TrainerUser) -> Response:
    period, values, errors = _period(request)
    found = results.survey_results(session, target_id=target_id, user=user, period=period, locale=get_locale())
    query = urlencode({key: values[key] for key in ("from", "to") if values.get(key) and not errors})
    return render(
        request,
        "surveys/results.html",
        {
            "results": found,
            "values": values,
            "errors": errors,
            "query": f"?{query}" if query else "",
            "likert_values": results.LIKERT_VALUES,
            "likert_labels": results.likert_labels(),
            "below_threshold": results.below_threshold_message(),
            "format_mean": results.format_mean,
        },
        status_code=422 if errors else 200,
    )


def _download(request: Request, session: SessionDep, user: TrainerUser, target_id: int, extension: str) -> Response:
    period, _values, errors = _period(request)
    if errors:
        return results_page(request, target_id, session, user)
    locale = get_locale()
    found = results.survey_results(session, target_id=target_id, user=user, period=period, locale=locale)
    if extension == "csv":
        content, media_type = exports.results_csv(found, locale=locale), exports.CSV_MEDIA_TYPE
    else:
        content, media_type = exports.results_xlsx(found, locale=locale), exports.XLSX_MEDIA_TYPE
    filename = exports.export_filename(found, extension)
    record(
        session,
        actor=user,
        action=AuditAction.SURVEY_RESULTS_EXPORTED,
        target_type="survey_target",
        target_id=target_id,
        details={
            "format": extension,
            "from": found.period.date_from.isoformat() if found.period.date_from else None,
            "to": found.period.date_to.isoformat() if found.period.date_to else None,
            "responses": found.responses,
            "shown": found.shown,
        },
        ip_address=request.client.host if request.client else "",
    )
    return Response(content, media_type=media_type, headers={"content-disposition": attachment_disposition(filename)})


@router.get("/reports/surveys/{target_id:int}/results.csv", name="survey_results_csv")
def results_csv(request: Request, target_id: TargetId, session: SessionDep, user: TrainerUser) -> Response:
    return _download(request, session, user, target_id, "csv")


@router.get("/reports/surveys/{target_id:int}/results.xlsx", name="survey_results_xlsx")
def results_xlsx(request: Request, target_id: TargetId, session: SessionDep, user: TrainerUser) -> Response:
    return _download(request, session, user, target_id, "xlsx")
