"""The API's access policy (a bearer token, not a browser session) and its JSON error answers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.api.schemas import N_
from app.api.tokens import ApiClient, ApiUnauthorized, admit_request
from app.core.access import Policy
from app.core.config import Settings
from app.core.deps import SessionDep
from app.core.i18n import _, negotiate_locale, set_locale

API_PATH_PREFIX = "/api/"

bearer = HTTPBearer(
    scheme_name="ApiToken",
    bearerFormat="kls_…",
    description=N_("An API token made by an administrator on the API tokens page, sent as Authorization: Bearer kls_…"),
    auto_error=False,
)
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def api_locale(request: Request, settings: Settings) -> str:
    """The language of messages and titles: ?lang=, then Accept-Language, then the default (never a cookie)."""
    requested = request.query_params.get("lang")
    if requested in settings.locales:
        return requested
    return negotiate_locale(request.headers.get("accept-language"), settings.locales) or settings.default_locale


def _admit(session: Session, token: str, limit: int) -> ApiClient:
    client = admit_request(session, token=token, limit=limit)
    # Committed at once, on its own: the request counts against the limit (and the last use is kept)
    # even when the read that follows fails with 404 or 422. The API only reads after this point.
    session.commit()
    return client


@dataclass(frozen=True, eq=False)
class ApiTokenPolicy(Policy):
    """API routes: a valid, unrevoked token within its rate limit. Browser sessions never count here."""

    async def __call__(  # type: ignore[override]
        self, request: Request, response: Response, session: SessionDep, credentials: BearerCredentials
    ) -> ApiClient:
        # Async, like Policy: the locale set here is then visible to the handler's worker thread.
        settings: Settings = request.app.state.settings
        locale = api_locale(request, settings)
        set_locale(locale)
        request.state.locale = locale
        if credentials is None:
            raise ApiUnauthorized(_("Send an API token in the Authorization header: Bearer kls_…"))
        client = await run_in_threadpool(_admit, session, credentials.credentials, settings.api_rate_limit_per_minute)
        response.headers.update(client.rate.headers)
        response.headers["Content-Language"] = locale
        # Personal data: no shared cache may keep a copy.
        response.headers["Cache-Control"] = "no-store"
        return client


API_TOKEN = ApiTokenPolicy("api_token", login_required=True)
ApiClientDep = Annotated[ApiClient, Depends(API_TOKEN)]


# --- JSON errors for everything under /api/ ----------------------------------------------------------


def is_api_request(request: Request) -> bool:
    return request.url.path.startswith(API_PATH_PREFIX)


def default_api_message(status_code: int) -> str:
    messages = {
        400: _("The request could not be processed."),
        401: _("The API token is missing, unknown or revoked."),
        403: _("This token may not read this."),
        404: _("Not found."),
        405: _("This method is not allowed here; the API only reads (GET)."),
        422: _("Some parameters are not valid."),
        429: _("Too many requests."),
    }
    return messages.get(status_code, _("Something went wrong on our side. Try again later."))


def api_error_response(
    status_code: int, message: str | None = None, *, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        {"detail": message or default_api_message(status_code)},
        status_code=status_code,
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def api_validation_response(errors: Sequence[Any]) -> JSONResponse:
    """422 with one entry per bad parameter: where it is (query, path, header), its name and what is wrong."""
    problems = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())] or [""]
        problems.append({"location": location[0], "parameter": ".".join(location[1:]), "message": _message(error)})
    return JSONResponse(
        {"detail": default_api_message(422), "errors": problems},
        status_code=422,
        headers={"Cache-Control": "no-store"},
    )


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind.startswith("klasteris_"):
        return str(error.get("msg", ""))  # our own validators' messages are translated already
    if kind == "missing":
        return _("This parameter is required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Give a whole number.")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return _("The number is outside the allowed range.")
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_from_datetime_inexact", "date_type"):
        return _("Give a date as YYYY-MM-DD.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Give true or false.")
    if kind in ("enum", "literal_error"):
        return _("Give one of the allowed values.")
    if kind in ("string_too_long", "string_too_short", "string_pattern_mismatch"):
        return _("The value is too long, too short or has characters that are not allowed.")
    return _("This value is not valid.")
