"""Writing and reading the audit log. Entries are written in the caller's transaction, so they commit with the act."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEntry
from app.core.i18n import _


class AuditAction(StrEnum):
    """Every kind of entry. The value is stored; the label is shown."""

    COMPLETIONS_EXPORTED = "completions.exported"
    INDICATORS_EXPORTED = "indicators.exported"
    SURVEY_RESULTS_EXPORTED = "survey_results.exported"
    USERS_IMPORTED = "users.imported"
    USER_UPDATED = "user.updated"
    USER_ROLES_CHANGED = "user.roles_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_PASSWORD_RESET_SENT = "user.password_reset_sent"
    USER_DATA_EXPORTED = "user.data_exported"
    USER_ANONYMISED = "user.anonymised"
    ORGANISATION_CREATED = "organisation.created"
    ORGANISATION_UPDATED = "organisation.updated"
    ORGANISATION_MERGED = "organisation.merged"
    COURSE_TRAINER_ASSIGNED = "course.trainer_assigned"
    COURSE_TRAINER_UNASSIGNED = "course.trainer_unassigned"
    COURSE_BULK_ENROLLED = "course.bulk_enrolled"
    API_TOKEN_CREATED = "api_token.created"
    API_TOKEN_REVOKED = "api_token.revoked"

    @property
    def label(self) -> str:
        return _action_labels()[self]


def _action_labels() -> dict[AuditAction, str]:
    # Built on each call so the labels follow the request's language.
    return {
        AuditAction.COMPLETIONS_EXPORTED: _("Completion records exported"),
        AuditAction.INDICATORS_EXPORTED: _("Indicators exported"),
        AuditAction.SURVEY_RESULTS_EXPORTED: _("Survey results exported"),
        AuditAction.USERS_IMPORTED: _("Users imported"),
        AuditAction.USER_UPDATED: _("Person's details changed"),
        AuditAction.USER_ROLES_CHANGED: _("Roles changed"),
        AuditAction.USER_DEACTIVATED: _("Account deactivated"),
        AuditAction.USER_REACTIVATED: _("Account reactivated"),
        AuditAction.USER_PASSWORD_RESET_SENT: _("Password reset link sent"),
        AuditAction.USER_DATA_EXPORTED: _("Personal data downloaded"),
        AuditAction.USER_ANONYMISED: _("Personal data erased"),
        AuditAction.ORGANISATION_CREATED: _("Organisation created"),
        AuditAction.ORGANISATION_UPDATED: _("Organisation changed"),
        AuditAction.ORGANISATION_MERGED: _("Organisations merged"),
        AuditAction.COURSE_TRAINER_ASSIGNED: _("Trainer assigned"),
        AuditAction.COURSE_TRAINER_UNASSIGNED: _("Trainer unassigned"),
        AuditAction.COURSE_BULK_ENROLLED: _("Learners enrolled in bulk"),
        AuditAction.API_TOKEN_CREATED: _("API token created"),
        AuditAction.API_TOKEN_REVOKED: _("API token revoked"),
    }


class Actor(Protocol):
    id: int
    full_name: str
    email: str


@dataclass(frozen=True)
class SystemActor:
    """Someone acting outside a web session: the command line, or an API token."""

    label: str


def describe_actor(actor: Actor | SystemActor) -> tuple[int | None, str]:
    if isinstance(actor, SystemActor):
        return None, actor.label
    return actor.id, f"{actor.full_name} <{actor.email}>"


def record(
    session: Session,
    *,
    actor: Actor | SystemActor,
    action: AuditAction,
    target_type: str = "",
    target_id: int | str = "",
    details: Mapping[str, Any] | None = None,
    ip_address: str = "",
) -> AuditEntry:
    actor_id, actor_label = describe_actor(actor)
    entry = AuditEntry(
        actor_id=actor_id,
        actor_label=actor_label[:300],
        action=action.value,
        target_type=target_type,
        target_id=str(target_id),
        details=dict(details or {}),
        ip_address=ip_address[:45],
    )
    session.add(entry)
    session.flush()
    return entry


# --- reading ----------------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    action: AuditAction | None = None
    actor_id: int | None = None
    target_type: str = ""
    target_id: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def _filtered(statement: Select[Any], filters: AuditFilters) -> Select[Any]:
    if filters.action is not None:
        statement = statement.where(AuditEntry.action == filters.action.value)
    if filters.actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == filters.actor_id)
    if filters.target_type:
        statement = statement.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id:
        statement = statement.where(AuditEntry.target_id == filters.target_id)
    if filters.since is not None:
        statement = statement.where(AuditEntry.created_at >= _day_start(filters.since))
    if filters.until is not None:
        statement = statement.where(AuditEntry.created_at < _day_start(filters.until + dt.timedelta(days=1)))
    return statement


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    page_count: int


def audit_page(session: Session, *, filters: AuditFilters, page: int = 1) -> AuditPage:
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEntry), filters)) or 0
    page_count = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(max(page, 1), page_count)
    entries = session.scalars(
        _filtered(select(AuditEntry), filters)
        .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * AUDIT_PAGE_SIZE)
        .limit(AUDIT_PAGE_SIZE)
    )
    return AuditPage(entries=list(entries), total=total, page=page, page_count=page_count)


def entries_for(session: Session, *, action: AuditAction) -> list[AuditEntry]:
    """Every entry of one kind, oldest first (for tests and for the privacy export)."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action.value).order_by(AuditEntry.id)))
