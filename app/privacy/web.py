"""Privacy pages: download your data, and administrators anonymising an account."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.deps import AdminUser, CurrentUser
from app.accounts.models import User
from app.accounts.people import role_labels
from app.core.deps import FormData, SessionDep, SettingsDep
from app.core.errors import Conflict, DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from, parse_form
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.privacy import anonymise, archive

router = APIRouter()

UserId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _download(data: archive.PersonalDataFile) -> Response:
    return Response(
        data.content,
        media_type="application/json",
        headers={
            "Content-Disposition": attachment_disposition(data.filename),
            # Personal data: never kept by a shared proxy or the browser's cache.
            "Cache-Control": "no-store",
        },
    )


@router.get("/my/data", name="my_data")
def my_data_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    summary = archive.data_summary(session, user=user)
    return render(request, "privacy/my_data.html", {"summary": summary, "person": user})


@router.get("/my/data.json", name="my_data_download")
def my_data_download(request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    data = archive.export_personal_data(
        session, user_id=user.id, requested_by=user, base_url=settings.base_url, ip_address=_client_ip(request)
    )
    return _download(data)


@router.get("/admin/users/{user_id}/data.json", name="admin_user_data_download")
def admin_data_download(
    request: Request, user_id: UserId, session: SessionDep, settings: SettingsDep, user: AdminUser
) -> Response:
    data = archive.export_personal_data(
        session, user_id=user_id, requested_by=user, base_url=settings.base_url, ip_address=_client_ip(request)
    )
    return _download(data)


def _anonymise_page(
    request: Request,
    session: Session,
    *,
    user_id: int,
    by: User,
    values: Mapping[str, str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    preview = anonymise.anonymisation_preview(session, user_id=user_id, by=by)
    if errors and preview.refusal:
        raise Conflict(preview.refusal)  # refused whatever was typed: the form is not even shown
    return render(
        request,
        "privacy/anonymise.html",
        {
            "preview": preview,
            "person": preview.person,
            "role_labels": role_labels(),
            "values": values,
            "errors": errors,
        },
        status_code=status,
    )


@router.get("/admin/users/{user_id}/anonymise", name="admin_user_anonymise_form")
def anonymise_form(request: Request, user_id: UserId, session: SessionDep, user: AdminUser) -> Response:
    return _anonymise_page(request, session, user_id=user_id, by=user, values={}, errors={})


# Destructive: registered after the pages above.
@router.post("/admin/users/{user_id}/anonymise", name="admin_user_anonymise")
def anonymise_submit(
    request: Request, user_id: UserId, session: SessionDep, user: AdminUser, form: FormData
) -> Response:
    try:
        data = parse_form(anonymise.AnonymiseForm, form)
        anonymise.anonymise_user(
            session, user_id=user_id, by=user, confirmation=data.confirm_email, ip_address=_client_ip(request)
        )
    except FormInvalid as invalid:
        return _anonymise_page(
            request, session, user_id=user_id, by=user, values=form, errors=invalid.errors, status=422
        )
    except DomainError as error:
        if error.status_code != 422:
            raise
        return _anonymise_page(
            request, session, user_id=user_id, by=user, values=form, errors=errors_from(error), status=422
        )
    return RedirectResponse(f"/admin/users/{user_id}/anonymise", status_code=303)
