"""A course's people as administrators manage them: assigning its trainers and enrolling learners in bulk."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic_core import PydanticCustomError
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from app.accounts.models import Organisation, User, UserRole
from app.accounts.schemas import Email, normalise_email
from app.audit.models import AuditEntry
from app.audit.service import AuditAction, record
from app.core.access import Role
from app.core.errors import NotFound, PayloadTooLarge, Unprocessable
from app.core.forms import ChoiceId
from app.core.i18n import _
from app.courses.models import Course, CourseRole, Enrolment
from app.courses.service import course_or_404

MAX_ADDRESSES = 5_000
MAX_FILE_BYTES = 1024 * 1024
# Audit entries keep the refused addresses for the result page; a list this long is cut, its count is not.
MAX_LISTED = 500
_CHUNK = 500  # ids or addresses per IN (…), well within every database's limit
_SEPARATORS = re.compile(r"[\s,;]+")
# Headings of the address column in the lists people upload (compared without case, dots or dashes).
_EMAIL_HEADINGS = frozenset({"email", "e mail", "email address", "el pastas", "el pasto adresas", "e post", "epost"})


def course_for_staff(session: Session, *, code: str) -> Course:
    # Archived courses too: their trainers and learners may still need sorting out.
    return course_or_404(session, code, include_archived=True)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


# --- trainers --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainerRow:
    person: User
    in_course_since: dt.datetime


def course_trainers(session: Session, *, course: Course) -> list[TrainerRow]:
    rows = session.execute(
        select(User, Enrolment.enrolled_at)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.course_id == course.id, Enrolment.role == CourseRole.TRAINER)
        .options(joinedload(User.organisation))
        .order_by(func.lower(User.full_name), User.id)
    )
    return [TrainerRow(person=person, in_course_since=since) for person, since in rows]


class TrainerForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: Email


class Assignment(StrEnum):
    ASSIGNED = "assigned"
    PROMOTED = "promoted"  # their learner place became a trainer place
    ALREADY = "already"


def _place(session: Session, *, user_id: int, course_id: int) -> Enrolment | None:
    return session.scalar(select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id))


def assign_trainer(session: Session, *, course: Course, email: str, by: User, ip_address: str = "") -> Assignment:
    person = session.scalar(select(User).where(User.email == email).options(selectinload(User.roles)))
    if person is None:
        raise Unprocessable(
            _("No account uses this email address. The person must have an account first."), field="email"
        )
    if not person.is_active or person.anonymised_at is not None:
        raise Unprocessable(_("This account is deactivated. Reactivate it first."), field="email")
    place = _place(session, user_id=person.id, course_id=course.id)
    if place is not None and place.role == CourseRole.TRAINER:
        return Assignment.ALREADY
    previous_role = place.role if place is not None else None
    if place is None:
        try:
            with session.begin_nested():
                session.add(Enrolment(user_id=person.id, course_id=course.id, role=CourseRole.TRAINER))
        except IntegrityError:  # a simultaneous request gave them a place first
            place = _place(session, user_id=person.id, course_id=course.id)
            assert place is not None
    if place is not None:
        place.role = CourseRole.TRAINER
    site_role_added = not person.has_role(Role.TRAINER)
    if site_role_added:
        person.roles.append(UserRole(role=Role.TRAINER.value))
    session.flush()
    record(
        session,
        actor=by,
        action=AuditAction.COURSE_TRAINER_ASSIGNED,
        target_type="course",
        target_id=course.code,
        details={
            "user_id": person.id,
            "email": person.email,
            "previous_course_role": previous_role,
            "site_role_added": site_role_added,
        },
        ip_address=ip_address,
    )
    return Assignment.ASSIGNED if previous_role is None else Assignment.PROMOTED


def unassign_trainer(session: Session, *, course: Course, user_id: int, by: User, ip_address: str = "") -> bool:
    """Remove the person's trainer place (their site trainer role stays); False when they had none."""
    person = session.get(User, user_id)
    if person is None:
        raise NotFound(_("This person does not exist."))
    place = _place(session, user_id=person.id, course_id=course.id)
    if place is None or place.role != CourseRole.TRAINER:
        return False
    session.delete(place)
    session.flush()
    record(
        session,
        actor=by,
        action=AuditAction.COURSE_TRAINER_UNASSIGNED,
        target_type="course",
        target_id=course.code,
        details={"user_id": person.id, "email": person.email},
        ip_address=ip_address,
    )
    return True


# --- bulk enrolment --------------------------------------------------------------------------------


class EnrolForm(BaseModel):
    """Either every active person of an organisation, or a list of addresses (typed, pasted or uploaded)."""

    model_config = ConfigDict(extra="ignore")

    source: Literal["organisation", "list"]
    organisation_id: ChoiceId = None
    emails: Annotated[str, StringConstraints(max_length=200_000)] = ""


@dataclass(frozen=True)
class UploadedList:
    file_name: str
    content: bytes


