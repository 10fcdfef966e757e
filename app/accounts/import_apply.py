"""Bulk user import, second half: sample files, keeping a checked upload, its preview, confirming it, the list."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.bulk_import import (
    COLUMNS,
    ERROR,
    EXISTS,
    NEW,
    check_records,
    clean_text,
    existing_emails,
    read_records,
)
from app.accounts.models import Organisation, User, UserImport, UserRole
from app.accounts.service import list_organisations, send_invitation
from app.audit.service import AuditAction, record
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.i18n import _, get_locale, language_name
from app.core.spreadsheets import spreadsheet_safe

logger = logging.getLogger("klasteris.imports")

PREVIEW_PAGE_SIZE = 100
LIST_PAGE_SIZE = 25
ROW_FILTERS = (NEW, EXISTS, ERROR)
# What confirming did with a new row (stored as the row's "outcome").
CREATED, TAKEN_MEANWHILE, ORGANISATION_GONE = "created", "taken", "organisation_gone"


# --- the upload page: column guide and sample files ----------------------------------------------


@dataclass(frozen=True)
class ColumnGuide:
    heading: str
    other_headings: list[str]
    required: bool
    description: str


def _descriptions() -> dict[str, str]:
    return {
        "email": _("The person's work email address: it becomes their sign-in name. One row per address."),
        "full_name": _("First name and surname, as they should appear on certificates."),
        "organisation": _(
            "The organisation's name in Lithuanian or English, or its code, as listed below. "
            "May be left empty, except for organisation managers."
        ),
        "job_title": _("The person's position, for example “Social worker”. May be left empty."),
        "role": _(
            "learner (when empty), trainer or org_manager; also besimokantysis, lektorius or organizacijos vadovas. "
            "Separate several roles with commas. Administrators cannot be imported: they are appointed one by one."
        ),
        "locale": _("The language of the invitation and of the pages: lt (when empty), en or nb."),
    }


@dataclass(frozen=True)
class UploadGuide:
    columns: list[ColumnGuide]
    # The names and codes a file may use, sorted for the reader's language.
    organisations: list[Organisation]


def upload_guide(session: Session, *, locale: str) -> UploadGuide:
    descriptions = _descriptions()
    columns = []
    for column in COLUMNS:
        heading = column.headings.get(locale, column.headings["en"])
        others = [text for text in (*column.headings.values(), *column.other_headings) if text != heading]
        columns.append(ColumnGuide(heading, others, column.required, descriptions[column.key]))
    return UploadGuide(columns=columns, organisations=list_organisations(session))


def _template_rows(session: Session, locale: str) -> tuple[list[str], list[str], list[Organisation]]:
    organisations = list_organisations(session)
    example_organisation = organisations[0].name(locale) if organisations else ""
    header = [column.headings.get(locale, column.headings["en"]) for column in COLUMNS]
    example = ["ruta.zemaite@example.lt", "Rūta Žemaitė", example_organisation, _("Social worker"), "learner", locale]
    return header, example, organisations


def template_csv(session: Session, *, locale: str) -> bytes:
    """Heading row and one example, in UTF-8 with a byte-order mark so that Excel keeps the letters.

    Lithuanian and Norwegian Excel split CSV files at semicolons (their decimal mark is the comma).
    """
    header, example, _organisations = _template_rows(session, locale)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="," if locale == "en" else ";")
    writer.writerow(header)
    writer.writerow([spreadsheet_safe(value) for value in example])
    return ("\ufeff" + buffer.getvalue()).encode()


def template_xlsx(session: Session, *, locale: str) -> bytes:
    """The same as an Excel workbook, with a second sheet listing the organisations to copy names from."""
    header, example, organisations = _template_rows(session, locale)
    workbook = Workbook()
    people = workbook.active
    assert people is not None
    people.title = _("People")[:31]
    people.append(header)
    people.append(example)
    for cell in people[1]:
        cell.font = Font(bold=True)
    people.freeze_panes = "A2"
    for letter, width in zip("ABCDEF", (32, 28, 40, 28, 16, 10), strict=True):
        people.column_dimensions[letter].width = width
    listing = workbook.create_sheet(_("Organisations")[:31])
    listing.append([_("Code"), _("Name in Lithuanian"), _("Name in English")])
    for cell in listing[1]:
        cell.font = Font(bold=True)
    for organisation in organisations:
        listing.append([spreadsheet_safe(organisation.slug), organisation.name_lt, organisation.name_en])
    for letter, width in zip("ABC", (30, 60, 60), strict=True):
        listing.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- keeping an upload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    new: int = 0
    exists: int = 0
    error: int = 0

    @property
    def total(self) -> int:
        return self.new + self.exists + self.error


def count_rows(rows: Iterable[dict[str, Any]]) -> Counts:
    statuses = [row.get("status") for row in rows]
    return Counts(new=statuses.count(NEW), exists=statuses.count(EXISTS), error=statuses.count(ERROR))


def stored_file_name(file_name: str) -> str:
    """The name without the folders some browsers send, and without control characters."""
    return clean_text(PureWindowsPath(file_name.replace("/", "\\")).name)[:255] or "import"


def create_import(session: Session, *, actor: User, file_name: str, data: bytes) -> UserImport:
    """Read and check an uploaded list and keep it for the preview. Nothing is kept when the file is unusable."""
    rows = check_records(session, read_records(data, file_name))
    counts = count_rows(rows)
    user_import = UserImport(
        created_by_id=actor.id,
        file_name=stored_file_name(file_name),
        file_sha256=hashlib.sha256(data).hexdigest(),
        rows=rows,
        # The list of imports shows these without loading every row.
        result={"new": counts.new, "exists": counts.exists, "errors": counts.error},
    )
    session.add(user_import)
    session.flush()
    return user_import


# --- confirming ----------------------------------------------------------------------------------


def _invite(session: Session, *, settings: Settings, created: list[tuple[dict[str, Any], User]]) -> int:
    """Mail every new person their set-password link; after a mail server failure the rest are not tried."""
    sent = 0
    for row, user in created:
        try:
            send_invitation(session, settings=settings, user=user)
        except (smtplib.SMTPException, OSError):
            # The accounts stay: people can still use "Forgot your password?" once mail works again.
            logger.exception("invitation to %s could not be sent; later invitations of this import skipped", user.id)
            break
        row["invited"] = True
        sent += 1
    return sent


def confirm_import(session: Session, *, settings: Settings, import_id: int, actor: User, ip_address: str) -> bool:
    """Create the accounts of the import's new rows and invite them. Returns False when there was nothing to do.

    Applies once: a second confirm (double submit, back button) finds the import already claimed.
    """
    user_import = session.get(UserImport, import_id)
    if user_import is None:
        raise NotFound(_("This import does not exist."))
    rows = [dict(row) for row in user_import.rows]
    new_rows = [row for row in rows if row.get("status") == NEW]
    if user_import.applied_at is not None or not new_rows:
        return False
    now = utcnow()
    # Claimed in one statement, so that of two simultaneous confirms exactly one goes on.
    claimed = session.execute(
        update(UserImport)
        .where(UserImport.id == user_import.id, UserImport.applied_at.is_(None))
        .values(applied_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return False
    taken = existing_emails(session, (row["email"] for row in new_rows))
    wanted_organisations = {row["organisation_id"] for row in new_rows if row.get("organisation_id")}
    organisations = set(session.scalars(select(Organisation.id).where(Organisation.id.in_(wanted_organisations))))
    created: list[tuple[dict[str, Any], User]] = []
    for row in new_rows:
        if row["email"] in taken:
            row["outcome"] = TAKEN_MEANWHILE
            continue
        if row.get("organisation_id") and row["organisation_id"] not in organisations:
            row["outcome"] = ORGANISATION_GONE  # merged or removed since the preview
            continue
        user = User(
            email=row["email"],
            full_name=row["full_name"],
            job_title=row["job_title"],
            organisation_id=row.get("organisation_id"),
            locale=row["locale"],
            password_hash=None,
            is_active=True,
        )
        user.roles = [UserRole(role=role) for role in row["roles"]]
        session.add(user)
        row["outcome"] = CREATED
        created.append((row, user))
    session.flush()
    for row, user in created:
        row["user_id"] = user.id
    invited = _invite(session, settings=settings, created=created)
    counts = count_rows(rows)
    user_import.applied_at = now
    user_import.rows = rows
    user_import.result = {
        "new": counts.new,
        "exists": counts.exists,
        "errors": counts.error,
        "created": len(created),
        "skipped": len(new_rows) - len(created),
        "invited": invited,
        "confirmed_by_id": actor.id,
        "confirmed_by": actor.full_name,
    }
    record(
        session,
        actor=actor,
        action=AuditAction.USERS_IMPORTED,
        target_type="user_import",
        target_id=user_import.id,
        details={
            "file_name": user_import.file_name,
            "sha256": user_import.file_sha256,
            "rows": counts.total,
            "created": len(created),
            "skipped": len(new_rows) - len(created),
            "already_had_accounts": counts.exists,
            "errors": counts.error,
            "invitations_sent": invited,
        },
        ip_address=ip_address,
    )
    session.flush()
    return True


# --- showing an import ---------------------------------------------------------------------------


def _role_names() -> dict[str, str]:
    return {"learner": _("Learner"), "trainer": _("Trainer"), "org_manager": _("Organisation manager")}


def problem_message(problem: dict[str, Any]) -> str:
    """A stored problem in the reader's language (rows keep codes, not sentences, so every admin can read them)."""
    code = problem.get("code")
    if code == "too_long":
        column = next((column for column in COLUMNS if column.key == problem.get("column")), COLUMNS[0])
        return _(
            "“%(column)s” is longer than %(count)s characters.",
            column=column.headings.get(get_locale(), column.headings["en"]),
            count=problem.get("limit"),
        )
    if code == "role_unknown":
        return _(
            "“%(value)s” is not a role that can be given here: use learner, trainer or org_manager.",
            value=problem.get("value", ""),
        )
    if code == "email_duplicate":
        return _("This address is already on row %(line)s of the file.", line=problem.get("line"))
    messages = {
        "email_missing": _("The email address is missing."),
        "email_invalid": _("This is not a valid email address."),
        "name_missing": _("The full name is missing."),
        "organisation_unknown": _("No organisation has this name or code. Use a name from the list of organisations."),
        "role_admin": _("Administrators cannot be imported: appoint them one by one on their user page."),
        "locale_unknown": _("Unknown language: use lt, en or nb."),
        "manager_without_organisation": _("An organisation manager needs an organisation."),
    }
    return messages.get(str(code), _("This row cannot be imported."))


