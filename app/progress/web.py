"""Learner pages of progress (My learning, competency profile, certificates) and public certificate checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from app.accounts.models import User
from app.core.access import PUBLIC, SIGNED_IN, Role
from app.core.deps import SessionDep, SettingsDep
from app.core.i18n import _, get_locale, local_date
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.progress import certificates, dashboard, report
from app.progress.competencies import competency_profile, profile_document
from app.progress.documents import profile_pdf

router = APIRouter()

CurrentUser = Annotated[User, Depends(SIGNED_IN)]
OptionalUser = Annotated[User | None, Depends(PUBLIC)]
PDF_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@router.get("/my/learning", name="my_learning")
def my_learning_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    view = dashboard.my_learning(session, user=user)
    return render(request, "progress/my_learning.html", {"view": view, "state_labels": report.state_labels()})


@router.get("/my/competencies", name="my_competencies")
def competency_profile_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return render(request, "progress/competencies.html", {"profile": competency_profile(session, user=user)})


@router.get("/my/competencies.pdf", name="my_competencies_pdf")
def competency_profile_download(session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    profile = competency_profile(session, user=user)
    today = local_date()
    document = profile_document(session, profile=profile, user=user, locale=get_locale(), site_url=settings.base_url)
    data = profile_pdf(document)
    return Response(
        data,
        media_type="application/pdf",
        headers={
            **PDF_HEADERS,
            "Content-Disposition": attachment_disposition(f"klasteris-competencies-{today.isoformat()}.pdf"),
        },
    )


@router.get("/my/certificates/{certificate_code}", name="certificate_pdf")
def certificate_download(
    certificate_code: str, session: SessionDep, settings: SettingsDep, user: CurrentUser
) -> Response:
    certificate, data = certificates.own_certificate_pdf(
        session,
        code=certificate_code,
        user=user,
        is_admin=Role.ADMIN in user.role_set,
        base_url=settings.base_url,
    )
    return Response(
        data,
        media_type="application/pdf",
        headers={**PDF_HEADERS, "Content-Disposition": attachment_disposition(certificates.pdf_filename(certificate))},
    )


@router.get("/verify", name="verify_form")
def verify_form(request: Request, session: SessionDep, _user: OptionalUser) -> Response:
    typed = (request.query_params.get("code") or "").strip()[:64]
    if typed:
        code = certificates.normalise_code(typed)
        if code is not None:
            return RedirectResponse(f"/verify/{code}", status_code=303)
        return render(
            request,
            "progress/verify.html",
            {
                "certificate": None,
                "typed": typed,
                "asked": False,
                "errors": {"code": _("A code has 16 letters and digits, like K7Q2-M9XD-4HBT-Z3PN.")},
            },
            status_code=422,
        )
    return render(request, "progress/verify.html", {"certificate": None, "typed": "", "errors": {}, "asked": False})


@router.get("/verify/{certificate_code}", name="verify")
def verify_page(request: Request, certificate_code: str, session: SessionDep, _user: OptionalUser) -> Response:
    certificate = certificates.find_for_verification(session, certificate_code)
    return render(
        request,
        "progress/verify.html",
        {"certificate": certificate, "typed": certificate_code[:64], "errors": {}, "asked": True},
        status_code=200 if certificate is not None else 404,
    )


@router.get("/verify/{certificate_code}/credential.json", name="verify_credential")
def verify_credential(
    certificate_code: str, session: SessionDep, settings: SettingsDep, _user: OptionalUser
) -> Response:
    certificate = certificates.find_for_verification(session, certificate_code)
    if certificate is None:
        raise certificates.certificate_missing()
    return JSONResponse(
        certificates.open_badge_credential(certificate, base_url=settings.base_url),
        media_type="application/ld+json",
        headers={"Cache-Control": "no-cache"},
    )
