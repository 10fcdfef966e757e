"""Administrators' pages for API tokens: create (shown once), list, revoke."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.deps import AdminUser
from app.accounts.service import list_organisations
from app.api import tokens
from app.api.schemas import TokenForm
from app.core.deps import FormData, SessionDep, SettingsDep
from app.core.errors import DomainError
from app.core.forms import FORM_ERROR_KEY, MAX_DB_ID, FormInvalid, errors_from, form_id, parse_form
from app.core.i18n import _, get_locale
from app.core.notices import with_notice
from app.core.templating import render

router = APIRouter()

TokenId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
# Pages that carry a token, or the nonce a token is made from, are never kept by the browser or a proxy.
NO_STORE = {"Cache-Control": "no-store"}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _page_number(request: Request) -> int:
    return form_id(request.query_params.get("page")) or 1


def _tokens_page(
    request: Request,
    session: Session,
    *,
    values: Mapping[str, str],
    errors: dict[str, str],
    nonce: str | None = None,
    status: int = 200,
) -> Response:
    locale = get_locale()
    listing = tokens.token_page(session, revoked=False, page=_page_number(request))
    organisations = [(organisation.id, organisation.name(locale)) for organisation in list_organisations(session)]
    response = render(
        request,
        "api/tokens.html",
        {
            "listing": listing,
            "organisations": organisations,
            "values": values,
            "errors": errors,
            "nonce": nonce or tokens.new_form_nonce(),
        },
        status_code=status,
    )
    response.headers.update(NO_STORE)
    return response


@router.get("/admin/api-tokens", name="api_tokens")
def tokens_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    return _tokens_page(request, session, values={}, errors={})


@router.get("/admin/api-tokens/revoked", name="api_tokens_revoked")
def revoked_tokens_page(request: Request, session: SessionDep, _user: AdminUser) -> Response:
    listing = tokens.token_page(session, revoked=True, page=_page_number(request))
    return render(request, "api/revoked_tokens.html", {"listing": listing})


@router.get("/admin/api-tokens/{token_id}/revoke", name="api_token_revoke_form")
def revoke_form(request: Request, token_id: TokenId, session: SessionDep, _user: AdminUser) -> Response:
    row = tokens.token_row(session, token_id=token_id)
    return render(request, "api/revoke.html", {"row": row})


@router.post("/admin/api-tokens", name="api_token_create")
def create_token(
    request: Request, session: SessionDep, settings: SettingsDep, user: AdminUser, form: FormData
) -> Response:
    try:
        data = parse_form(TokenForm, form)
        issued = tokens.create_token(
            session,
            secret=settings.secret,
            nonce=data.nonce,
            name=data.name,
            organisation_id=data.organisation_id,
            by=user,
            ip_address=_client_ip(request),
        )
    except FormInvalid as invalid:
        errors = dict(invalid.errors)
        # A broken nonce is a tampered or truncated form, not a typing mistake: start it afresh.
        broken_nonce = errors.pop("nonce", None) is not None
        if broken_nonce:
            errors[FORM_ERROR_KEY] = _("This form could not be read. Check the values and send it again.")
        nonce = None if broken_nonce else form.get("nonce")
        return _tokens_page(request, session, values=form, errors=errors, nonce=nonce, status=422)
    except tokens.TokenAlreadyCreated as conflict:
        return render(
            request,
            "api/token_already_created.html",
            {"existing": conflict.existing, "message": conflict.message},
            status_code=409,
        )
    except DomainError as error:
        if error.status_code != 422:
            raise
        return _tokens_page(
            request, session, values=form, errors=errors_from(error), nonce=form.get("nonce"), status=422
        )
    response = render(request, "api/token_created.html", {"issued": issued})
    response.headers.update(NO_STORE)
    return response


@router.post("/admin/api-tokens/{token_id}/revoke", name="api_token_revoke")
def revoke(request: Request, token_id: TokenId, session: SessionDep, user: AdminUser) -> Response:
    row = tokens.token_row(session, token_id=token_id)
    tokens.revoke_token(session, token=row.token, by=user, ip_address=_client_ip(request))
    return RedirectResponse(with_notice("/admin/api-tokens/revoked", "api-token-revoked"), status_code=303)
