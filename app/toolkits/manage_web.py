"""Pages for maintaining toolkits: uploading (streamed), new versions, editing, deleting and restoring."""

from __future__ import annotations

import re
from typing import Annotated, Any

import anyio.from_thread
from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import ADMIN, TRAINER
from app.core.config import Settings
from app.core.csrf import CSRF_FIELD, CSRF_HEADER, check_csrf_token, checks_csrf_in_stream
from app.core.deps import FormData, SessionDep, SettingsDep, contains_control_characters, form_data
from app.core.errors import BadRequest, DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from, parse_form
from app.core.i18n import _, format_file_size
from app.core.notices import with_notice
from app.core.templating import render
from app.toolkits import library, service
from app.toolkits.backends import StorageDep
from app.toolkits.file_types import allowed_extensions
from app.toolkits.multipart_stream import MalformedUpload, MultipartStream
from app.toolkits.request_body import body_chunks
from app.toolkits.schemas import ToolkitDetailsForm, ToolkitEditForm, VersionForm
from app.toolkits.storage import Storage
from app.toolkits.uploads import MAX_FILES_PER_UPLOAD, ReceivedForm, RefusedFile, UploadTooLarge, receive_form
from app.toolkits.web import labels

router = APIRouter()

TrainerUser = Annotated[User, Depends(TRAINER)]
AdminUser = Annotated[User, Depends(ADMIN)]
ToolkitId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]

# The routes below that read their multipart bodies as streams; the app-wide body limit leaves them alone.
STREAMED_UPLOAD_PATHS = re.compile(
    r"/courses/[^/]+/toolkits/upload|/programmes/[^/]+/toolkits/upload|/toolkits/\d+/versions/new"
)
# Text fields and multipart framing on top of the files themselves.
_BODY_OVERHEAD_BYTES = 1024 * 1024


def _receive(request: Request, storage: Storage, settings: Settings, *, max_files: int) -> ReceivedForm:
    """The submitted form with its files in storage; a body that is not multipart has fields only."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        # Checked by the app-wide CSRF dependency and size limit already (only multipart is streamed).
        return ReceivedForm(fields=dict(anyio.from_thread.run(form_data, request)))

    def check_fields(fields: dict[str, str]) -> None:
        if request.headers.get(CSRF_HEADER) is None:  # a header was checked before the route ran
            check_csrf_token(request, fields.get(CSRF_FIELD))
        if any(
            contains_control_characters(name) or contains_control_characters(value) for name, value in fields.items()
        ):
            raise BadRequest(_("The form contains characters that are not allowed. Remove them and try again."))

    body = body_chunks(request, max_total_bytes=max_files * settings.upload_max_bytes + _BODY_OVERHEAD_BYTES)
    try:
        return receive_form(
            MultipartStream(body, content_type),
            storage=storage,
            max_bytes=settings.upload_max_bytes,
            check_fields=check_fields,
        )
    except MalformedUpload as error:
        raise BadRequest(_("The upload could not be read. Please try again.")) from error


def _too_large_message(error: UploadTooLarge, settings: Settings) -> str:
    limit = format_file_size(settings.upload_max_bytes)
    if error.file_name:
        return _(
            "The file “%(name)s” is larger than the limit of %(limit)s. Nothing was saved: choose smaller files.",
            name=error.file_name,
            limit=limit,
        )
    return _("The upload is larger than allowed. Nothing was saved: send fewer files at once.")


def _discard(storage: Storage, form: ReceivedForm) -> None:
    for file in form.files:
        storage.delete(file.stored.key)


def _file_limits(settings: Settings) -> dict[str, Any]:
    """What the upload forms tell people about files: the size limit, how many at once, the allowed types."""
    return {
        "limit": format_file_size(settings.upload_max_bytes),
        "max_files": MAX_FILES_PER_UPLOAD,
        "extensions": allowed_extensions(),
    }


def _upload_page(
    request: Request,
    *,
    owner: service.Owner,
    settings: Settings,
    values: dict[str, Any],
    errors: dict[str, str],
    refused: list[RefusedFile] | None = None,
    status_code: int = 200,
) -> Response:
    action = (
        f"/courses/{owner.course.code}/toolkits/upload"
        if owner.course is not None
        else f"/programmes/{owner.programme.code}/toolkits/upload"
    )
    return render(
        request,
        "toolkits/upload.html",
        {
            "owner": owner,
            "action": action,
            "values": values,
            "errors": errors,
            "refused": refused or [],
            **_file_limits(settings),
            **labels(),
        },
        status_code=status_code,
    )


_NEW_TOOLKIT_DEFAULTS = {"language": "lt", "kind": "handout"}


def _release_before_streaming(session: Session) -> None:
    """End the access check's transaction: on SQLite it holds the write lock, which a slow upload must not keep."""
    session.commit()


