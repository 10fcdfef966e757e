"""Erasing a person's personal data while keeping the facts that indicators and completion counts are made of.

The user row stays (same id, organisation, roles), and so do enrolments, completion rows, grades, attempts'
marks and certificates' codes and dates; names, addresses, free text and sign-in traces go.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import String, and_, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from app.accounts.models import LoginAttempt, PasswordResetToken, User, UserImport, UserRole, UserSession
from app.audit.models import AuditEntry
from app.audit.service import AuditAction, SystemActor, record
from app.core.access import Role
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.i18n import _
from app.courses.models import Enrolment
from app.progress.models import Certificate, CourseCompletion
from app.quizzes.models import AttemptQuestion, QuestionVersion, QuizAttempt

# Answers a person wrote in their own words; choices, numbers and matches are not free text.
FREE_TEXT_TYPES = frozenset({"essay", "short_answer"})
# Fields of a stored row (an import row, an audit detail) that describe the person who was erased.
PERSONAL_KEYS = frozenset({"full_name", "name", "job_title"})
# What an erasure removes, as recorded in its audit entry (the names of things, never their values).
ERASED_FIELDS = (
    "full_name",
    "email",
    "job_title",
    "password",
    "last_sign_in",
    "sessions",
    "password_reset_links",
    "sign_in_attempts",
    "free_text_answers",
    "trainer_comments",
    "certificate_holder_name",
    "certificate_pdf",
    "audit_actor_label",
)


def neutral_label(user_id: int) -> str:
    """What stored texts (audit actor labels) say instead of the erased name; templates translate their own."""
    return f"Anonymised person #{user_id}"


def anonymised_email(user_id: int) -> str:
    # The column is unique and required; .invalid is a reserved top-level domain that can never receive mail.
    return f"anonymised-{user_id}@invalid"


class AnonymiseForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    confirm_email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]


def _person(session: Session, user_id: int) -> User:
    person = session.scalar(
        select(User).where(User.id == user_id).options(selectinload(User.roles), joinedload(User.organisation))
    )
    if person is None:
        raise NotFound(_("This person was not found."))
    return person


def _other_active_admins(session: Session, person: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .join(UserRole, and_(UserRole.user_id == User.id, UserRole.role == Role.ADMIN))
            .where(User.id != person.id, User.is_active.is_(True), User.anonymised_at.is_(None))
        )
        or 0
    )


def refusal_reason(session: Session, *, person: User, by: User | SystemActor) -> str | None:
    """Why this person's data may not be erased by this administrator, or None when it may."""
    if person.anonymised_at is not None:
        return _("This person's personal data has already been erased.")
    if isinstance(by, User) and by.id == person.id:
        return _("You cannot erase your own personal data. Ask another administrator.")
    if person.has_role(Role.ADMIN) and person.is_active and _other_active_admins(session, person) == 0:
        return _("This is the last active administrator. Make someone else an administrator first.")
    return None


@dataclass(frozen=True)
class AnonymisationPreview:
    """The confirmation page: who, what will go, what will stay, and whether it is refused."""

    person: User
    refusal: str | None
    sessions: int
    reset_links: int
    sign_in_attempts: int
    free_text_answers: int
    certificates: int
    audit_entries: int
    course_places: int
    completions: int


def anonymisation_preview(session: Session, *, user_id: int, by: User) -> AnonymisationPreview:
    person = _person(session, user_id)

    def count(model: Any, *conditions: Any) -> Any:
        return select(func.count()).select_from(model).where(*conditions).scalar_subquery()

    row = session.execute(
        select(
            count(UserSession, UserSession.user_id == person.id),
            count(PasswordResetToken, PasswordResetToken.user_id == person.id),
            count(LoginAttempt, LoginAttempt.email == person.email),
            count(Certificate, Certificate.user_id == person.id),
            count(AuditEntry, AuditEntry.actor_id == person.id),
            count(Enrolment, Enrolment.user_id == person.id),
            count(CourseCompletion, CourseCompletion.user_id == person.id),
        )
    ).one()
    sessions, resets, attempts_in, certificates, entries, places, completions = (int(value or 0) for value in row)
    return AnonymisationPreview(
        person=person,
        refusal=refusal_reason(session, person=person, by=by),
        sessions=sessions,
        reset_links=resets,
        sign_in_attempts=attempts_in,
        free_text_answers=_free_text_answer_count(session, person.id),
        certificates=certificates,
        audit_entries=entries,
        course_places=places,
        completions=completions,
    )


