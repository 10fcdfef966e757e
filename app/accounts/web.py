"""Accounts pages: register, sign in and out, password reset, profile and password change."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.accounts import service
from app.accounts.models import User
from app.accounts.schemas import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from app.core.access import PUBLIC, SIGNED_IN
from app.core.config import Settings
from app.core.deps import FormData, SessionDep, SettingsDep
from app.core.errors import DomainError
from app.core.forms import FormInvalid, errors_from, parse_form
from app.core.i18n import get_locale, language_name
from app.core.notices import with_notice
from app.core.security import safe_redirect_target
from app.core.templating import render

router = APIRouter()

OptionalUser = Annotated[User | None, Depends(PUBLIC)]
CurrentUser = Annotated[User, Depends(SIGNED_IN)]


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _signed_in_response(settings: Settings, url: str, token: str) -> RedirectResponse:
    response = _see_other(url)
    response.set_cookie(
        service.SESSION_COOKIE, token, httponly=True, samesite="lax", secure=settings.secure_cookies, path="/"
    )
    return response


# --- registration ----------------------------------------------------------------------------


def _register_page(
    request: Request, session: SessionDep, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "accounts/register.html",
        {
            "organisation_choices": [
                (organisation.id, organisation.name(get_locale()))
                for organisation in service.list_organisations(session)
            ],
            "values": values,
            "errors": errors,
            "language_choices": [(code, language_name(code)) for code in request.app.state.settings.locales],
        },
        status_code=status,
    )


@router.get("/register", name="register")
def register_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    if user is not None:
        return _see_other("/")
    return _register_page(request, session, {"locale": request.state.locale}, {})


@router.post("/register", name="register_submit")
def register_submit(
    request: Request, session: SessionDep, settings: SettingsDep, user: OptionalUser, form: FormData
) -> Response:
    if user is not None:
        return _see_other("/")
    try:
        data = parse_form(RegisterForm, form)
        new_user = service.register_user(session, form=data)
    except FormInvalid as invalid:
        return _register_page(request, session, form, invalid.errors, status=422)
    except DomainError as error:
        return _register_page(request, session, form, errors_from(error), status=error.status_code)
    token = service.start_session(
        session,
        settings=settings,
        user=new_user,
        ip_address=_client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return _signed_in_response(settings, with_notice(f"/?lang={new_user.locale}", "registered"), token)


# --- sign in and out -------------------------------------------------------------------------


@router.get("/login", name="login")
def login_page(request: Request, user: OptionalUser) -> Response:
    next_url = safe_redirect_target(request.query_params.get("next"))
    if user is not None:
        return _see_other(next_url)
    return render(request, "accounts/login.html", {"values": {"next": next_url}, "errors": {}})


@router.post("/login", name="login_submit")
def login_submit(
    request: Request, session: SessionDep, settings: SettingsDep, _user: OptionalUser, form: FormData
) -> Response:
    values = {"email": form.get("email", ""), "next": safe_redirect_target(form.get("next"))}
    try:
        data = parse_form(LoginForm, form)
        user = service.authenticate(
            session, settings=settings, email=data.email, password=data.password, ip_address=_client_ip(request)
        )
    except FormInvalid as invalid:
        return render(request, "accounts/login.html", {"values": values, "errors": invalid.errors}, status_code=422)
    except DomainError as error:
        return render(
            request,
            "accounts/login.html",
            {"values": values, "errors": errors_from(error)},
            status_code=error.status_code,
        )
    # A new session on every sign-in: an old cookie planted before sign-in cannot be reused.
    service.revoke_session(session, token=request.cookies.get(service.SESSION_COOKIE))
    token = service.start_session(
        session,
        settings=settings,
        user=user,
        ip_address=_client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return _signed_in_response(settings, with_notice(values["next"], "signed-in"), token)


@router.post("/logout", name="logout")
def logout(request: Request, session: SessionDep, _user: OptionalUser) -> Response:
    service.revoke_session(session, token=request.cookies.get(service.SESSION_COOKIE))
    response = _see_other(with_notice("/", "signed-out"))
    response.delete_cookie(service.SESSION_COOKIE, path="/")
    return response


# --- forgotten password ----------------------------------------------------------------------


@router.get("/forgot-password", name="forgot_password")
def forgot_password_page(request: Request, _user: OptionalUser) -> Response:
    return render(request, "accounts/forgot_password.html", {"values": {}, "errors": {}})


@router.post("/forgot-password", name="forgot_password_submit")
def forgot_password_submit(
    request: Request, session: SessionDep, settings: SettingsDep, _user: OptionalUser, form: FormData
) -> Response:
    try:
        data = parse_form(ForgotPasswordForm, form)
    except FormInvalid as invalid:
        return render(
            request, "accounts/forgot_password.html", {"values": form, "errors": invalid.errors}, status_code=422
        )
    service.request_password_reset(session, settings=settings, email=data.email)
    return _see_other(with_notice("/login", "reset-sent"))


@router.get("/reset-password/{token}", name="reset_password")
def reset_password_page(request: Request, token: str, session: SessionDep, _user: OptionalUser) -> Response:
    try:
        service.valid_reset_token(session, token=token)
    except DomainError as error:
        return render(request, "accounts/reset_invalid.html", {"message": error.message}, status_code=error.status_code)
    return render(request, "accounts/reset_password.html", {"token": token, "errors": {}})


@router.post("/reset-password/{token}", name="reset_password_submit")
def reset_password_submit(
    request: Request, token: str, session: SessionDep, _user: OptionalUser, form: FormData
) -> Response:
    try:
        # The link is checked before the form, so a dead link never shows a form to fill in again.
        reset = service.valid_reset_token(session, token=token)
        data = parse_form(ResetPasswordForm, form)
        service.reset_password(session, reset=reset, new_password=data.password)
    except FormInvalid as invalid:
        return render(
            request, "accounts/reset_password.html", {"token": token, "errors": invalid.errors}, status_code=422
        )
    except DomainError as error:
        return render(request, "accounts/reset_invalid.html", {"message": error.message}, status_code=error.status_code)
    response = _see_other(with_notice("/login", "password-reset"))
    response.delete_cookie(service.SESSION_COOKIE, path="/")
    return response


# --- profile ---------------------------------------------------------------------------------


def _profile_page(
    request: Request, user: User, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request,
        "accounts/profile.html",
        {
            "profile": user,
            "values": values,
            "errors": errors,
            "language_choices": [(code, language_name(code)) for code in request.app.state.settings.locales],
        },
        status_code=status,
    )


@router.get("/profile", name="profile")
def profile_page(request: Request, user: CurrentUser) -> Response:
    values = {"full_name": user.full_name, "job_title": user.job_title, "locale": user.locale}
    return _profile_page(request, user, values, {})


@router.post("/profile", name="profile_submit")
def profile_submit(request: Request, session: SessionDep, user: CurrentUser, form: FormData) -> Response:
    try:
        data = parse_form(ProfileForm, form)
    except FormInvalid as invalid:
        return _profile_page(request, user, form, invalid.errors, status=422)
    service.update_profile(session, user=user, form=data)
    return _see_other(with_notice(f"/profile?lang={data.locale}", "profile-saved"))


@router.get("/profile/password", name="change_password")
def change_password_page(request: Request, _user: CurrentUser) -> Response:
    return render(request, "accounts/change_password.html", {"errors": {}})


@router.post("/profile/password", name="change_password_submit")
def change_password_submit(
    request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser, form: FormData
) -> Response:
    try:
        data = parse_form(ChangePasswordForm, form)
        service.change_password(session, user=user, form=data)
    except FormInvalid as invalid:
        return render(request, "accounts/change_password.html", {"errors": invalid.errors}, status_code=422)
    except DomainError as error:
        return render(
            request, "accounts/change_password.html", {"errors": errors_from(error)}, status_code=error.status_code
        )
    token = service.start_session(
        session,
        settings=settings,
        user=user,
        ip_address=_client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return _signed_in_response(settings, with_notice("/profile", "password-changed"), token)
