"""API tokens: issuing (shown once, stored as a digest), listing, revoking, and admitting requests under a rate limit."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from app.accounts.models import Organisation, User
from app.api.models import ApiToken
from app.audit.service import AuditAction, record
from app.core.db import UTCDateTime, utcnow
from app.core.errors import Conflict, DomainError, NotFound, TooManyRequests, Unprocessable
from app.core.i18n import _
from app.core.security import token_digest
from app.reports.scope import ReportScope

TOKEN_PREFIX = "kls_"
# What lists show of a token: "kls_" and eight characters, enough to tell a handful of tokens apart.
SHOWN_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
MAX_TOKEN_LENGTH = 200
RATE_WINDOW = dt.timedelta(minutes=1)
TOKEN_PAGE_SIZE = 50
FORM_NONCE_LENGTH = 43  # secrets.token_urlsafe(32)


# --- errors the API answers with (JSON, with the headers a client needs) -----------------------------


class ApiUnauthorized(DomainError):
    """No token, or one that is unknown or revoked."""

    status_code = 401

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="klasteris-api"'}


class RateLimitExceeded(TooManyRequests):
    def __init__(self, message: str, *, limit: int, retry_after: int) -> None:
        super().__init__(message)
        self.limit = limit
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Retry-After": str(self.retry_after),
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(self.retry_after),
        }


# --- issuing -----------------------------------------------------------------------------------------


def new_form_nonce() -> str:
    return secrets.token_urlsafe(32)


def token_for_nonce(secret: bytes, nonce: str) -> str:
    """The token a creation form stands for: a keyed hash of the form's one-time nonce.

    As unguessable as a random token (256 bits from a secret-keyed PRF over 256 random bits), but the same
    form sent twice yields the same token, so the unique digest turns a double submit into a conflict.
    """
    mac = hmac.new(secret, b"api-token:" + nonce.encode(), hashlib.sha256).digest()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    organisation: Organisation | None
    # The token itself: shown on the answer to the creation form and nowhere else, ever.
    secret: str


class TokenAlreadyCreated(Conflict):
    def __init__(self, message: str, *, existing: ApiToken | None) -> None:
        super().__init__(message)
        self.existing = existing


def create_token(
    session: Session,
    *,
    secret: bytes,
    nonce: str,
    name: str,
    organisation_id: int | None,
    by: User,
    ip_address: str = "",
) -> IssuedToken:
    organisation = session.get(Organisation, organisation_id) if organisation_id is not None else None
    if organisation_id is not None and organisation is None:
        raise Unprocessable(_("Choose one of the organisations in the list."), field="organisation_id")
    token = token_for_nonce(secret, nonce)
    digest = token_digest(token)
    already = _already_created(session, digest)
    if already is not None:
        raise already
    api_token = ApiToken(
        name=name,
        token_prefix=token[:SHOWN_PREFIX_LENGTH],
        token_digest=digest,
        created_by_id=by.id,
        organisation_id=organisation_id,
        window_count=0,
    )
    try:
        # A savepoint: when two submits of one form race, the loser's insert fails alone and becomes a 409.
        with session.begin_nested():
            session.add(api_token)
    except IntegrityError:
        raise _already_created(session, digest) or Conflict(_("This token has already been created.")) from None
    record(
        session,
        actor=by,
        action=AuditAction.API_TOKEN_CREATED,
        target_type="api_token",
        target_id=api_token.id,
        details={"name": name, "prefix": api_token.token_prefix, "organisation_id": organisation_id},
        ip_address=ip_address,
    )
    return IssuedToken(token=api_token, organisation=organisation, secret=token)


def _already_created(session: Session, digest: str) -> TokenAlreadyCreated | None:
    existing = session.scalar(select(ApiToken).where(ApiToken.token_digest == digest))
    if existing is None:
        return None
    return TokenAlreadyCreated(
        _("This form was already sent, and its token has been created. It is not shown a second time."),
        existing=existing,
    )


# --- listing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenRow:
    token: ApiToken
    organisation: Organisation | None
    created_by: str
    revoked_by: str


@dataclass(frozen=True)
class TokenPage:
    rows: list[TokenRow]
    total: int
    page: int
    page_count: int


def token_page(session: Session, *, revoked: bool, page: int = 1) -> TokenPage:
    """Working tokens (newest first) or revoked ones (most recently revoked first), with names in one statement."""
    condition = ApiToken.revoked_at.is_not(None) if revoked else ApiToken.revoked_at.is_(None)
    total = session.scalar(select(func.count()).select_from(ApiToken).where(condition)) or 0
    page_count = max(1, -(-total // TOKEN_PAGE_SIZE))
    page = min(max(page, 1), page_count)
    creator, revoker = aliased(User), aliased(User)
    order = (ApiToken.revoked_at.desc(), ApiToken.id.desc()) if revoked else (ApiToken.id.desc(),)
    rows = session.execute(
        select(ApiToken, Organisation, creator.full_name, revoker.full_name)
        .outerjoin(Organisation, Organisation.id == ApiToken.organisation_id)
        .outerjoin(creator, creator.id == ApiToken.created_by_id)
        .outerjoin(revoker, revoker.id == ApiToken.revoked_by_id)
        .where(condition)
        .order_by(*order)
        .offset((page - 1) * TOKEN_PAGE_SIZE)
        .limit(TOKEN_PAGE_SIZE)
    )
    return TokenPage(
        rows=[
            TokenRow(token=token, organisation=organisation, created_by=created or "", revoked_by=revoked_name or "")
            for token, organisation, created, revoked_name in rows
        ],
        total=total,
        page=page,
        page_count=page_count,
    )


def token_row(session: Session, *, token_id: int) -> TokenRow:
    """One token with its organisation and the people's names, for the revoke page; 404 when unknown."""
    creator, revoker = aliased(User), aliased(User)
    found = session.execute(
        select(ApiToken, Organisation, creator.full_name, revoker.full_name)
        .outerjoin(Organisation, Organisation.id == ApiToken.organisation_id)
        .outerjoin(creator, creator.id == ApiToken.created_by_id)
        .outerjoin(revoker, revoker.id == ApiToken.revoked_by_id)
        .where(ApiToken.id == token_id)
    ).one_or_none()
    if found is None:
        raise NotFound(_("This API token was not found."))
    token, organisation, created, revoked_name = found
    return TokenRow(token=token, organisation=organisation, created_by=created or "", revoked_by=revoked_name or "")


