"""Administering people: the searchable list, a person's page, editing, roles, deactivation and reset links."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.accounts.admin_schemas import PeopleFilters, PersonForm, PersonStatus
from app.accounts.models import Organisation, PasswordResetToken, User, UserRole
from app.accounts.service import revoke_all_sessions, send_password_reset
from app.audit.service import AuditAction, record
from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.i18n import _

PAGE_SIZE = 50
# A second click on "send a reset link" within this time sends no second mail.
RESET_RESEND_AFTER = dt.timedelta(minutes=1)


def role_labels() -> dict[Role, str]:
    return {
        Role.LEARNER: _("Learner"),
        Role.TRAINER: _("Trainer"),
        Role.ORG_MANAGER: _("Organisation manager"),
        Role.ADMIN: _("Administrator"),
    }


def status_labels() -> dict[PersonStatus, str]:
    return {
        PersonStatus.ACTIVE: _("Active"),
        PersonStatus.DEACTIVATED: _("Deactivated"),
        PersonStatus.ANONYMISED: _("Personal data erased"),
    }


def person_status(person: User) -> PersonStatus:
    if person.anonymised_at is not None:
        return PersonStatus.ANONYMISED
    return PersonStatus.ACTIVE if person.is_active else PersonStatus.DEACTIVATED


# --- the list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeoplePage:
    people: list[User]
    total: int
    page: int
    pages: int


def _conditions(filters: PeopleFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        # lower() folds Lithuanian letters on both databases (SQLite gets Python's casefold in core.db).
        folded = filters.q.casefold()
        conditions.append(
            or_(
                func.lower(User.full_name).contains(folded, autoescape=True),
                func.lower(User.email).contains(folded, autoescape=True),
            )
        )
    if filters.organisation is not None:
        conditions.append(User.organisation_id == filters.organisation)
    if filters.role is not None:
        conditions.append(exists().where(UserRole.user_id == User.id, UserRole.role == filters.role.value))
    if filters.status is PersonStatus.ANONYMISED:
        conditions.append(User.anonymised_at.is_not(None))
    elif filters.status is not None:
        conditions.append(User.anonymised_at.is_(None))
        conditions.append(User.is_active.is_(filters.status is PersonStatus.ACTIVE))
    return conditions


def people_page(session: Session, *, filters: PeopleFilters) -> PeoplePage:
    conditions = _conditions(filters)
    total = session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    people = session.scalars(
        select(User)
        .where(*conditions)
        .options(joinedload(User.organisation), selectinload(User.roles))
        .order_by(func.lower(User.full_name), User.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return PeoplePage(people=list(people), total=total, page=page, pages=pages)


# --- one person ------------------------------------------------------------------------------------


def person_missing() -> NotFound:
    return NotFound(_("This person does not exist."))


def person_or_404(session: Session, user_id: int) -> User:
    person = session.scalar(
        select(User).where(User.id == user_id).options(joinedload(User.organisation), selectinload(User.roles))
    )
    if person is None:
        raise person_missing()
    return person


def _not_anonymised(person: User) -> None:
    if person.anonymised_at is not None:
        raise Conflict(_("This person's personal data has been erased, so the account can no longer be changed."))


def update_person(session: Session, *, person: User, form: PersonForm, by: User, ip_address: str = "") -> bool:
    """Save the person's details; returns whether anything changed."""
    _not_anonymised(person)
    if form.organisation_id is not None and session.get(Organisation, form.organisation_id) is None:
        raise Unprocessable(_("Choose one of the options."), field="organisation_id")
    if form.organisation_id is None and person.has_role(Role.ORG_MANAGER):
        raise Conflict(
            _("An organisation manager must belong to an organisation. Remove the role first."),
            field="organisation_id",
        )
    wanted = {
        "full_name": form.full_name,
        "job_title": form.job_title,
        "organisation_id": form.organisation_id,
        "locale": form.locale,
    }
    changed = {name: value for name, value in wanted.items() if getattr(person, name) != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(person, name, value)
    session.flush()
    # Which fields changed, not their values: the log should not become a second copy of personal data.
    record(
        session,
        actor=by,
        action=AuditAction.USER_UPDATED,
        target_type="user",
        target_id=person.id,
        details={"changed": sorted(changed)},
        ip_address=ip_address,
    )
    return True


def _other_active_admins(session: Session, person: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == Role.ADMIN.value,
                User.id != person.id,
                User.is_active.is_(True),
                User.anonymised_at.is_(None),
            )
        )
        or 0
    )