def _status_names() -> dict[str, str]:
    return {NEW: _("New"), EXISTS: _("Has an account"), ERROR: _("Error")}


def _outcome_names() -> dict[str, str]:
    return {
        CREATED: _("Created"),
        TAKEN_MEANWHILE: _("Skipped: an account with this address was made after the preview"),
        ORGANISATION_GONE: _("Skipped: the organisation no longer exists"),
    }


@dataclass(frozen=True)
class PreviewRow:
    line: int
    email: str
    full_name: str
    organisation: str
    job_title: str
    roles: str
    language: str
    # The language's code when the cell named a known one, for the cell's lang attribute.
    locale: str | None
    status: str
    status_name: str
    messages: list[str]
    outcome: str


@dataclass(frozen=True)
class ImportPage:
    user_import: UserImport
    uploaded_by: str
    counts: Counts
    rows: list[PreviewRow]
    show: str
    shown_total: int
    page: int
    page_count: int
    # Other uploads of the very same file, newest first: (id, uploaded at, confirmed at).
    same_file: list[tuple[int, dt.datetime, dt.datetime | None]]

    @property
    def can_confirm(self) -> bool:
        return self.user_import.applied_at is None and self.counts.new > 0


def _preview_row(row: dict[str, Any], organisation_names: dict[int, str], locale: str) -> PreviewRow:
    role_names = _role_names()
    problems = row.get("problems", [])
    organisation = organisation_names.get(row.get("organisation_id") or 0) or row.get("organisation", "")
    # A cell that could not be understood is shown as typed, so the reader sees what to correct.
    roles = ", ".join(role_names.get(role, role) for role in row.get("roles", []))
    if not roles or any(str(problem.get("code", "")).startswith("role_") for problem in problems):
        roles = row.get("role", "")
    locale_code = row.get("locale")
    status = str(row.get("status", ERROR))
    outcome = _outcome_names().get(row.get("outcome", ""), "")
    if row.get("outcome") == CREATED and not row.get("invited"):
        outcome = _("Created; the invitation could not be sent")
    return PreviewRow(
        line=int(row.get("line", 0)),
        email=row.get("email", ""),
        full_name=row.get("full_name", ""),
        organisation=organisation,
        job_title=row.get("job_title", ""),
        roles=roles,
        language=language_name(locale_code) if locale_code else row.get("language", ""),
        locale=locale_code,
        status=status,
        status_name=_status_names().get(status, status),
        messages=[problem_message(problem) for problem in problems],
        outcome=outcome,
    )