def _heading_key(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[._\-:*]", " ", ascii_text).split())


def addresses_in_text(text: str) -> list[str]:
    """Addresses one per line, or separated by commas, semicolons or spaces."""
    return [part for part in _SEPARATORS.split(text) if part]


def addresses_in_csv(content: bytes) -> list[str]:
    """The "email" column of a CSV file, or its first column when no heading says so.

    UTF-8 with or without a byte-order mark; `;` (Excel in Lithuanian) or `,` between cells.
    """
    if len(content) > MAX_FILE_BYTES:
        raise PayloadTooLarge(_("The file is larger than 1 MB. Split the list into smaller files."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable(
            _("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”."), field="file"
        ) from exc
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ";" if first_line.count(";") >= first_line.count(",") and ";" in first_line else ","
    rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    headings = [_heading_key(cell) for cell in rows[0]]
    column = next((index for index, heading in enumerate(headings) if heading in _EMAIL_HEADINGS), None)
    if column is not None or "@" not in rows[0][0]:
        rows = rows[1:]  # a heading row
    column = column or 0
    return [row[column].strip() for row in rows if len(row) > column and row[column].strip()]


@dataclass(frozen=True)
class Addressees:
    active: list[int]
    unknown: list[str]
    deactivated: list[str]
    invalid: list[str]


def _sort_addresses(session: Session, addresses: Iterable[str]) -> Addressees:
    normalised: dict[str, None] = {}
    invalid: list[str] = []
    for typed in addresses:
        try:
            normalised[normalise_email(typed[:254])] = None
        except PydanticCustomError:
            invalid.append(typed[:254])
    found: dict[str, tuple[int, bool]] = {}
    for chunk in _chunks(list(normalised)):
        for user_id, email, usable in session.execute(
            select(User.id, User.email, and_(User.is_active.is_(True), User.anonymised_at.is_(None))).where(
                User.email.in_(chunk)
            )
        ):
            found[email] = (user_id, bool(usable))
    return Addressees(
        active=[found[email][0] for email in normalised if email in found and found[email][1]],
        unknown=[email for email in normalised if email not in found],
        deactivated=[email for email in normalised if email in found and not found[email][1]],
        invalid=list(dict.fromkeys(invalid)),
    )


def _enrol_all(session: Session, *, course: Course, user_ids: Sequence[int]) -> tuple[int, int]:
    """Give each person a learner place unless they have one; returns (enrolled, already had a place)."""
    existing: set[int] = set()
    for chunk in _chunks(list(user_ids)):
        existing.update(
            session.scalars(
                select(Enrolment.user_id).where(Enrolment.course_id == course.id, Enrolment.user_id.in_(chunk))
            )
        )
    missing = [user_id for user_id in dict.fromkeys(user_ids) if user_id not in existing]
    try:
        with session.begin_nested():
            session.add_all(
                Enrolment(user_id=user_id, course_id=course.id, role=CourseRole.LEARNER) for user_id in missing
            )
        return len(missing), len(existing)
    except IntegrityError:
        pass  # someone enrolled some of them meanwhile: one at a time, as courses.service.enrol does
    enrolled = 0
    for user_id in missing:
        try:
            with session.begin_nested():
                session.add(Enrolment(user_id=user_id, course_id=course.id, role=CourseRole.LEARNER))
            enrolled += 1
        except IntegrityError:
            continue
    return enrolled, len(existing) + len(missing) - enrolled


def _addresses(form: EnrolForm, upload: UploadedList | None) -> list[str]:
    addresses = addresses_in_text(form.emails)
    if upload is not None:
        addresses += addresses_in_csv(upload.content)
    if not addresses:
        raise Unprocessable(_("Type or paste at least one email address, or choose a file."), field="emails")
    if len(addresses) > MAX_ADDRESSES:
        raise Unprocessable(
            _("At most %(count)s addresses can be enrolled at once. Split the list.", count=MAX_ADDRESSES),
            field="emails",
        )
    return addresses


def enrol_in_bulk(
    session: Session, *, course: Course, form: EnrolForm, upload: UploadedList | None, by: User, ip_address: str = ""
) -> AuditEntry:
    """Enrol an organisation's active people or a list of addresses; the audit entry is also the result shown."""
    details: dict[str, Any] = {"source": form.source}
    if form.source == "organisation":
        organisation = session.get(Organisation, form.organisation_id) if form.organisation_id else None
        if organisation is None:
            raise Unprocessable(_("Choose an organisation."), field="organisation_id")
        user_ids = list(
            session.scalars(
                select(User.id).where(
                    User.organisation_id == organisation.id, User.is_active.is_(True), User.anonymised_at.is_(None)
                )
            )
        )
        addressees = Addressees(active=user_ids, unknown=[], deactivated=[], invalid=[])
        details["organisation"] = {
            "id": organisation.id,
            "name_lt": organisation.name_lt,
            "name_en": organisation.name_en,
        }
    else:
        addressees = _sort_addresses(session, _addresses(form, upload))
        if upload is not None:
            details["file_name"] = upload.file_name[:255]
    enrolled, already = _enrol_all(session, course=course, user_ids=addressees.active)
    details |= {
        "enrolled": enrolled,
        "already_enrolled": already,
        "unknown_count": len(addressees.unknown),
        "deactivated_count": len(addressees.deactivated),
        "invalid_count": len(addressees.invalid),
        "unknown": addressees.unknown[:MAX_LISTED],
        "deactivated": addressees.deactivated[:MAX_LISTED],
        "invalid": addressees.invalid[:MAX_LISTED],
    }
    return record(
        session,
        actor=by,
        action=AuditAction.COURSE_BULK_ENROLLED,
        target_type="course",
        target_id=course.code,
        details=details,
        ip_address=ip_address,
    )


def bulk_result(session: Session, *, course: Course, entry_id: int | None) -> dict[str, Any] | None:
    """What a bulk enrolment of this course did, for the page it redirects to (None when it is not one)."""
    if entry_id is None:
        return None
    entry = session.get(AuditEntry, entry_id)
    if (
        entry is None
        or entry.action != AuditAction.COURSE_BULK_ENROLLED.value
        or entry.target_type != "course"
        or entry.target_id != course.code
    ):
        return None
    return entry.details