def _new_toolkits(
    request: Request, session: SessionDep, storage: Storage, settings: Settings, owner: service.Owner, user: User
) -> Response:
    _release_before_streaming(session)
    try:
        form = _receive(request, storage, settings, max_files=MAX_FILES_PER_UPLOAD)
    except UploadTooLarge as error:
        errors = {"files": _too_large_message(error, settings)}
        return _upload_page(
            request, owner=owner, settings=settings, values=error.fields, errors=errors, status_code=413
        )
    try:
        details = parse_form(ToolkitDetailsForm, form.fields)
    except FormInvalid as invalid:
        _discard(storage, form)
        errors = {**invalid.errors, **({"files": _("Choose the files again.")} if form.files else {})}
        return _upload_page(
            request,
            owner=owner,
            settings=settings,
            values=form.fields,
            errors=errors,
            refused=form.refused,
            status_code=422,
        )
    if not form.files:
        errors = {"files": _("Choose at least one file of an allowed type.")}
        return _upload_page(
            request,
            owner=owner,
            settings=settings,
            values=form.fields,
            errors=errors,
            refused=form.refused,
            status_code=422,
        )
    outcome = service.add_toolkits(session, storage=storage, owner=owner, details=details, files=form.files, user=user)
    if len(outcome.created) == 1 and not outcome.duplicates and not form.refused:
        return RedirectResponse(with_notice(f"/toolkits/{outcome.created[0].id}", "toolkit-uploaded"), status_code=303)
    return render(
        request,
        "toolkits/upload_result.html",
        {"owner": owner, "outcome": outcome, "refused": form.refused, **labels()},
        status_code=200 if outcome.created else 422,
    )


@router.get("/courses/{code}/toolkits/upload", name="course_toolkit_upload_form")
def course_upload_form(
    request: Request, code: str, session: SessionDep, settings: SettingsDep, user: TrainerUser
) -> Response:
    owner = service.course_owner(session, code=code, user=user)
    return _upload_page(request, owner=owner, settings=settings, values=_NEW_TOOLKIT_DEFAULTS, errors={})


@router.post("/courses/{code}/toolkits/upload", name="course_toolkit_upload")
@checks_csrf_in_stream
def course_upload(
    request: Request, code: str, session: SessionDep, settings: SettingsDep, storage: StorageDep, user: TrainerUser
) -> Response:
    owner = service.course_owner(session, code=code, user=user)  # before a single byte of the body is read
    return _new_toolkits(request, session, storage, settings, owner, user)


@router.get("/programmes/{programme_code}/toolkits/upload", name="programme_toolkit_upload_form")
def programme_upload_form(
    request: Request, programme_code: str, session: SessionDep, settings: SettingsDep, _user: AdminUser
) -> Response:
    owner = service.programme_owner(session, code=programme_code)
    return _upload_page(request, owner=owner, settings=settings, values=_NEW_TOOLKIT_DEFAULTS, errors={})


@router.post("/programmes/{programme_code}/toolkits/upload", name="programme_toolkit_upload")
@checks_csrf_in_stream
def programme_upload(
    request: Request,
    programme_code: str,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: AdminUser,
) -> Response:
    owner = service.programme_owner(session, code=programme_code)
    return _new_toolkits(request, session, storage, settings, owner, user)


def _version_page(
    request: Request,
    view: service.ToolkitView,
    settings: Settings,
    *,
    values: dict[str, Any],
    errors: dict[str, str],
    refused: list[RefusedFile] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "toolkits/new_version.html",
        {
            "view": view,
            "values": values,
            "errors": errors,
            "refused": refused or [],
            **_file_limits(settings),
        },
        status_code=status_code,
    )


@router.get("/toolkits/{toolkit_id}/versions/new", name="toolkit_version_form")
def new_version_form(
    request: Request, toolkit_id: ToolkitId, session: SessionDep, settings: SettingsDep, user: TrainerUser
) -> Response:
    view = service.managed_toolkit_view(session, toolkit_id=toolkit_id, user=user)
    return _version_page(request, view, settings, values={}, errors={})