def _free_text_answer_count(session: Session, user_id: int) -> int:
    # An unanswered question stores JSON null, which SQL cannot tell from an answer portably: counted here.
    responses = session.scalars(
        select(AttemptQuestion.response)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .where(QuizAttempt.user_id == user_id, QuestionVersion.data["type"].as_string().in_(FREE_TEXT_TYPES))
    )
    return sum(response is not None for response in responses)


# --- scrubbing stored texts -----------------------------------------------------------------------


Replace = Callable[[str], str]


def _replacer(old_email: str, old_name: str, user_id: int) -> Replace:
    """Replaces the old address (any case) and the old name (as whole words, any case) inside a text."""
    patterns = [(re.compile(re.escape(old_email), re.IGNORECASE), anonymised_email(user_id))]
    if old_name.strip():
        name = re.compile(r"(?<!\w)" + re.escape(old_name.strip()) + r"(?!\w)", re.IGNORECASE)
        patterns.append((name, neutral_label(user_id)))

    def replace(text: str) -> str:
        for pattern, replacement in patterns:
            text = pattern.sub(replacement, text)
        return text

    return replace


def _scrubbed(value: Any, replace: Replace, old_email: str) -> Any:
    """A JSON value with the person's address and name replaced; a record of theirs loses its other details."""
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list):
        return [_scrubbed(item, replace, old_email) for item in value]
    if isinstance(value, dict):
        theirs = any(isinstance(item, str) and item.strip().lower() == old_email for item in value.values())
        return {
            key: ""
            if theirs and key in PERSONAL_KEYS and isinstance(item, str)
            else _scrubbed(item, replace, old_email)
            for key, item in value.items()
        }
    return value


def _mentions(column: Any, old_email: str, old_name: str) -> Any:
    """A cheap database-side filter for JSON that may mention the person (checked exactly in Python)."""
    text = cast(column, String)
    conditions = [func.lower(text).contains(old_email, autoescape=True)]
    name = old_name.strip()
    if name:
        # JSON is stored with non-ASCII letters escaped (ū as \u016b), whose case lower() cannot fold.
        escaped = json.dumps(name)[1:-1]
        conditions += [
            text.contains(name, autoescape=True),
            text.contains(escaped, autoescape=True),
            func.lower(text).contains(name.lower(), autoescape=True),
        ]
    return or_(*conditions)


# --- anonymising ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnonymisationSummary:
    user_id: int
    sessions_deleted: int
    reset_links_deleted: int
    sign_in_attempts_deleted: int
    answers_erased: int
    comments_erased: int
    certificates_cleared: int
    audit_entries_relabelled: int
    audit_details_cleaned: int
    import_rows_cleaned: int

    def as_audit_details(self) -> dict[str, Any]:
        # What was erased and how much of it, never the erased values themselves.
        return {
            "user_id": self.user_id,
            "erased": list(ERASED_FIELDS),
            "counts": {
                "sessions": self.sessions_deleted,
                "password_reset_links": self.reset_links_deleted,
                "sign_in_attempts": self.sign_in_attempts_deleted,
                "free_text_answers": self.answers_erased,
                "trainer_comments": self.comments_erased,
                "certificates": self.certificates_cleared,
                "audit_entries_by_them": self.audit_entries_relabelled,
                "audit_entries_mentioning_them": self.audit_details_cleaned,
                "import_rows": self.import_rows_cleaned,
            },
        }


def check_confirmation(person: User, typed: str) -> None:
    if typed.strip().lower() != person.email.lower():
        raise Unprocessable(
            _("Type the person's email address exactly as shown to confirm the erasure."), field="confirm_email"
        )