# --- revoking ----------------------------------------------------------------------------------------


def revoke_token(session: Session, *, token: ApiToken, by: User, ip_address: str = "") -> bool:
    """Revoke at once for every worker; a second revoke (double submit) changes nothing. True if this one did it."""
    revoked = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=by.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(token)
    if revoked != 1:
        return False
    record(
        session,
        actor=by,
        action=AuditAction.API_TOKEN_REVOKED,
        target_type="api_token",
        target_id=token.id,
        details={"name": token.name, "prefix": token.token_prefix},
        ip_address=ip_address,
    )
    return True


# --- admitting API requests --------------------------------------------------------------------------


@dataclass(frozen=True)
class RateWindow:
    limit: int
    used: int
    resets_in: int  # whole seconds until the window starts again

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.resets_in),
        }


@dataclass(frozen=True)
class ApiClient:
    """Who is calling the API: a token (never a person), and what it may see."""

    token_id: int
    name: str
    organisation_id: int | None
    rate: RateWindow

    @property
    def scope(self) -> ReportScope:
        return ReportScope(organisation_id=self.organisation_id)


def admit_request(session: Session, *, token: str, limit: int, now: dt.datetime | None = None) -> ApiClient:
    """Find the token and count the request in its one-minute window, in ONE atomic UPDATE … RETURNING.

    Every worker process increments the same row, and the database serialises the increments, so the
    limit holds however many processes serve the API. The same statement records the token's last use.
    """
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN_LENGTH:
        raise ApiUnauthorized(_("The API token is missing, unknown or revoked."))
    now = now or utcnow()
    window_open = and_(ApiToken.window_started_at.is_not(None), ApiToken.window_started_at > now - RATE_WINDOW)
    admitted = session.execute(
        update(ApiToken)
        .where(ApiToken.token_digest == token_digest(token), ApiToken.revoked_at.is_(None))
        .values(
            window_started_at=case((window_open, ApiToken.window_started_at), else_=literal(now, UTCDateTime())),
            window_count=case((window_open, ApiToken.window_count + 1), else_=1),
            last_used_at=now,
        )
        .returning(
            ApiToken.id, ApiToken.name, ApiToken.organisation_id, ApiToken.window_started_at, ApiToken.window_count
        )
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if admitted is None:
        raise ApiUnauthorized(_("The API token is missing, unknown or revoked."))
    token_id, name, organisation_id, window_started_at, used = admitted
    resets_in = max(1, math.ceil((window_started_at + RATE_WINDOW - now).total_seconds()))
    if used > limit:
        raise RateLimitExceeded(
            _("Too many requests with this API token. Wait %(seconds)s seconds and try again.", seconds=resets_in),
            limit=limit,
            retry_after=resets_in,
        )
    return ApiClient(
        token_id=token_id,
        name=name,
        organisation_id=organisation_id,
        rate=RateWindow(limit=limit, used=used, resets_in=resets_in),
    )