def import_page(session: Session, *, import_id: int, show: str = "", page: int = 1) -> ImportPage:
    """An import's preview (before confirming) or result (after), one page of its rows at a time."""
    found = session.execute(
        select(UserImport, User.full_name)
        .outerjoin(User, User.id == UserImport.created_by_id)
        .where(UserImport.id == import_id)
    ).first()
    if found is None:
        raise NotFound(_("This import does not exist."))
    user_import, uploaded_by = found
    rows = user_import.rows or []
    shown = [row for row in rows if row.get("status") == show] if show in ROW_FILTERS else rows
    page_count = max(1, -(-len(shown) // PREVIEW_PAGE_SIZE))
    page = min(max(page, 1), page_count)
    page_rows = shown[(page - 1) * PREVIEW_PAGE_SIZE : page * PREVIEW_PAGE_SIZE]
    locale = get_locale()
    organisation_ids = {row["organisation_id"] for row in page_rows if row.get("organisation_id")}
    organisation_names = {
        organisation.id: organisation.name(locale)
        for organisation in session.scalars(select(Organisation).where(Organisation.id.in_(organisation_ids)))
    }
    same_file = session.execute(
        select(UserImport.id, UserImport.created_at, UserImport.applied_at)
        .where(UserImport.file_sha256 == user_import.file_sha256, UserImport.id != user_import.id)
        .order_by(UserImport.created_at.desc(), UserImport.id.desc())
        .limit(5)
    ).all()
    return ImportPage(
        user_import=user_import,
        uploaded_by=uploaded_by or _("a removed account"),
        counts=count_rows(rows),
        rows=[_preview_row(row, organisation_names, locale) for row in page_rows],
        show=show if show in ROW_FILTERS else "",
        shown_total=len(shown),
        page=page,
        page_count=page_count,
        same_file=[(number, uploaded, applied) for number, uploaded, applied in same_file],
    )


# --- the list of imports -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    id: int
    file_name: str
    uploaded_by: str
    uploaded_at: dt.datetime
    applied_at: dt.datetime | None
    result: dict[str, Any]

    def count(self, key: str) -> int:
        value = self.result.get(key, 0)
        return value if isinstance(value, int) else 0


@dataclass(frozen=True)
class ImportList:
    imports: list[ImportSummary]
    total: int
    page: int
    page_count: int


def import_list(session: Session, *, page: int = 1) -> ImportList:
    """Recent imports, newest first, without their rows (the counts are kept beside them)."""
    total = session.scalar(select(func.count()).select_from(UserImport)) or 0
    page_count = max(1, -(-total // LIST_PAGE_SIZE))
    page = min(max(page, 1), page_count)
    found = session.execute(
        select(
            UserImport.id,
            UserImport.file_name,
            User.full_name,
            UserImport.created_at,
            UserImport.applied_at,
            UserImport.result,
        )
        .outerjoin(User, User.id == UserImport.created_by_id)
        .order_by(UserImport.created_at.desc(), UserImport.id.desc())
        .offset((page - 1) * LIST_PAGE_SIZE)
        .limit(LIST_PAGE_SIZE)
    ).all()
    imports = [
        ImportSummary(number, file_name, uploaded_by or _("a removed account"), uploaded, applied, result or {})
        for number, file_name, uploaded_by, uploaded, applied, result in found
    ]
    return ImportList(imports=imports, total=total, page=page, page_count=page_count)
