"""Accounts services: registration, sign-in with throttling, sessions, password reset and profiles."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import LoginAttempt, Organisation, PasswordResetToken, User, UserRole, UserSession
from app.accounts.partners import PARTNER_INSTITUTIONS
from app.accounts.schemas import ChangePasswordForm, ProfileForm, RegisterForm, normalise_email
from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, DomainError, TooManyRequests, Unprocessable
from app.core.i18n import _, collation_key, get_locale, using_locale
from app.core.mail import send_mail
from app.core.security import hash_password, new_token, password_needs_rehash, token_digest, verify_password

SESSION_COOKIE = "klasteris_session"
# Refreshing last_seen on every request would turn every page view into a write.
SESSION_TOUCH_INTERVAL = dt.timedelta(minutes=5)


# --- organisations -------------------------------------------------------------------------


def seed_partner_organisations(session: Session) -> int:
    """Create the partner institutions that are missing; existing rows keep any edits. Returns how many were added."""
    existing = set(session.scalars(select(Organisation.slug)))
    added = 0
    for partner in PARTNER_INSTITUTIONS:
        if partner.slug in existing:
            continue
        session.add(
            Organisation(
                slug=partner.slug,
                name_lt=partner.name_lt,
                name_en=partner.name_en,
                website=partner.website,
                country=partner.country,
            )
        )
        added += 1
    session.flush()
    return added


def list_organisations(session: Session) -> list[Organisation]:
    organisations = list(session.scalars(select(Organisation)))
    locale = get_locale()
    return sorted(organisations, key=lambda org: collation_key(org.name(locale), locale))


# --- registration and profile --------------------------------------------------------------


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(func.count()).select_from(User).where(User.email == email.lower())) != 0


def register_user(session: Session, *, form: RegisterForm) -> User:
    if email_taken(session, form.email):
        raise Conflict(
            _("An account with this email address already exists. Sign in or reset your password."), field="email"
        )
    if session.get(Organisation, form.organisation_id) is None:
        raise Unprocessable(_("Choose your organisation from the list."), field="organisation_id")
    user = User(
        email=form.email,
        full_name=form.full_name,
        job_title=form.job_title,
        organisation_id=form.organisation_id,
        locale=form.locale,
        password_hash=hash_password(form.password),
        is_active=True,
    )
    user.roles = [UserRole(role=Role.LEARNER)]
    session.add(user)
    session.flush()
    return user


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    roles: set[Role],
    organisation_id: int | None = None,
    job_title: str = "",
    locale: str = "lt",
    password: str | None = None,
) -> User:
    """Create an account directly (command line, administrators, tests)."""
    normalised = normalise_email(email)
    if email_taken(session, normalised):
        raise Conflict(_("An account with this email address already exists."), field="email")
    user = User(
        email=normalised,
        full_name=full_name,
        job_title=job_title,
        organisation_id=organisation_id,
        locale=locale,
        password_hash=hash_password(password) if password else None,
        is_active=True,
    )
    user.roles = [UserRole(role=role) for role in sorted(roles)]
    session.add(user)
    session.flush()
    return user


def create_admin(session: Session, *, email: str, full_name: str) -> tuple[User, str]:
    """A new administrator with a one-time generated password (there are no default passwords)."""
    password = secrets.token_urlsafe(15)
    user = create_user(
        session, email=email, full_name=full_name, roles={Role.ADMIN, Role.TRAINER, Role.LEARNER}, password=password
    )
    return user, password


def update_profile(session: Session, *, user: User, form: ProfileForm) -> User:
    user.full_name = form.full_name
    user.job_title = form.job_title
    user.locale = form.locale
    session.flush()
    return user


# --- sign-in, throttling and sessions ------------------------------------------------------


class ThrottledError(TooManyRequests):
    pass


def _failures_since(session: Session, *, column: object, value: str, since: dt.datetime) -> int:
    last_success = select(func.max(LoginAttempt.created_at)).where(column == value, LoginAttempt.succeeded.is_(True))
    return (
        session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                column == value,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.created_at >= since,
                LoginAttempt.created_at > func.coalesce(last_success.scalar_subquery(), since),
            )
        )
        or 0
    )


def check_login_throttle(session: Session, *, settings: Settings, email: str, ip_address: str) -> None:
    since = utcnow() - dt.timedelta(minutes=settings.login_lockout_minutes)
    account_failures = _failures_since(session, column=LoginAttempt.email, value=email, since=since)
    ip_failures = _failures_since(session, column=LoginAttempt.ip_address, value=ip_address, since=since)
    if account_failures >= settings.login_max_failures_per_account or ip_failures >= settings.login_max_failures_per_ip:
        raise ThrottledError(
            _(
                "Too many failed sign-in attempts. Wait %(minutes)s minutes and try again, or reset your password.",
                minutes=settings.login_lockout_minutes,
            )
        )


def authenticate(session: Session, *, settings: Settings, email: str, password: str, ip_address: str) -> User:
    email = email.strip().lower()
    check_login_throttle(session, settings=settings, email=email, ip_address=ip_address)
    user = session.scalar(select(User).where(User.email == email))
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        session.add(LoginAttempt(email=email, ip_address=ip_address, succeeded=False))
        session.flush()
        raise DomainError(_("The email address or password is incorrect."))
    session.add(LoginAttempt(email=email, ip_address=ip_address, succeeded=True))
    if user.password_hash and password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.flush()
    return user


def start_session(session: Session, *, settings: Settings, user: User, ip_address: str, user_agent: str) -> str:
    """Returns the cookie value; only its digest is stored."""
    token = new_token()
    now = utcnow()
    session.add(
        UserSession(
            user_id=user.id,
            token_digest=token_digest(token),
            expires_at=now + dt.timedelta(minutes=settings.session_idle_minutes),
            last_seen_at=now,
            ip_address=ip_address[:45],
            user_agent=user_agent[:255],
        )
    )
    session.flush()
    return token


def revoke_session(session: Session, *, token: str | None) -> None:
    if not token:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.token_digest == token_digest(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def revoke_all_sessions(session: Session, *, user_id: int) -> None:
    session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def user_from_session_token(session: Session, *, settings: Settings, token: str) -> User | None:
    # One query: the session, its user, the user's roles and organisation, which most pages show.
    user_session = (
        session.execute(
            select(UserSession)
            .where(UserSession.token_digest == token_digest(token))
            .options(
                joinedload(UserSession.user).joinedload(User.roles),
                joinedload(UserSession.user).joinedload(User.organisation),
            )
        )
        .unique()
        .scalar_one_or_none()
    )
    if user_session is None or user_session.revoked_at is not None or not user_session.user.is_active:
        return None
    now = utcnow()
    if user_session.expires_at <= now:
        return None
    if now - user_session.last_seen_at >= SESSION_TOUCH_INTERVAL:
        hard_limit = user_session.created_at + dt.timedelta(days=settings.session_max_days)
        user_session.last_seen_at = now
        user_session.expires_at = min(now + dt.timedelta(minutes=settings.session_idle_minutes), hard_limit)
    return user_session.user


def principal_from_request(request: Request, session: Session) -> User | None:
    """The loader the access policies call: who is signed in on this request, if anyone."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 200:
        return None
    user = user_from_session_token(session, settings=request.app.state.settings, token=token)
    # Choosing a language in the switcher also becomes the person's preference.
    chosen = request.query_params.get("lang")
    if user is not None and chosen in request.app.state.settings.locales and chosen != user.locale:
        user.locale = chosen
    return user