def set_roles(session: Session, *, person: User, roles: set[Role], by: User, ip_address: str = "") -> bool:
    """Give the person exactly these site roles; returns whether anything changed."""
    _not_anonymised(person)
    if not roles:
        raise Unprocessable(_("Tick at least one role. To stop someone signing in, deactivate them."), field="roles")
    before = person.role_set
    if Role.ORG_MANAGER in roles and person.organisation_id is None:
        raise Conflict(
            _("An organisation manager must belong to an organisation. Choose their organisation first."),
            field="roles",
        )
    losing_admin = Role.ADMIN in before and Role.ADMIN not in roles
    if losing_admin and person.is_active and _other_active_admins(session, person) == 0:
        raise Conflict(
            _("This is the last active administrator. Make someone else an administrator first."), field="roles"
        )
    if losing_admin and person.id == by.id:
        raise Conflict(_("You cannot remove your own administrator role. Ask another administrator."), field="roles")
    if roles == before:
        return False
    for grant in [grant for grant in person.roles if Role(grant.role) not in roles]:
        person.roles.remove(grant)
    for role in sorted(roles - before):
        person.roles.append(UserRole(role=role.value))
    session.flush()
    record(
        session,
        actor=by,
        action=AuditAction.USER_ROLES_CHANGED,
        target_type="user",
        target_id=person.id,
        details={"before": sorted(before), "after": sorted(roles)},
        ip_address=ip_address,
    )
    return True


def deactivate(session: Session, *, person: User, by: User, ip_address: str = "") -> bool:
    """Stop the person signing in and end their sessions; returns False when they already were deactivated."""
    if person.id == by.id:
        raise Conflict(_("You cannot deactivate your own account."))
    _not_anonymised(person)
    if not person.is_active:
        return False
    person.is_active = False
    revoke_all_sessions(session, user_id=person.id)
    session.flush()
    record(
        session,
        actor=by,
        action=AuditAction.USER_DEACTIVATED,
        target_type="user",
        target_id=person.id,
        details={"email": person.email},
        ip_address=ip_address,
    )
    return True


def reactivate(session: Session, *, person: User, by: User, ip_address: str = "") -> bool:
    _not_anonymised(person)
    if person.is_active:
        return False
    person.is_active = True
    session.flush()
    record(
        session,
        actor=by,
        action=AuditAction.USER_REACTIVATED,
        target_type="user",
        target_id=person.id,
        details={"email": person.email},
        ip_address=ip_address,
    )
    return True


def send_reset_link(session: Session, *, settings: Settings, person: User, by: User, ip_address: str = "") -> bool:
    """Mail the person a link to choose a new password; returns False when one was sent moments ago."""
    _not_anonymised(person)
    if not person.is_active:
        raise Conflict(_("This account is deactivated: reactivate it first, or the link will not work."))
    recent = session.scalar(
        select(func.count())
        .select_from(PasswordResetToken)
        .where(
            PasswordResetToken.user_id == person.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.created_at >= utcnow() - RESET_RESEND_AFTER,
        )
    )
    if recent:
        return False  # a double click: the mail just sent is still unused
    send_password_reset(session, settings=settings, user=person)
    record(
        session,
        actor=by,
        action=AuditAction.USER_PASSWORD_RESET_SENT,
        target_type="user",
        target_id=person.id,
        details={"email": person.email},
        ip_address=ip_address,
    )
    return True
