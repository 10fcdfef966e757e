"""Administrators' pages for survey templates: writing, questions, archiving, attaching to events and courses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.deps import AdminUser
from app.core.deps import FormData, SessionDep
from app.core.errors import DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from, parse_form
from app.core.i18n import _, get_locale
from app.core.notices import with_notice
from app.core.templating import render
from app.surveys import service
from app.surveys.models import Survey, SurveyQuestion
from app.surveys.schemas import AttachForm, MoveForm, QuestionForm, SurveyForm

router = APIRouter()

SurveyId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
SurveyQuestionId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
TargetId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _survey_url(survey_id: int, notice: str) -> str:
    return with_notice(f"/admin/surveys/{survey_id}", notice)


@router.get("/admin/surveys", name="admin_surveys")
def surveys_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    in_use, archived = service.survey_list(session)
    return render(request, "surveys/manage/list.html", {"in_use": in_use, "archived": archived})


def _survey_form_page(
    request: Request, survey: Survey | None, values: Mapping[str, object], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request, "surveys/manage/survey_form.html", {"survey": survey, "values": values, "errors": errors}, status
    )


@router.get("/admin/surveys/new", name="admin_survey_new")
def survey_new_form(request: Request, _user: AdminUser) -> Response:
    return _survey_form_page(request, None, {}, {})


def _survey_page(
    request: Request,
    session: Session,
    survey_id: int,
    *,
    question_values: Mapping[str, object] | None = None,
    question_errors: dict[str, str] | None = None,
    attach_values: Mapping[str, object] | None = None,
    attach_errors: dict[str, str] | None = None,
    page_error: str | None = None,
    status: int = 200,
) -> Response:
    page = service.survey_page(session, survey_id=survey_id, locale=get_locale())
    return render(
        request,
        "surveys/manage/survey.html",
        {
            "page": page,
            "survey": page.survey,
            "kind_labels": service.kind_labels(),
            "question_values": question_values or {"kind": "likert", "required": "on"},
            "question_errors": question_errors or {},
            "attach_values": attach_values or {},
            "attach_errors": attach_errors or {},
            "page_error": page_error,
        },
        status_code=status,
    )


@router.get("/admin/surveys/{survey_id:int}", name="admin_survey")
def survey_page(request: Request, survey_id: SurveyId, session: SessionDep, _user: AdminUser) -> Response:
    return _survey_page(request, session, survey_id)


@router.get("/admin/surveys/{survey_id:int}/edit", name="admin_survey_edit")
def survey_edit_form(request: Request, survey_id: SurveyId, session: SessionDep, _user: AdminUser) -> Response:
    survey = service.survey_or_404(session, survey_id)
    values = {
        "title_lt": survey.title.get("lt", ""),
        "title_en": survey.title.get("en", ""),
        "introduction_lt": survey.introduction.get("lt", ""),
        "introduction_en": survey.introduction.get("en", ""),
    }
    return _survey_form_page(request, survey, values, {})


def _question_form_page(
    request: Request,
    survey: Survey,
    question: SurveyQuestion,
    values: Mapping[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    return render(
        request,
        "surveys/manage/question_form.html",
        {
            "survey": survey,
            "question": question,
            "values": values,
            "errors": errors,
            "kind_labels": service.kind_labels(),
        },
        status_code=status,
    )


@router.get("/admin/surveys/{survey_id:int}/questions/{survey_question_id:int}/edit", name="admin_survey_question_edit")
def question_edit_form(
    request: Request, survey_id: SurveyId, survey_question_id: SurveyQuestionId, session: SessionDep, _user: AdminUser
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    question = service.question_or_404(survey, survey_question_id)
    values = {
        "kind": question.kind,
        "text_lt": question.text.get("lt", ""),
        "text_en": question.text.get("en", ""),
        "required": "on" if question.required else "",
    }
    return _question_form_page(request, survey, question, values, {})


# --- changes (registered after the pages) -------------------------------------------------------------


@router.post("/admin/surveys/new", name="admin_survey_create")
def survey_create(request: Request, session: SessionDep, user: AdminUser, form: FormData) -> Response:
    try:
        survey = service.create_survey(session, form=parse_form(SurveyForm, form), by=user)
    except FormInvalid as invalid:
        return _survey_form_page(request, None, form, invalid.errors, status=422)
    except DomainError as error:
        return _survey_form_page(request, None, form, errors_from(error), status=error.status_code)
    return _see_other(_survey_url(survey.id, "survey-created"))


@router.post("/admin/surveys/standard", name="admin_survey_standard")
def survey_standard(session: SessionDep, user: AdminUser) -> Response:
    survey, created = service.create_standard_survey(session, by=user)
    return _see_other(_survey_url(survey.id, "survey-created" if created else "survey-standard-exists"))


@router.post("/admin/surveys/{survey_id:int}/edit", name="admin_survey_update")
def survey_update(
    request: Request, survey_id: SurveyId, session: SessionDep, _user: AdminUser, form: FormData
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    try:
        changed = service.update_survey(session, survey=survey, form=parse_form(SurveyForm, form))
    except FormInvalid as invalid:
        return _survey_form_page(request, survey, form, invalid.errors, status=422)
    except DomainError as error:
        return _survey_form_page(request, survey, form, errors_from(error), status=error.status_code)
    return _see_other(_survey_url(survey.id, "survey-saved" if changed else "survey-unchanged"))


@router.post("/admin/surveys/{survey_id:int}/questions", name="admin_survey_question_add")
def question_add(
    request: Request, survey_id: SurveyId, session: SessionDep, _user: AdminUser, form: FormData
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    try:
        service.add_question(session, survey=survey, form=parse_form(QuestionForm, form))
    except FormInvalid as invalid:
        return _survey_page(
            request, session, survey_id, question_values=form, question_errors=invalid.errors, status=422
        )
    except DomainError as error:
        return _survey_page(
            request,
            session,
            survey_id,
            question_values=form,
            question_errors=errors_from(error),
            status=error.status_code,
        )
    return _see_other(_survey_url(survey.id, "survey-question-added") + "#questions")


@router.post(
    "/admin/surveys/{survey_id:int}/questions/{survey_question_id:int}/edit", name="admin_survey_question_update"
)
def question_update(
    request: Request,
    survey_id: SurveyId,
    survey_question_id: SurveyQuestionId,
    session: SessionDep,
    _user: AdminUser,
    form: FormData,
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    question = service.question_or_404(survey, survey_question_id)
    try:
        changed = service.update_question(
            session, survey=survey, question=question, form=parse_form(QuestionForm, form)
        )
    except FormInvalid as invalid:
        return _question_form_page(request, survey, question, form, invalid.errors, status=422)
    except DomainError as error:
        return _question_form_page(request, survey, question, form, errors_from(error), status=error.status_code)
    return _see_other(_survey_url(survey.id, "survey-question-saved" if changed else "survey-unchanged"))


@router.post(
    "/admin/surveys/{survey_id:int}/questions/{survey_question_id:int}/move", name="admin_survey_question_move"
)
def question_move(
    request: Request,
    survey_id: SurveyId,
    survey_question_id: SurveyQuestionId,
    session: SessionDep,
    _user: AdminUser,
    form: FormData,
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    question = service.question_or_404(survey, survey_question_id)
    try:
        data = parse_form(MoveForm, form)
    except FormInvalid:
        return _survey_page(request, session, survey_id, page_error=_bad_move(), status=422)
    service.move_question(session, survey=survey, question=question, direction=data.direction)
    return _see_other(f"/admin/surveys/{survey.id}#questions")


# Removing is registered after the other question routes: the route table (and the access matrix, which
# walks it in order) then reaches a question before anything can delete it.
@router.post(
    "/admin/surveys/{survey_id:int}/questions/{survey_question_id:int}/remove", name="admin_survey_question_remove"
)
def question_remove(
    request: Request, survey_id: SurveyId, survey_question_id: SurveyQuestionId, session: SessionDep, _user: AdminUser
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    try:
        service.remove_question(session, survey=survey, question_id=survey_question_id)
    except DomainError as error:
        return _survey_page(request, session, survey_id, page_error=error.message, status=error.status_code)
    return _see_other(_survey_url(survey.id, "survey-question-removed") + "#questions")


def _bad_move() -> str:
    return _("Choose whether to move the question up or down.")


@router.post("/admin/surveys/{survey_id:int}/attach", name="admin_survey_attach")
def survey_attach(
    request: Request, survey_id: SurveyId, session: SessionDep, _user: AdminUser, form: FormData
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    try:
        data = parse_form(AttachForm, form)
        attached = service.attach(session, survey=survey, event_id=data.event_id, course_id=data.course_id)
    except FormInvalid as invalid:
        return _survey_page(request, session, survey_id, attach_values=form, attach_errors=invalid.errors, status=422)
    except DomainError as error:
        return _survey_page(
            request, session, survey_id, attach_values=form, attach_errors=errors_from(error), status=error.status_code
        )
    return _see_other(_survey_url(survey.id, "survey-attached" if attached else "survey-already-attached") + "#targets")


@router.post("/admin/surveys/{survey_id:int}/targets/{target_id:int}/detach", name="admin_survey_detach")
def survey_detach(
    request: Request, survey_id: SurveyId, target_id: TargetId, session: SessionDep, _user: AdminUser
) -> Response:
    survey = service.survey_or_404(session, survey_id)
    try:
        service.detach(session, survey=survey, target_id=target_id)
    except DomainError as error:
        return _survey_page(request, session, survey_id, page_error=error.message, status=error.status_code)
    return _see_other(_survey_url(survey.id, "survey-detached") + "#targets")


@router.post("/admin/surveys/{survey_id:int}/archive", name="admin_survey_archive")
def survey_archive(survey_id: SurveyId, session: SessionDep, _user: AdminUser) -> Response:
    survey = service.survey_or_404(session, survey_id)
    service.set_archived(session, survey=survey, archived=True)
    return _see_other(_survey_url(survey.id, "survey-archived"))


@router.post("/admin/surveys/{survey_id:int}/restore", name="admin_survey_restore")
def survey_restore(request: Request, survey_id: SurveyId, session: SessionDep, _user: AdminUser) -> Response:
    survey = service.survey_or_404(session, survey_id)
    try:
        service.set_archived(session, survey=survey, archived=False)
    except DomainError as error:
        return _survey_page(request, session, survey_id, page_error=error.message, status=error.status_code)
    return _see_other(_survey_url(survey.id, "survey-restored"))
