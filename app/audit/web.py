"""The audit log page for administrators."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import AdminUser
from app.audit.schemas import AuditQuery
from app.audit.service import AuditAction, audit_page
from app.core.deps import SessionDep
from app.core.forms import FormInvalid, parse_form, query_values
from app.core.templating import render

router = APIRouter()


@router.get("/admin/audit", name="audit_log")
def audit_log(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    values = query_values(request)
    errors: dict[str, str] = {}
    try:
        query = parse_form(AuditQuery, values)
    except FormInvalid as invalid:
        query, errors = AuditQuery(), invalid.errors
    page = audit_page(session, filters=query.filters(), page=query.page)
    kept = {key: value for key, value in values.items() if key != "page" and value and not errors}
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "values": values,
            "errors": errors,
            "actions": [(action.value, action.label) for action in AuditAction],
            "labels": {action.value: action.label for action in AuditAction},
            "page_link": "/admin/audit?" + urlencode({**kept, "page": ""}),
        },
        status_code=422 if errors else 200,
    )
