"""Home page, the administration and reports menus, and the health check used by load balancers."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy import text

from app.accounts import service as accounts
from app.accounts.deps import AdminUser, ManagerUser, OptionalUser
from app.core.deps import SessionDep
from app.core.templating import render
from app.site.panels import home_panels

router = APIRouter()


@router.get("/", name="home")
def home(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    return render(
        request,
        "site/home.html",
        {"organisations": accounts.list_organisations(session), "panels": home_panels(session, user)},
    )


@router.get("/admin", name="administration")
def administration(request: Request, _user: AdminUser) -> Response:
    return render(request, "site/administration.html", {})


@router.get("/reports", name="reports")
def reports(request: Request, _user: ManagerUser) -> Response:
    return render(request, "site/reports.html", {})


@router.get("/healthz", name="health", response_class=PlainTextResponse)
def health(session: SessionDep, _user: OptionalUser) -> Response:
    session.execute(text("SELECT 1"))
    return PlainTextResponse("ok")
