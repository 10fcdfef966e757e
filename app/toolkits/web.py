"""Reader pages of toolkits: the library with search and filters, a toolkit's page, and downloads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from app.accounts.models import User
from app.core.access import SIGNED_IN
from app.core.deps import SessionDep
from app.core.forms import MAX_DB_ID, FormInvalid, parse_form, query_values
from app.core.templating import render
from app.toolkits import downloads, library, service
from app.toolkits.backends import StorageDep
from app.toolkits.schemas import LibraryFilters

router = APIRouter()

CurrentUser = Annotated[User, Depends(SIGNED_IN)]
ToolkitId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_DB_ID)]


def labels() -> dict[str, dict[str, str]]:
    return {"kind_labels": service.kind_labels(), "language_labels": service.language_labels()}


@router.get("/toolkits", name="toolkit_library")
def library_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    values = query_values(request)
    errors: dict[str, str] = {}
    try:
        filters = parse_form(LibraryFilters, values)
    except FormInvalid as invalid:
        filters, errors = LibraryFilters(), invalid.errors
    view = library.library(session, user=user, filters=filters)
    return render(
        request,
        "toolkits/library.html",
        {"view": view, "values": values, "errors": errors, **labels()},
        status_code=422 if errors else 200,
    )


@router.get("/toolkits/{toolkit_id}", name="toolkit")
def toolkit_page(request: Request, toolkit_id: ToolkitId, session: SessionDep, user: CurrentUser) -> Response:
    view = service.toolkit_view(session, toolkit_id=toolkit_id, user=user)
    return render(request, "toolkits/toolkit.html", {"view": view, **labels()})


def _send(
    request: Request, session: SessionDep, storage: StorageDep, file: downloads.FileToSend, toolkit_id: int
) -> Response:
    if downloads.not_modified(request, file):
        return downloads.not_modified_response(file)
    try:
        byte_range = downloads.wanted_range(request, file)
    except downloads.RangeNotSatisfiable:
        return downloads.range_not_satisfiable_response(file)
    if byte_range is None or byte_range.start == 0:
        service.count_download(session, toolkit_id=toolkit_id)  # a resumed download is not a new one
    return downloads.file_response(storage, file, byte_range)


@router.get("/toolkits/{toolkit_id}/download", name="toolkit_download")
def download_latest(
    request: Request, toolkit_id: ToolkitId, session: SessionDep, storage: StorageDep, user: CurrentUser
) -> Response:
    file = service.file_to_send(session, toolkit_id=toolkit_id, number=None, user=user)
    return _send(request, session, storage, file, toolkit_id)


@router.get("/toolkits/{toolkit_id}/versions/{number}/download", name="toolkit_version_download")
def download_version(
    request: Request,
    toolkit_id: ToolkitId,
    number: VersionNumber,
    session: SessionDep,
    storage: StorageDep,
    user: CurrentUser,
) -> Response:
    file = service.file_to_send(session, toolkit_id=toolkit_id, number=number, user=user)
    return _send(request, session, storage, file, toolkit_id)
