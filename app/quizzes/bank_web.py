"""Trainer pages of the question bank: list, create and edit questions, import and export files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import QueryParams, UploadFile

from app.accounts.models import User
from app.core.access import TRAINER
from app.core.deps import FormData, SessionDep, form_fields
from app.core.errors import Unprocessable
from app.core.forms import MAX_DB_ID, FormInvalid, parse_form
from app.core.i18n import _, get_locale
from app.core.notices import with_notice
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.courses.models import Course
from app.courses.service import taught_course
from app.quizzes import bank, editor, question_forms
from app.quizzes.interchange import QUESTION_TYPES, ParseError

router = APIRouter()

TrainerUser = Annotated[User, Depends(TRAINER)]
QuestionId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
MAX_SEARCH = 200


def _bank_url(code: str) -> str:
    return f"/courses/{code}/questions"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _default_language() -> str:
    return get_locale() if get_locale() in question_forms.QUESTION_LANGUAGES else "en"


# --- the bank ------------------------------------------------------------------------------------


def _filters(query: QueryParams) -> bank.BankFilters:
    """The list's filters from the address; values that are not among the choices are ignored."""
    language = query.get("language", "")
    question_type = query.get("type", "")
    return bank.BankFilters(
        category=query.get("category", "")[: question_forms.MAX_CATEGORY],
        language=language if language in question_forms.QUESTION_LANGUAGES else "",
        question_type=question_type if question_type in QUESTION_TYPES else "",
        archived=query.get("status") == "archived",
        search=" ".join(query.get("q", "").split())[:MAX_SEARCH],
    )


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 7 else 1


@router.get("/courses/{code}/questions", name="question_bank")
def bank_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    filters = _filters(request.query_params)
    view = bank.bank_page(
        session, code=code, user=user, filters=filters, page=_page_number(request.query_params.get("page"))
    )
    query = {
        "category": filters.category,
        "language": filters.language,
        "type": filters.question_type,
        "status": "archived" if filters.archived else "",
        "q": filters.search,
    }
    return render(
        request,
        "quizzes/bank/bank.html",
        {
            "view": view,
            "filters": filters,
            "query": {name: value for name, value in query.items() if value},
            "values": {**query, "status": query["status"] or "live"},
            "question_types": [
                (question_type, question_forms.type_name(question_type)) for question_type in QUESTION_TYPES
            ],
            "languages": [(code, question_forms.language_label(code)) for code in question_forms.QUESTION_LANGUAGES],
            "categories": [
                (question_forms.category_key(path), question_forms.category_label(path)) for path in view.categories
            ],
            "type_name": question_forms.type_name,
            "language_label": question_forms.language_label,
            "category_label": question_forms.category_label,
        },
    )


# --- create and edit -----------------------------------------------------------------------------


def _editor_page(
    request: Request,
    context: bank.QuestionEditor,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    extra_rows: int = 0,
    status: int = 200,
) -> Response:
    question_type = context.question_type
    text_format = context.current.text_format if context.current is not None else "markdown"
    return render(
        request,
        "quizzes/bank/editor.html",
        {
            "context": context,
            "course": context.course,
            "question_type": question_type,
            "type_name": question_forms.type_name(question_type),
            "values": values,
            "errors": question_forms.ordered_errors(question_type, errors),
            "rows": editor.rows_to_show(question_type, values, extra=extra_rows),
            "grades": editor.grade_choices(question_type, context.current),
            "languages": [(code, question_forms.language_label(code)) for code in _languages_for(context)],
            "categories": [
                (question_forms.category_key(path), question_forms.category_label(path)) for path in context.categories
            ],
            "text_format": text_format,
            "text_format_name": question_forms.text_format_name(text_format),
        },
        status_code=status,
    )


def _languages_for(context: bank.QuestionEditor) -> tuple[str, ...]:
    # A question imported in another language (the command line allows "nb") keeps it.
    if context.question is not None and context.question.language not in question_forms.QUESTION_LANGUAGES:
        return (*question_forms.QUESTION_LANGUAGES, context.question.language)
    return question_forms.QUESTION_LANGUAGES


@router.get("/courses/{code}/questions/new/{question_type}", name="question_create")
def create_page(request: Request, code: str, question_type: str, session: SessionDep, user: TrainerUser) -> Response:
    context = bank.question_editor(session, code=code, user=user, question_type=question_type)
    values = editor.blank_values(question_type, language=_default_language())
    return _editor_page(request, context, values, {})


@router.post("/courses/{code}/questions/new/{question_type}", name="question_create_submit")
def create_submit(
    request: Request, code: str, question_type: str, session: SessionDep, user: TrainerUser, form: FormData
) -> Response:
    context = bank.question_editor(session, code=code, user=user, question_type=question_type)
    if "add_rows" in form:
        return _editor_page(request, context, form, {}, extra_rows=question_forms.ADDED_ROWS)
    try:
        edited = editor.parse_question_form(question_type, form, categories=context.categories)
    except FormInvalid as invalid:
        return _editor_page(request, context, form, invalid.errors, status=422)
    bank.create_question(session, course=context.course, edited=edited)
    return _see_other(with_notice(_bank_url(code), "question-saved"))