@router.post("/toolkits/{toolkit_id}/versions/new", name="toolkit_version_upload")
@checks_csrf_in_stream
def new_version(
    request: Request,
    toolkit_id: ToolkitId,
    session: SessionDep,
    settings: SettingsDep,
    storage: StorageDep,
    user: TrainerUser,
) -> Response:
    view = service.managed_toolkit_view(session, toolkit_id=toolkit_id, user=user)  # before the body is read
    _release_before_streaming(session)
    try:
        form = _receive(request, storage, settings, max_files=1)
    except UploadTooLarge as error:
        errors = {"file": _too_large_message(error, settings)}
        return _version_page(request, view, settings, values=error.fields, errors=errors, status_code=413)
    try:
        note = parse_form(VersionForm, form.fields).change_note
        if len(form.files) != 1:
            raise FormInvalid({"file": _("Choose one file of an allowed type.")})
        service.add_version(session, storage=storage, toolkit_id=toolkit_id, file=form.files[0], note=note, user=user)
    except FormInvalid as invalid:
        _discard(storage, form)
        return _version_page(
            request, view, settings, values=form.fields, errors=invalid.errors, refused=form.refused, status_code=422
        )
    except DomainError as error:  # add_version removed the stored file already
        return _version_page(
            request, view, settings, values=form.fields, errors=errors_from(error), status_code=error.status_code
        )
    return RedirectResponse(with_notice(f"/toolkits/{toolkit_id}", "toolkit-version-added"), status_code=303)


def _edit_values(view: service.ToolkitView) -> dict[str, Any]:
    toolkit = view.toolkit
    return {
        "title_lt": toolkit.title.get("lt", ""),
        "title_en": toolkit.title.get("en", ""),
        "description_lt": toolkit.description.get("lt", ""),
        "description_en": toolkit.description.get("en", ""),
        "language": toolkit.language,
        "kind": toolkit.kind,
        "tags": ", ".join(toolkit.tags),
        "is_public": "on" if toolkit.is_public else "",
    }


@router.get("/toolkits/{toolkit_id}/edit", name="toolkit_edit_form")
def edit_form(request: Request, toolkit_id: ToolkitId, session: SessionDep, user: TrainerUser) -> Response:
    view = service.managed_toolkit_view(session, toolkit_id=toolkit_id, user=user)
    return render(request, "toolkits/edit.html", {"view": view, "values": _edit_values(view), "errors": {}, **labels()})


@router.post("/toolkits/{toolkit_id}/edit", name="toolkit_edit")
def edit(request: Request, toolkit_id: ToolkitId, session: SessionDep, form: FormData, user: TrainerUser) -> Response:
    service.managed_toolkit(session, toolkit_id=toolkit_id, user=user)
    try:
        details = parse_form(ToolkitEditForm, form)
    except FormInvalid as invalid:
        view = service.managed_toolkit_view(session, toolkit_id=toolkit_id, user=user)
        return render(
            request,
            "toolkits/edit.html",
            {"view": view, "values": form, "errors": invalid.errors, **labels()},
            status_code=422,
        )
    service.update_details(session, toolkit_id=toolkit_id, details=details, user=user)
    return RedirectResponse(with_notice(f"/toolkits/{toolkit_id}", "toolkit-saved"), status_code=303)


@router.get("/toolkits/{toolkit_id}/delete", name="toolkit_delete_form")
def delete_form(request: Request, toolkit_id: ToolkitId, session: SessionDep, user: TrainerUser) -> Response:
    view = service.managed_toolkit_view(session, toolkit_id=toolkit_id, user=user)
    return render(request, "toolkits/delete.html", {"view": view, "purge_days": library.PURGE_AFTER_DAYS})


@router.post("/toolkits/{toolkit_id}/delete", name="toolkit_delete")
def delete(toolkit_id: ToolkitId, session: SessionDep, user: TrainerUser) -> Response:
    toolkit = service.delete_toolkit(session, toolkit_id=toolkit_id, user=user)
    course_code = service.course_code_of(session, toolkit)
    back = f"/courses/{course_code}" if course_code else "/toolkits"
    return RedirectResponse(with_notice(back, "toolkit-deleted"), status_code=303)


@router.get("/admin/toolkits/deleted", name="deleted_toolkits")
def deleted_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    return render(
        request,
        "toolkits/deleted.html",
        {"rows": library.deleted_toolkits(session), **labels()},
    )


@router.post("/toolkits/{toolkit_id}/restore", name="toolkit_restore")
def restore(toolkit_id: ToolkitId, session: SessionDep, _user: AdminUser) -> Response:
    service.restore_toolkit(session, toolkit_id=toolkit_id)
    return RedirectResponse(with_notice(f"/toolkits/{toolkit_id}", "toolkit-restored"), status_code=303)