# --- passwords -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResetMail:
    to: str
    subject: str
    body: str


def _reset_mail(settings: Settings, user: User, token: str) -> ResetMail:
    with using_locale(user.locale):
        link = f"{settings.base_url}/reset-password/{token}"
        subject = _("Reset your Klasteris password")
        body = _(
            "Hello %(name)s,\n\n"
            "Someone asked to reset the password of your Klasteris account. "
            "Open this link to choose a new password:\n\n%(link)s\n\n"
            "The link works once and expires in %(minutes)s minutes. "
            "If you did not ask for this, ignore this message: your password stays as it is.\n",
            name=user.full_name,
            link=link,
            minutes=settings.password_reset_minutes,
        )
    return ResetMail(to=user.email, subject=subject, body=body)


def request_password_reset(session: Session, *, settings: Settings, email: str) -> None:
    """Sends a single-use link if the account exists; says nothing either way (no account probing)."""
    user = session.scalar(select(User).where(User.email == email.lower(), User.is_active.is_(True)))
    if user is None:
        return
    send_password_reset(session, settings=settings, user=user)


def _password_link(session: Session, *, user: User, valid_for: dt.timedelta) -> str:
    token = new_token()
    session.add(PasswordResetToken(user_id=user.id, token_digest=token_digest(token), expires_at=utcnow() + valid_for))
    session.flush()
    return token


def send_password_reset(session: Session, *, settings: Settings, user: User) -> None:
    """Mail the person a single-use link to choose a new password (they asked, or an administrator did)."""
    token = _password_link(session, user=user, valid_for=dt.timedelta(minutes=settings.password_reset_minutes))
    mail = _reset_mail(settings, user, token)
    send_mail(settings, to=mail.to, subject=mail.subject, body=mail.body)


def send_invitation(session: Session, *, settings: Settings, user: User) -> None:
    """Welcome a person whose account an administrator made, with a link to set their first password.

    The link is an ordinary reset link that lives longer (people do not read work mail within the hour).
    """
    token = _password_link(session, user=user, valid_for=dt.timedelta(days=settings.invitation_days))
    with using_locale(user.locale):
        subject = _("Your Klasteris account is ready")
        body = _(
            "Hello %(name)s,\n\n"
            "An account on Klasteris, the learning platform of the social cluster programme, has been "
            "made for you with this email address. Open this link to choose your password:\n\n%(link)s\n\n"
            "The link works once and expires in %(days)s days. "
            "If you did not expect this message, you can ignore it.\n",
            name=user.full_name,
            link=f"{settings.base_url}/reset-password/{token}",
            days=settings.invitation_days,
        )
    send_mail(settings, to=user.email, subject=subject, body=body)


def valid_reset_token(session: Session, *, token: str) -> PasswordResetToken:
    reset = session.scalar(
        select(PasswordResetToken)
        .where(PasswordResetToken.token_digest == token_digest(token))
        .options(joinedload(PasswordResetToken.user))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow() or not reset.user.is_active:
        raise BadRequest(_("This password reset link is invalid, already used or expired. Ask for a new one."))
    return reset


def reset_password(session: Session, *, reset: PasswordResetToken, new_password: str) -> User:
    """Use a link found by `valid_reset_token`: set the password, spend every open link, sign out everywhere."""
    now = utcnow()
    # Claim the token atomically, so two submissions of the same link cannot both succeed.
    claimed = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == reset.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        raise BadRequest(_("This password reset link is invalid, already used or expired. Ask for a new one."))
    user = reset.user
    user.password_hash = hash_password(new_password)
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    revoke_all_sessions(session, user_id=user.id)
    session.flush()
    return user


def change_password(session: Session, *, user: User, form: ChangePasswordForm) -> None:
    if not verify_password(user.password_hash, form.current_password):
        raise DomainError(_("Your current password is not correct."), field="current_password")
    user.password_hash = hash_password(form.new_password)
    revoke_all_sessions(session, user_id=user.id)
    session.flush()