@router.get("/courses/{code}/questions/{question_id}/edit", name="question_edit")
def edit_page(request: Request, code: str, question_id: QuestionId, session: SessionDep, user: TrainerUser) -> Response:
    context = bank.question_editor(session, code=code, user=user, question_id=question_id)
    assert context.current is not None and context.question is not None
    values = editor.question_values(context.current, language=context.question.language, category=context.category)
    return _editor_page(request, context, values, {}, extra_rows=question_forms.SPARE_ROWS)


@router.post("/courses/{code}/questions/{question_id}/edit", name="question_edit_submit")
def edit_submit(
    request: Request, code: str, question_id: QuestionId, session: SessionDep, user: TrainerUser, form: FormData
) -> Response:
    context = bank.question_editor(session, code=code, user=user, question_id=question_id)
    if "add_rows" in form:
        return _editor_page(request, context, form, {}, extra_rows=question_forms.ADDED_ROWS)
    try:
        edited = editor.parse_question_form(
            context.question_type,
            form,
            categories=context.categories,
            languages=_languages_for(context),
            existing=context.current,
        )
    except FormInvalid as invalid:
        return _editor_page(request, context, form, invalid.errors, status=422)
    changed = bank.save_question(session, editor=context, edited=edited)
    return _see_other(with_notice(_bank_url(code), "question-saved" if changed else "question-unchanged"))


# --- archive and restore -------------------------------------------------------------------------


@router.post("/courses/{code}/questions/{question_id}/archive", name="question_archive")
def archive(code: str, question_id: QuestionId, session: SessionDep, user: TrainerUser) -> Response:
    bank.set_archived(session, code=code, user=user, question_id=question_id, archived=True)
    return _see_other(with_notice(_bank_url(code), "question-archived"))


@router.post("/courses/{code}/questions/{question_id}/restore", name="question_restore")
def restore(code: str, question_id: QuestionId, session: SessionDep, user: TrainerUser) -> Response:
    bank.set_archived(session, code=code, user=user, question_id=question_id, archived=False)
    return _see_other(with_notice(_bank_url(code), "question-restored"))


# --- import and export ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes


async def uploaded_file(request: Request) -> UploadedFile | None:
    """The form's `file` upload, read whole (the request body limit keeps it small); None when none was sent."""
    await form_fields(request)  # parses the form once, refusing unreadable ones with 400
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile):
        return None
    return UploadedFile(name=upload.filename or "", data=await upload.read())


def _import_page(
    request: Request, course: Course, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "quizzes/bank/import.html",
        {
            "course": course,
            "values": values,
            "errors": errors,
            "formats": [
                ("auto", _("Recognise from the file")),
                ("gift", _("GIFT file")),
                ("xml", _("Moodle XML file")),
            ],
            "languages": [(code, question_forms.language_label(code)) for code in question_forms.QUESTION_LANGUAGES],
        },
        status_code=status,
    )


@router.get("/courses/{code}/questions/import", name="question_import")
def import_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    course = taught_course(session, code=code, user=user)
    return _import_page(request, course, {"format": "auto", "language": _default_language()}, {})


@router.post("/courses/{code}/questions/import", name="question_import_submit")
def import_submit(
    request: Request,
    code: str,
    session: SessionDep,
    user: TrainerUser,
    form: FormData,
    upload: Annotated[UploadedFile | None, Depends(uploaded_file)],
) -> Response:
    course = taught_course(session, code=code, user=user)
    try:
        options = parse_form(editor.ImportForm, form)
    except FormInvalid as invalid:
        return _import_page(request, course, form, invalid.errors, status=422)
    if upload is None or not upload.data.strip():
        errors = {"file": _("Choose a GIFT or Moodle XML file that has questions in it.")}
        return _import_page(request, course, form, errors, status=422)
    chosen = bank.guess_format(upload.name, upload.data) if options.file_format == "auto" else options.file_format
    try:
        report = bank.read_question_file(upload.data, file_format=chosen)
    except ParseError as error:
        message = (
            error.message
            if error.line is None
            else _("Line %(line)s: %(problem)s", line=error.line, problem=error.message)
        )
        return _import_page(request, course, form, {"file": message}, status=422)
    # One transaction: if anything fails from here on, the request is rolled back and nothing is kept.
    result = bank.import_into_bank(session, course_code=course.code, report=report, language=options.language)
    return render(
        request,
        "quizzes/bank/import_report.html",
        {
            "course": course,
            "file_name": upload.name,
            "file_format": chosen,
            "imported": list(zip(report.lines, report.questions, strict=True)),
            "skipped": [issue for issue in report.issues if issue.skipped],
            "notes": [issue for issue in report.issues if not issue.skipped],
            "count": result.imported,
            "type_name": question_forms.type_name,
        },
    )


@router.get("/courses/{code}/questions/export", name="question_export")
def export(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    try:
        options = editor.ExportQuery.model_validate(dict(request.query_params))
    except ValidationError:
        # Ask the course first, so that someone who does not teach it learns nothing from the answer.
        taught_course(session, code=code, user=user)
        raise Unprocessable(_("Choose GIFT or Moodle XML, and a language of the bank.")) from None
    exported = bank.export_file(session, code=code, user=user, options=options)
    return Response(
        exported.body,
        media_type=exported.content_type,
        headers={"Content-Disposition": attachment_disposition(exported.file_name)},
    )
