"""Trainer and administrator pages of progress: course progress report, completion criteria, certificates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import ADMIN, TRAINER
from app.core.deps import FormData, SessionDep
from app.core.errors import DomainError
from app.core.forms import FormInvalid, errors_from, form_id, parse_form, query_values
from app.core.i18n import get_locale
from app.core.notices import with_notice
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.progress import certificates, report, rules
from app.progress.completion import Criteria
from app.progress.models import Certificate
from app.progress.schemas import CriteriaForm, RevokeForm
from app.progress.wiring import certify

router = APIRouter()

TrainerUser = Annotated[User, Depends(TRAINER)]
AdminUser = Annotated[User, Depends(ADMIN)]


def _filters(request: Request) -> tuple[report.ReportFilters, dict[str, str], dict[str, str]]:
    values = query_values(request)
    try:
        return parse_form(report.ReportFilters, values), values, {}
    except FormInvalid as invalid:
        return report.ReportFilters(), values, invalid.errors


@router.get("/courses/{code}/progress", name="course_progress")
def progress_report_page(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    filters, values, errors = _filters(request)
    view = report.progress_report(session, code=code, user=user, filters=filters, locale=get_locale())
    return render(
        request,
        "progress/report.html",
        {
            "view": view,
            "course": view.course,
            "values": values,
            "errors": errors,
            "state_labels": report.state_labels(),
        },
        status_code=422 if errors else 200,
    )


@router.get("/courses/{code}/progress.csv", name="course_progress_csv")
def progress_report_csv(request: Request, code: str, session: SessionDep, user: TrainerUser) -> Response:
    filters, _values, _errors = _filters(request)
    view = report.progress_report(session, code=code, user=user, filters=filters, locale=get_locale())
    return StreamingResponse(
        report.report_csv(view),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": attachment_disposition(f"{view.course.code}-progress.csv")},
    )


# --- administrators: completion criteria --------------------------------------------------------------


def _criteria_page(
    request: Request,
    session: Session,
    code: str,
    values: Mapping[str, object],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    page = rules.criteria_page(session, code=code)
    return render(
        request, "progress/criteria.html", {"page": page, "values": values, "errors": errors}, status_code=status
    )


@router.get("/admin/courses/{code}/completion", name="completion_criteria")
def criteria_form(request: Request, code: str, session: SessionDep, _user: AdminUser) -> Response:
    current = rules.criteria_page(session, code=code).criteria
    values = {
        "require_lessons": current.lessons,
        "require_quiz": current.quiz,
        "require_attendance": current.attendance,
    }
    return _criteria_page(request, session, code, values, {})


@router.post("/admin/courses/{code}/completion", name="completion_criteria_save")
def criteria_save(request: Request, code: str, session: SessionDep, user: AdminUser, form: FormData) -> Response:
    try:
        data = parse_form(CriteriaForm, form)
        rules.save_criteria(
            session,
            code=code,
            criteria=Criteria(lessons=data.require_lessons, quiz=data.require_quiz, attendance=data.require_attendance),
            by=user,
            on_completed=certify,
        )
    except FormInvalid as invalid:
        return _criteria_page(request, session, code, dict(form), invalid.errors, status=422)
    except DomainError as error:
        if error.status_code != 422:
            raise
        return _criteria_page(request, session, code, dict(form), errors_from(error), status=422)
    return RedirectResponse(with_notice(f"/admin/courses/{code}/completion", "criteria-saved"), status_code=303)


# --- administrators: certificates ----------------------------------------------------------------------


@router.get("/admin/certificates", name="admin_certificates")
def certificates_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    query = (request.query_params.get("q") or "")[:200]
    page = form_id(request.query_params.get("page")) or 1
    rows, total = certificates.admin_certificates(session, query=query, page=page)
    pages = max(1, -(-total // certificates.ADMIN_PAGE_SIZE))
    return render(
        request,
        "progress/admin_certificates.html",
        {"rows": rows, "total": total, "query": query, "page": min(page, pages), "pages": pages},
    )


def _revoke_page(
    request: Request, certificate: Certificate, values: Mapping[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "progress/revoke.html",
        {"certificate": certificate, "values": values, "errors": errors},
        status_code=status,
    )


@router.get("/admin/certificates/{certificate_code}/revoke", name="certificate_revoke_form")
def revoke_form(request: Request, certificate_code: str, session: SessionDep, _user: AdminUser) -> Response:
    certificate = certificates.revoke_target(session, code=certificate_code)
    return _revoke_page(request, certificate, {}, {})


@router.post("/admin/certificates/{certificate_code}/revoke", name="certificate_revoke")
def revoke(request: Request, certificate_code: str, session: SessionDep, user: AdminUser, form: FormData) -> Response:
    certificate = certificates.revoke_target(session, code=certificate_code)
    try:
        data = parse_form(RevokeForm, form)
    except FormInvalid as invalid:
        return _revoke_page(request, certificate, form, invalid.errors, status=422)
    certificates.revoke_certificate(session, certificate=certificate, reason=data.reason, by=user)
    return RedirectResponse(with_notice(f"/verify/{certificate.code}", "certificate-revoked"), status_code=303)
