"""Bulk user import pages: upload, preview with per-row checks, confirm."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from app.accounts import import_apply
from app.accounts.bulk_import import MAX_ROWS
from app.accounts.deps import AdminUser
from app.core.deps import SessionDep, SettingsDep, form_fields
from app.core.errors import DomainError
from app.core.forms import MAX_DB_ID, errors_from, form_id
from app.core.i18n import _, get_locale
from app.core.responses import attachment_disposition
from app.core.templating import render

router = APIRouter()

ImportId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class UploadedFile:
    name: str
    data: bytes


async def uploaded_file(request: Request) -> UploadedFile | None:
    """The form's `file` upload, read whole (the app's 2 MB request limit keeps it small); None when none was sent."""
    await form_fields(request)  # parses the form once, refusing unreadable ones with 400
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return UploadedFile(name=upload.filename, data=await upload.read())


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _import_url(import_id: int) -> str:
    return f"/admin/users/import/{import_id}"


def _upload_page(request: Request, session: SessionDep, errors: dict[str, str], status: int = 200) -> Response:
    guide = import_apply.upload_guide(session, locale=get_locale())
    return render(
        request,
        "accounts/import/upload.html",
        {"guide": guide, "max_rows": MAX_ROWS, "errors": errors},
        status_code=status,
    )


@router.get("/admin/users/import", name="user_import")
def upload_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    return _upload_page(request, session, {})


@router.get("/admin/users/import/template.csv", name="user_import_template_csv")
def template_csv(session: SessionDep, _user: AdminUser) -> Response:
    return Response(
        import_apply.template_csv(session, locale=get_locale()),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": attachment_disposition(_("people-to-import") + ".csv")},
    )


@router.get("/admin/users/import/template.xlsx", name="user_import_template_xlsx")
def template_xlsx(session: SessionDep, _user: AdminUser) -> Response:
    return Response(
        import_apply.template_xlsx(session, locale=get_locale()),
        media_type=XLSX_MEDIA_TYPE,
        headers={"content-disposition": attachment_disposition(_("people-to-import") + ".xlsx")},
    )


@router.get("/admin/users/imports", name="user_imports")
def imports_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    listing = import_apply.import_list(session, page=form_id(request.query_params.get("page")) or 1)
    return render(request, "accounts/import/imports.html", {"listing": listing})


@router.get("/admin/users/import/{import_id:int}", name="user_import_preview")
def preview_page(
    request: Request, import_id: ImportId, session: SessionDep, settings: SettingsDep, _user: AdminUser
) -> Response:
    view = import_apply.import_page(
        session,
        import_id=import_id,
        show=request.query_params.get("show", ""),
        page=form_id(request.query_params.get("page")) or 1,
    )
    return render(request, "accounts/import/preview.html", {"view": view, "invitation_days": settings.invitation_days})


@router.post("/admin/users/import", name="user_import_upload")
def upload_submit(
    request: Request,
    session: SessionDep,
    user: AdminUser,
    upload: Annotated[UploadedFile | None, Depends(uploaded_file)],
) -> Response:
    if upload is None:
        return _upload_page(request, session, {"file": _("Choose a CSV or XLSX file to upload.")}, status=422)
    try:
        user_import = import_apply.create_import(session, actor=user, file_name=upload.name, data=upload.data)
    except DomainError as error:
        if error.status_code != 422:
            raise
        return _upload_page(request, session, errors_from(error), status=422)
    return RedirectResponse(_import_url(user_import.id), status_code=303)


@router.post("/admin/users/import/{import_id:int}/confirm", name="user_import_confirm")
def confirm(
    request: Request, import_id: ImportId, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> Response:
    # Applied or not (a double submit finds it done), the import's page shows where it stands.
    import_apply.confirm_import(
        session, settings=settings, import_id=import_id, actor=user, ip_address=_client_ip(request)
    )
    return RedirectResponse(_import_url(import_id), status_code=303)
