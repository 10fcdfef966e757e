"""Application factory: create_app(settings) wires settings, database, templates, middleware and routers."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import models  # noqa: F401 - registers every mapper before the first query
from app.accounts import service as accounts_service
from app.accounts.admin_web import router as people_admin_router
from app.accounts.import_web import router as user_import_router
from app.accounts.web import router as accounts_router
from app.api.auth import api_error_response, api_validation_response, is_api_request
from app.api.tokens_web import router as api_tokens_router
from app.api.v1 import router as api_v1_router
from app.audit.web import router as audit_router
from app.core.access import PUBLIC
from app.core.config import Settings
from app.core.csrf import csrf_protect
from app.core.db import make_engine, make_sessionmaker
from app.core.errors import DomainError, LoginRequired
from app.core.i18n import _
from app.core.middleware import (
    SECURITY_HEADERS,
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from app.core.templating import STATIC_DIR, make_templates, render
from app.courses.staff_web import router as course_staff_router
from app.courses.web import router as courses_router
from app.events import wiring as events_wiring
from app.events.attendance_web import router as attendance_router
from app.events.manage_web import router as event_manage_router
from app.events.web import router as events_router
from app.privacy.web import router as privacy_router
from app.progress import wiring as progress_wiring
from app.progress.manage_web import router as progress_manage_router
from app.progress.web import router as progress_router
from app.quizzes.bank_web import router as question_bank_router
from app.quizzes.manage_web import router as quiz_manage_router
from app.quizzes.results_web import router as quiz_results_router
from app.quizzes.web import router as quizzes_router
from app.reports.indicators_web import router as indicators_router
from app.reports.web import router as reports_router
from app.site.web import router as site_router
from app.surveys import wiring as surveys_wiring
from app.surveys.manage_web import router as survey_manage_router
from app.surveys.web import router as surveys_router
from app.toolkits import wiring as toolkits_wiring
from app.toolkits.backends import make_storage
from app.toolkits.manage_web import STREAMED_UPLOAD_PATHS
from app.toolkits.manage_web import router as toolkit_manage_router
from app.toolkits.web import router as toolkits_router

logger = logging.getLogger("klasteris")

MAX_REQUEST_BYTES = 2 * 1024 * 1024


def _error_page(request: Request, status_code: int, message: str | None = None) -> Response:
    titles = {
        400: _("The request could not be processed"),
        403: _("Access denied"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        409: _("This conflicts with existing data"),
        413: _("The request is too large"),
        422: _("Some information is missing or not valid"),
        429: _("Too many attempts"),
    }
    if status_code == 404 and message is None:
        message = _("The page you are looking for does not exist or has been moved.")
    return render(
        request,
        "errors/error.html",
        {"status_code": status_code, "title": titles.get(status_code, _("Something went wrong")), "message": message},
        status_code=status_code,
    )


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target if request.method == 'GET' else '/'}", status_code=303)

    # Under /api/ errors are JSON ({"detail": …}) for programs; everywhere else they are pages for people.
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if is_api_request(request):
            return api_error_response(exc.status_code, exc.message, headers=getattr(exc, "headers", None))
        return _error_page(request, exc.status_code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_api_request(request):
            return api_error_response(exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if is_api_request(request):
            return api_validation_response(exc.errors())
        return _error_page(request, 422, _("Check the web address or the information in the form and try again."))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if is_api_request(request):
            response = api_error_response(500)
            response.headers.update(SECURITY_HEADERS)
            return response
        response = render(request, "errors/server_error.html", {}, status_code=500)
        # Starlette answers crashes outside our middleware stack, so the headers are added here too.
        response.headers.update(SECURITY_HEADERS)
        return response


def create_app(settings: Settings) -> FastAPI:
    progress_wiring.connect()  # completion follows lesson ticks and quiz grades from here on
    toolkits_wiring.connect()  # the course page lists the course's toolkits
    events_wiring.connect()
    surveys_wiring.connect(settings)  # invitations (and their mail) follow events held and courses completed

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if getattr(app.state, "engine", None) is None:
            app.state.engine = make_engine(settings.database_url)
            app.state.sessionmaker = make_sessionmaker(app.state.engine)
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="Klasteris",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.settings = settings
    app.state.engine = None
    app.state.templates = make_templates()
    app.state.principal_loader = accounts_service.principal_from_request
    app.state.storage = make_storage(settings)

    app.include_router(site_router)
    app.include_router(accounts_router)
    app.include_router(courses_router)
    app.include_router(quizzes_router)
    app.include_router(quiz_manage_router)
    app.include_router(question_bank_router)
    app.include_router(quiz_results_router)
    app.include_router(progress_router)
    app.include_router(progress_manage_router)
    app.include_router(toolkits_router)
    app.include_router(toolkit_manage_router)
    app.include_router(people_admin_router)
    app.include_router(user_import_router)
    app.include_router(course_staff_router)
    app.include_router(reports_router)
    app.include_router(indicators_router)
    app.include_router(privacy_router)
    app.include_router(api_tokens_router)
    app.include_router(api_v1_router)
    app.include_router(audit_router)
    app.include_router(events_router)
    app.include_router(event_manage_router)
    app.include_router(attendance_router)
    app.include_router(surveys_router)
    app.include_router(survey_manage_router)
    static = StaticFiles(directory=STATIC_DIR)
    app.mount("/static", static, name="static")
    app.router.routes[-1].access_policy = PUBLIC  # type: ignore[attr-defined]

    _install_error_handlers(app)
    # Outermost last: security headers wrap every response, including the 413 refusal.
    app.add_middleware(RequestContextMiddleware, settings=settings)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_REQUEST_BYTES, streamed_uploads=STREAMED_UPLOAD_PATHS)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies)
    return app


def app_factory() -> FastAPI:
    """Entry point for `uvicorn app.main:app_factory --factory`."""
    return create_app(Settings())
