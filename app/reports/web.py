"""Completion records export pages for administrators and organisation managers."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from app.accounts.deps import ManagerUser
from app.core.deps import ReadingSessionDep, SessionDep, SettingsDep
from app.core.forms import FormInvalid, parse_form, query_values
from app.core.i18n import get_locale, local_date
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.progress.report import state_labels
from app.reports import exports
from app.reports.completions import CompletionFilters
from app.reports.schemas import CompletionDownloadQuery, CompletionQuery, ExportFormat
from app.reports.scope import ReportScope, report_scope

router = APIRouter()


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _page(
    request: Request,
    session: Session,
    *,
    scope: ReportScope,
    base_url: str,
    filters: CompletionFilters | None,
    values: Mapping[str, str],
    errors: dict[str, str],
) -> Response:
    report = exports.completion_report(session, filters=filters, scope=scope, locale=get_locale(), base_url=base_url)
    labels = state_labels()
    return render(
        request,
        "reports/completions.html",
        {
            "report": report,
            "values": values,
            "errors": errors,
            "own_organisation_only": not scope.is_everything,
            "state_labels": labels,
            "states": list(labels.items()),
            "formats": ExportFormat,
        },
        status_code=422 if errors else 200,
    )


@router.get("/reports/completions", name="completion_records")
def completion_records_page(
    request: Request, session: SessionDep, settings: SettingsDep, user: ManagerUser
) -> Response:
    scope = report_scope(user)
    values = query_values(request)
    try:
        filters = exports.resolve_filters(session, query=parse_form(CompletionQuery, values), scope=scope)
    except FormInvalid as invalid:
        filters, errors = None, invalid.errors
    else:
        errors = {}
    return _page(
        request, session, scope=scope, base_url=settings.base_url, filters=filters, values=values, errors=errors
    )


@router.get("/reports/completions/download", name="completion_records_download")
def completion_records_download(
    request: Request, session: SessionDep, reading: ReadingSessionDep, settings: SettingsDep, user: ManagerUser
) -> Response:
    scope = report_scope(user)
    values = query_values(request)
    try:
        query = parse_form(CompletionDownloadQuery, values)
        filters = exports.resolve_filters(session, query=query, scope=scope)
    except FormInvalid as invalid:
        return _page(
            request,
            session,
            scope=scope,
            base_url=settings.base_url,
            filters=None,
            values=values,
            errors=invalid.errors,
        )
    # Recorded (and committed) before the first byte is sent: an export that starts is always in the log.
    exports.record_export(
        session, actor=user, export_format=query.format, filters=filters, scope=scope, ip_address=_client_ip(request)
    )
    export = exports.ExportRequest(
        export_format=query.format,
        filters=filters,
        scope=scope,
        locale=get_locale(),
        base_url=settings.base_url,
        labels=exports.labels_for(query.format),
    )
    filename = exports.export_filename(query.format, local_date())
    return StreamingResponse(
        exports.export_chunks(reading, export),
        media_type=exports.MEDIA_TYPES[query.format],
        headers={"content-disposition": attachment_disposition(filename), "cache-control": "no-store"},
    )
