"""Administering organisations: the list with head counts, creating and editing them, and merging duplicates."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from babel import Locale
from sqlalchemy import Column, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.admin_schemas import COUNTRIES, OrganisationFilters, OrganisationForm
from app.accounts.models import Organisation, User

# Upward import: a merge must move the organisation's API tokens, or their ON DELETE CASCADE would drop them.
from app.audit.models import AuditEntry
from app.audit.service import AuditAction, record
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.i18n import _, collation_key

PAGE_SIZE = 50
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_EDITABLE = ("name_lt", "name_en", "slug", "website", "country")


def organisation_missing() -> NotFound:
    return NotFound(_("This organisation does not exist or has been merged into another one."))


def organisation_or_404(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise organisation_missing()
    return organisation


def country_choices(locale: str, *, current: str | None = None) -> list[tuple[str, str]]:
    """The offered countries named in the reader's language, plus the organisation's own if it is another."""
    names = Locale.parse(locale).territories
    codes = list(COUNTRIES)
    if current and current not in codes:
        codes.append(current)
    return [(code, names.get(code, code)) for code in codes]


def country_name(code: str, locale: str) -> str:
    return Locale.parse(locale).territories.get(code, code)


def slug_from(name: str) -> str:
    """An address-friendly short name: Latin letters without accents, digits and hyphens."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return _NOT_SLUG.sub("-", ascii_name).strip("-")[:80].rstrip("-")


# --- the list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    people: int


@dataclass(frozen=True)
class OrganisationList:
    rows: list[OrganisationRow]
    total: int
    page: int
    pages: int


def organisation_list(session: Session, *, filters: OrganisationFilters, locale: str) -> OrganisationList:
    """Organisations in the reader's alphabetical order with how many people belong to each, a page at a time.

    Sorted in Python: the database's collation knows nothing of the Lithuanian alphabet, and the partner
    network has tens of organisations, not thousands.
    """
    people = (
        select(User.organisation_id, func.count().label("people"))
        .where(User.organisation_id.is_not(None))
        .group_by(User.organisation_id)
        .subquery()
    )
    statement = select(Organisation, func.coalesce(people.c.people, 0)).outerjoin(
        people, people.c.organisation_id == Organisation.id
    )
    if filters.q:
        folded = filters.q.casefold()
        statement = statement.where(
            or_(
                func.lower(Organisation.name_lt).contains(folded, autoescape=True),
                func.lower(Organisation.name_en).contains(folded, autoescape=True),
                func.lower(Organisation.slug).contains(folded, autoescape=True),
            )
        )
    rows = [OrganisationRow(organisation=row[0], people=row[1]) for row in session.execute(statement)]
    rows.sort(key=lambda row: collation_key(row.organisation.name(locale), locale))
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(filters.page, pages)
    return OrganisationList(
        rows=rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], total=len(rows), page=page, pages=pages
    )


# --- creating and editing --------------------------------------------------------------------------


def _slug_for(form: OrganisationForm) -> str:
    slug = form.slug or slug_from(form.name_en)
    if not slug:
        raise Unprocessable(
            _("The English name has no Latin letters to make a short name from. Type a short name."), field="slug"
        )
    return slug


def _slug_taken(slug: str) -> Conflict:
    return Conflict(
        _("Another organisation already uses the short name “%(slug)s”. Choose a different one.", slug=slug),
        field="slug",
    )


def _fields(organisation: Organisation) -> dict[str, str | None]:
    return {name: getattr(organisation, name) for name in _EDITABLE}


def _wanted(form: OrganisationForm, slug: str) -> dict[str, str | None]:
    return {
        "name_lt": form.name_lt,
        "name_en": form.name_en,
        "slug": slug,
        "website": form.website or None,
        "country": form.country,
    }


