"""The programme indicators dashboard and its XLSX download."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import ManagerUser
from app.core.deps import SessionDep
from app.core.forms import FormInvalid, parse_form, query_values
from app.core.i18n import get_locale
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.reports import indicator_export
from app.reports.indicators import IndicatorFilters, IndicatorQuery, indicators_view
from app.reports.scope import report_scope

router = APIRouter()

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filters(request: Request) -> tuple[IndicatorFilters | None, dict[str, str], dict[str, str]]:
    values = query_values(request)
    try:
        return parse_form(IndicatorQuery, values).filters(), values, {}
    except FormInvalid as invalid:
        return None, values, invalid.errors


def _dashboard(
    request: Request,
    session: SessionDep,
    user: ManagerUser,
    filters: IndicatorFilters | None,
    values: dict[str, str],
    errors: dict[str, str],
) -> Response:
    view = indicators_view(session, scope=report_scope(user), filters=filters, locale=get_locale())
    query = urlencode({key: values[key] for key in ("from", "to", "organisation") if values.get(key)})
    return render(
        request,
        "reports/indicators.html",
        {
            "view": view,
            "values": values,
            "errors": errors,
            "query": f"?{query}" if query else "",
            "how_counted": indicator_export.how_counted(),
            "satisfaction_unavailable": (
                indicator_export.satisfaction_unavailable(view.indicators.filters) if view.indicators else ""
            ),
        },
        status_code=422 if errors else 200,
    )


@router.get("/reports/indicators", name="indicators")
def indicators_page(request: Request, session: SessionDep, user: ManagerUser) -> Response:
    filters, values, errors = _filters(request)
    return _dashboard(request, session, user, filters, values, errors)


@router.get("/reports/indicators.xlsx", name="indicators_xlsx")
def indicators_xlsx(request: Request, session: SessionDep, user: ManagerUser) -> Response:
    filters, values, errors = _filters(request)
    if filters is None:
        return _dashboard(request, session, user, filters, values, errors)
    download = indicator_export.export_indicators(
        session,
        reader=user,
        filters=filters,
        locale=get_locale(),
        ip_address=request.client.host if request.client else "",
    )
    return Response(
        download.content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"content-disposition": attachment_disposition(download.filename)},
    )