def anonymise_user(
    session: Session, *, user_id: int, by: User | SystemActor, confirmation: str, ip_address: str = ""
) -> AnonymisationSummary:
    """Erase the person's data in the caller's transaction; refused (409) for oneself, twice, or the last admin."""
    person = _person(session, user_id)
    refusal = refusal_reason(session, person=person, by=by)
    if refusal is not None:
        raise Conflict(refusal)
    check_confirmation(person, confirmation)
    now = utcnow()
    # Compare-and-set, so of two simultaneous submissions only one erases and records it.
    claimed = session.execute(
        update(User).where(User.id == person.id, User.anonymised_at.is_(None)).values(anonymised_at=now)
    ).rowcount
    if claimed != 1:
        raise Conflict(_("This person's personal data has already been erased."))
    old_email, old_name = person.email.lower(), person.full_name
    replace = _replacer(old_email, old_name, person.id)

    person.full_name, person.email, person.job_title = "", anonymised_email(person.id), ""
    person.password_hash, person.is_active, person.last_login_at, person.anonymised_at = None, False, None, now
    session.flush()

    sessions = _deleted(session, delete(UserSession).where(UserSession.user_id == person.id))
    reset_links = _deleted(session, delete(PasswordResetToken).where(PasswordResetToken.user_id == person.id))
    sign_ins = _deleted(session, delete(LoginAttempt).where(LoginAttempt.email == old_email))
    answers, comments = _erase_answers(session, person.id)
    summary = AnonymisationSummary(
        user_id=person.id,
        sessions_deleted=sessions,
        reset_links_deleted=reset_links,
        sign_in_attempts_deleted=sign_ins,
        answers_erased=answers,
        comments_erased=comments,
        certificates_cleared=_clear_certificates(session, person.id, replace, old_email),
        audit_entries_relabelled=_relabel_audit_entries(session, person.id),
        audit_details_cleaned=_clean_audit_details(session, person.id, replace, old_email, old_name),
        import_rows_cleaned=_clean_imports(session, replace, old_email, old_name),
    )
    record(
        session,
        actor=by,
        action=AuditAction.USER_ANONYMISED,
        target_type="user",
        target_id=person.id,
        details=summary.as_audit_details(),
        ip_address=ip_address,
    )
    return summary


def _deleted(session: Session, statement: Any) -> int:
    return int(session.execute(statement).rowcount or 0)


def _erase_answers(session: Session, user_id: int) -> tuple[int, int]:
    """Free-text answers and trainers' comments on them go; marks stay. Returns how many of each."""
    rows = session.scalars(
        select(AttemptQuestion)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(QuizAttempt.user_id == user_id)
        .options(joinedload(AttemptQuestion.version))
    )
    answers = comments = 0
    for row in rows:
        if row.response is not None and row.version.data.get("type") in FREE_TEXT_TYPES:
            row.response = None
            if row.mark is not None and row.manual_mark is None:
                # Frozen as a manual mark, so a later regrade cannot mark the erased answer as unanswered.
                row.manual_mark = row.mark
            answers += 1
        if row.manual_comment:
            row.manual_comment = ""  # a trainer's comment is about the person's answer, and may quote it
            comments += 1
    session.flush()
    return answers, comments


def _clear_certificates(session: Session, user_id: int, replace: Replace, old_email: str) -> int:
    certificates = list(session.scalars(select(Certificate).where(Certificate.user_id == user_id)))
    for certificate in certificates:
        certificate.holder_name = ""
        certificate.details = _scrubbed(certificate.details, replace, old_email)
        if certificate.revoked_reason:
            certificate.revoked_reason = replace(certificate.revoked_reason)
    # The stored PDF prints the name: dropped without loading it.
    session.execute(update(Certificate).where(Certificate.user_id == user_id).values(pdf=None))
    session.flush()
    return len(certificates)


def _relabel_audit_entries(session: Session, user_id: int) -> int:
    # The entries stay (the log is append-only in meaning); who made them is no longer spelled out.
    return int(
        session.execute(
            update(AuditEntry)
            .where(AuditEntry.actor_id == user_id)
            .values(actor_label=neutral_label(user_id), ip_address="")
        ).rowcount
        or 0
    )


def _clean_audit_details(session: Session, user_id: int, replace: Replace, old_email: str, old_name: str) -> int:
    about = and_(AuditEntry.target_type == "user", AuditEntry.target_id == str(user_id))
    entries = session.scalars(
        select(AuditEntry).where(
            or_(AuditEntry.actor_id == user_id, about, _mentions(AuditEntry.details, old_email, old_name))
        )
    )
    cleaned = 0
    for entry in entries:
        details = _scrubbed(entry.details, replace, old_email)
        if details != entry.details:
            entry.details = details
            cleaned += 1
    session.flush()
    return cleaned


def _clean_imports(session: Session, replace: Replace, old_email: str, old_name: str) -> int:
    imports = session.scalars(select(UserImport).where(_mentions(UserImport.rows, old_email, old_name)))
    cleaned = 0
    for user_import in imports:
        rows = _scrubbed(user_import.rows, replace, old_email)
        if rows != user_import.rows:
            user_import.rows = rows
            cleaned += 1
    session.flush()
    return cleaned