def _flush_or_conflict(session: Session, slug: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a simultaneous request took the short name first
        raise _slug_taken(slug) from exc


def create_organisation(session: Session, *, form: OrganisationForm, by: User, ip_address: str = "") -> Organisation:
    slug = _slug_for(form)
    wanted = _wanted(form, slug)
    existing = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if existing is not None:
        if _fields(existing) == wanted:
            return existing  # the same form sent twice: the first submission made it
        raise _slug_taken(slug)
    organisation = Organisation(**wanted)
    session.add(organisation)
    _flush_or_conflict(session, slug)
    record(
        session,
        actor=by,
        action=AuditAction.ORGANISATION_CREATED,
        target_type="organisation",
        target_id=organisation.id,
        details=wanted,
        ip_address=ip_address,
    )
    return organisation


def update_organisation(
    session: Session, *, organisation: Organisation, form: OrganisationForm, by: User, ip_address: str = ""
) -> dict[str, list[str | None]]:
    """Apply the form; returns what changed as {field: [before, after]} (empty when nothing did)."""
    slug = _slug_for(form)
    if slug != organisation.slug:
        taken = session.scalar(
            select(Organisation.id).where(Organisation.slug == slug, Organisation.id != organisation.id)
        )
        if taken is not None:
            raise _slug_taken(slug)
    before = _fields(organisation)
    changes = {name: [before[name], value] for name, value in _wanted(form, slug).items() if before[name] != value}
    if not changes:
        return changes
    for name, (_old, new) in changes.items():
        setattr(organisation, name, new)
    _flush_or_conflict(session, slug)
    record(
        session,
        actor=by,
        action=AuditAction.ORGANISATION_UPDATED,
        target_type="organisation",
        target_id=organisation.id,
        details={"changes": changes},
        ip_address=ip_address,
    )
    return changes


# --- merging ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergePlan:
    """What merging `merged` into `kept` moves: its people, and the other records that name it, per table."""

    merged: Organisation
    kept: Organisation
    people: int
    other_records: dict[str, int]

    @property
    def other_total(self) -> int:
        return sum(self.other_records.values())


def merge_targets(session: Session, *, merged: Organisation) -> list[Organisation]:
    """Every other organisation, for choosing the one to keep (sorted by the caller's locale)."""
    return list(session.scalars(select(Organisation).where(Organisation.id != merged.id)))


def _references_elsewhere() -> list[Column[Any]]:
    """Every column outside `users` that points at an organisation (API tokens today, more as domains grow).

    Read from the mapped tables, so accounts need not import the packages that own them, and a table added
    later cannot be forgotten: its rows would otherwise be deleted with the merged organisation or block it.
    """
    organisations = Organisation.__table__
    columns = {
        foreign_key.parent
        for table in Organisation.metadata.tables.values()
        if table is not User.__table__
        for foreign_key in table.foreign_keys
        if foreign_key.column.table is organisations
    }
    return sorted(columns, key=lambda column: (column.table.name, column.name))


def _count(session: Session, column: Any, organisation_id: int) -> int:
    return session.scalar(select(func.count()).select_from(column.table).where(column == organisation_id)) or 0


def merge_plan(session: Session, *, merged: Organisation, keep_id: int) -> MergePlan:
    if keep_id == merged.id:
        raise Unprocessable(_("An organisation cannot be merged into itself. Choose another one."), field="keep_id")
    kept = session.get(Organisation, keep_id)
    if kept is None:
        raise Unprocessable(_("Choose one of the options."), field="keep_id")
    people = _count(session, User.__table__.c.organisation_id, merged.id)
    others = {
        f"{column.table.name}.{column.name}": _count(session, column, merged.id) for column in _references_elsewhere()
    }
    return MergePlan(merged=merged, kept=kept, people=people, other_records=others)


def _summary(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.id,
        "slug": organisation.slug,
        "name_lt": organisation.name_lt,
        "name_en": organisation.name_en,
    }


def merge_organisations(
    session: Session, *, merged: Organisation, keep_id: int, by: User, ip_address: str = ""
) -> MergePlan:
    """Move everything that names `merged` (people, API tokens…) to the kept organisation and delete it, at once."""
    plan = merge_plan(session, merged=merged, keep_id=keep_id)
    people = session.execute(
        update(User).where(User.organisation_id == merged.id).values(organisation_id=plan.kept.id)
    ).rowcount
    others = {
        f"{column.table.name}.{column.name}": session.execute(
            column.table.update().where(column == merged.id).values({column.name: plan.kept.id})
        ).rowcount
        for column in _references_elsewhere()
    }
    details = {"merged": _summary(merged), "kept": _summary(plan.kept), "people": people, "other_records": others}
    session.delete(merged)
    session.flush()
    record(
        session,
        actor=by,
        action=AuditAction.ORGANISATION_MERGED,
        target_type="organisation",
        target_id=plan.kept.id,
        details=details,
        ip_address=ip_address,
    )
    return MergePlan(merged=merged, kept=plan.kept, people=people, other_records=others)


def already_merged(session: Session, *, organisation_id: int, keep_id: int) -> bool:
    """Whether this exact merge was done before: a repeated submission then changes nothing and says so."""
    entries = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.ORGANISATION_MERGED.value,
            AuditEntry.target_type == "organisation",
            AuditEntry.target_id == str(keep_id),
        )
    )
    return any(entry.details.get("merged", {}).get("id") == organisation_id for entry in entries)
