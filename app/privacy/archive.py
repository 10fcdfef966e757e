"""A person's own data as one JSON document: what they, or an administrator answering their request, download.

Everything is read with a fixed number of queries, however many attempts, ticks or sessions the person has.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from app.accounts.models import LoginAttempt, User, UserSession
from app.audit.models import AuditEntry
from app.audit.service import AuditAction, record
from app.core.config import SUPPORTED_LOCALES
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.i18n import _, local_date, pick
from app.courses.models import Course, Enrolment, Lesson, LessonCompletion, LessonText, Programme
from app.progress.certificates import verify_url
from app.progress.models import Certificate, CourseCompletion
from app.quizzes.attempts import attempt_question_model, review_shows
from app.quizzes.interchange import Description, Matching, MultipleChoice, Question, SingleChoice, TrueFalse
from app.quizzes.models import AttemptQuestion, AttemptState, Quiz, QuizAttempt, QuizGrade
from app.toolkits.models import Toolkit, ToolkitVersion

ARCHIVE_FORMAT = "klasteris-personal-data"
# Raise when a section changes shape, so programs that read archives can tell the versions apart.
ARCHIVE_FORMAT_VERSION = 1

JSON = dict[str, Any]


def person_missing() -> NotFound:
    return NotFound(_("This person was not found."))


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def subject_of(session: Session, *, user_id: int) -> User:
    """The person whose data is asked for, with what their profile shows (roles, organisation)."""
    user = session.scalar(
        select(User).where(User.id == user_id).options(selectinload(User.roles), joinedload(User.organisation))
    )
    if user is None:
        raise person_missing()
    return user


# --- sections -------------------------------------------------------------------------------------


def _profile(user: User, locale: str) -> JSON:
    return {
        "id": user.id,
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "organisation": user.organisation.name(locale) if user.organisation is not None else None,
        "preferred_language": user.locale,
        "roles": sorted(grant.role for grant in user.roles),
        "account_active": user.is_active,
        "created_at": _iso(user.created_at),
        "last_sign_in_at": _iso(user.last_login_at),
        "anonymised_at": _iso(user.anonymised_at),
    }


def _lesson_titles(session: Session, lesson_ids: set[int], locale: str) -> dict[int, str]:
    rows = session.execute(
        select(LessonText.lesson_id, LessonText.locale, LessonText.title).where(LessonText.lesson_id.in_(lesson_ids))
    )
    by_lesson: dict[int, dict[str, str]] = {}
    for lesson_id, text_locale, title in rows:
        by_lesson.setdefault(lesson_id, {})[text_locale] = title
    return {lesson_id: str(pick(titles, locale)) for lesson_id, titles in by_lesson.items()}


def _course_places_and_ticks(session: Session, user_id: int, locale: str) -> tuple[list[JSON], list[JSON]]:
    places = session.execute(
        select(Enrolment, Course.code, Course.title, Lesson.slug)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(Lesson, Lesson.id == Enrolment.last_lesson_id)
        .where(Enrolment.user_id == user_id)
        .order_by(Enrolment.enrolled_at, Enrolment.id)
    ).all()
    ticks = session.execute(
        select(LessonCompletion.completed_at, Lesson.id, Lesson.slug, Course.code, Course.title)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .join(Course, Course.id == Lesson.course_id)
        .where(LessonCompletion.user_id == user_id)
        .order_by(LessonCompletion.completed_at, Lesson.id)
    ).all()
    lesson_ids = {tick[1] for tick in ticks} | {place[0].last_lesson_id for place in places if place[0].last_lesson_id}
    titles = _lesson_titles(session, lesson_ids, locale)
    course_places = [
        {
            "course_code": code,
            "course_title": pick(title, locale),
            "role": enrolment.role,
            "enrolled_at": _iso(enrolment.enrolled_at),
            "last_lesson": None
            if enrolment.last_lesson_id is None
            else {"slug": lesson_slug, "title": titles.get(enrolment.last_lesson_id, lesson_slug)},
        }
        for enrolment, code, title, lesson_slug in places
    ]
    lesson_ticks = [
        {
            "course_code": code,
            "course_title": pick(course_title, locale),
            "lesson_slug": slug,
            "lesson_title": titles.get(lesson_id, slug),
            "completed_at": _iso(completed_at),
        }
        for completed_at, lesson_id, slug, code, course_title in ticks
    ]
    return course_places, lesson_ticks


def _completions(session: Session, user_id: int, locale: str) -> list[JSON]:
    rows = session.execute(
        select(CourseCompletion, Course.code, Course.title)
        .join(Course, Course.id == CourseCompletion.course_id)
        .where(CourseCompletion.user_id == user_id)
        .order_by(Course.code)
    ).all()
    return [
        {
            "course_code": code,
            "course_title": pick(title, locale),
            "state": completion.state,
            "percent": completion.percent,
            "completed_at": _iso(completion.completed_at),
            "updated_at": _iso(completion.updated_at),
        }
        for completion, code, title in rows
    ]


def answer_as_given(question: Question, stored: Any) -> Any:
    """The person's answer in words: the texts of the options they chose, or what they typed."""
    if stored is None:
        return None
    match question:
        case SingleChoice():
            return question.answers[stored].text if isinstance(stored, int) and stored < len(question.answers) else None
        case MultipleChoice():
            return [question.answers[index].text for index in stored if index < len(question.answers)]
        case TrueFalse():
            return bool(stored)
        case Matching():
            return {
                question.pairs[int(index)].prompt: text
                for index, text in stored.items()
                if index.isdigit() and int(index) < len(question.pairs)
            }
    return str(stored)


def _attempt_question(row: AttemptQuestion, *, marks_shown: bool, comments_shown: bool) -> JSON | None:
    model = attempt_question_model(row)
    if isinstance(model, Description):
        return None  # text between questions: nothing was answered
    return {
        "position": row.position,
        "type": model.type,
        "text": model.text,
        "text_format": model.text_format,
        "answer": answer_as_given(model, row.response),
        "answered_at": _iso(row.saved_at),
        "mark": row.mark if marks_shown else None,
        "max_mark": row.max_mark,
        "trainer_comment": (row.manual_comment or None) if comments_shown else None,
    }


def _attempts(session: Session, user_id: int, locale: str) -> list[JSON]:
    rows = session.execute(
        select(QuizAttempt, Course.code, Course.title)
        .join(QuizAttempt.quiz)
        .join(Course, Course.id == Quiz.course_id)
        .where(QuizAttempt.user_id == user_id)
        .options(
            contains_eager(QuizAttempt.quiz),
            selectinload(QuizAttempt.questions).selectinload(AttemptQuestion.version),
        )
        .order_by(Course.code, QuizAttempt.number)
    ).all()
    now = utcnow()
    attempts = []
    for attempt, code, title in rows:
        # The same review rules as the attempt's review page: marks the quiz still hides stay hidden here.
        shown = review_shows(attempt.quiz, as_trainer=False, now=now)
        finished = attempt.state == AttemptState.FINISHED
        marks_shown = finished and shown.marks
        questions = [
            _attempt_question(row, marks_shown=marks_shown, comments_shown=finished and shown.feedback)
            for row in attempt.questions
        ]
        attempts.append(
            {
                "course_code": code,
                "course_title": pick(title, locale),
                "number": attempt.number,
                "preview": attempt.is_preview,
                "state": attempt.state,
                "started_at": _iso(attempt.started_at),
                "finished_at": _iso(attempt.finished_at),
                "submitted_automatically": attempt.auto_submitted,
                "marks_shown": marks_shown,
                "score": attempt.score if marks_shown else None,
                "max_score": attempt.max_score,
                "grade_percent": attempt.grade if marks_shown else None,
                "questions": [question for question in questions if question is not None],
            }
        )
    return attempts


def _grades(session: Session, user_id: int, locale: str) -> list[JSON]:
    rows = session.execute(
        select(QuizGrade, Course.code, Course.title, Quiz.pass_mark)
        .join(Quiz, Quiz.id == QuizGrade.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(QuizGrade.user_id == user_id)
        .order_by(Course.code)
    ).all()
    return [
        {
            "course_code": code,
            "course_title": pick(title, locale),
            "grade_percent": grade.grade,
            "pass_mark_percent": pass_mark,
            "passed": grade.passed,
            "passed_at": _iso(grade.passed_at),
            "finished_attempts": grade.finished_attempts,
        }
        for grade, code, title, pass_mark in rows
    ]


def _certificates(session: Session, user_id: int, locale: str, base_url: str) -> list[JSON]:
    certificates = session.scalars(
        select(Certificate).where(Certificate.user_id == user_id).order_by(Certificate.issued_at, Certificate.id)
    )
    return [
        {
            "code": certificate.code,
            "course_code": certificate.details["course_code"],
            "course_title": pick(certificate.details["course"], locale),
            "holder_name": certificate.holder_name,
            "completed_at": _iso(certificate.completed_at),
            "issued_at": _iso(certificate.issued_at),
            "revoked": certificate.revoked_at is not None,
            "revoked_at": _iso(certificate.revoked_at),
            "revoked_reason": certificate.revoked_reason,
            "verify_url": verify_url(certificate.code, base_url=base_url),
        }
        for certificate in certificates
    ]


def _toolkits(session: Session, user_id: int, locale: str) -> list[JSON]:
    uploaded = select(ToolkitVersion.toolkit_id).where(ToolkitVersion.uploaded_by_id == user_id)
    rows = session.execute(
        select(Toolkit, Course.code, Programme.code)
        .outerjoin(Course, Course.id == Toolkit.course_id)
        .outerjoin(Programme, Programme.id == Toolkit.programme_id)
        .where(or_(Toolkit.created_by_id == user_id, Toolkit.id.in_(uploaded)))
        .options(selectinload(Toolkit.versions))
        .order_by(Toolkit.created_at, Toolkit.id)
    ).all()
    return [
        {
            "title": pick(toolkit.title, locale),
            "course_code": course_code,
            "programme_code": programme_code,
            "created_by_you": toolkit.created_by_id == user_id,
            "created_at": _iso(toolkit.created_at),
            "deleted_at": _iso(toolkit.deleted_at),
            "files_you_uploaded": [
                {
                    "version": version.number,
                    "file_name": version.file_name,
                    "size_bytes": version.size,
                    "change_note": version.change_note,
                    "uploaded_at": _iso(version.uploaded_at),
                }
                for version in toolkit.versions
                if version.uploaded_by_id == user_id
            ],
        }
        for toolkit, course_code, programme_code in rows
    ]


def _sessions(session: Session, user_id: int) -> list[JSON]:
    rows = session.scalars(
        select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.created_at, UserSession.id)
    )
    return [
        {
            "signed_in_at": _iso(row.created_at),
            "last_seen_at": _iso(row.last_seen_at),
            "expires_at": _iso(row.expires_at),
            "signed_out_at": _iso(row.revoked_at),
            "ip_address": row.ip_address,
            "browser": row.user_agent,
        }
        for row in rows
    ]


def _sign_in_attempts(session: Session, email: str) -> list[JSON]:
    rows = session.scalars(
        select(LoginAttempt).where(LoginAttempt.email == email).order_by(LoginAttempt.created_at, LoginAttempt.id)
    )
    return [{"at": _iso(row.created_at), "ip_address": row.ip_address, "succeeded": row.succeeded} for row in rows]


def _action_label(action: str) -> str:
    try:
        return AuditAction(action).label
    except ValueError:
        return action


def _audit_entries(session: Session, user_id: int) -> list[JSON]:
    about = and_(AuditEntry.target_type == "user", AuditEntry.target_id == str(user_id))
    entries = session.scalars(
        select(AuditEntry)
        .where(or_(AuditEntry.actor_id == user_id, about))
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    result = []
    for entry in entries:
        by_them = entry.actor_id == user_id
        # Staff who acted on the account are named by their role only: their own details are not the person's.
        performed_by = "you" if by_them else ("staff" if entry.actor_id is not None else entry.actor_label)
        result.append(
            {
                "at": _iso(entry.created_at),
                "action": entry.action,
                "description": _action_label(entry.action),
                "performed_by": performed_by,
                "about_you": entry.target_type == "user" and entry.target_id == str(user_id),
                "target_type": entry.target_type,
                "target_id": entry.target_id,
                "details": entry.details,
                "ip_address": entry.ip_address if by_them else None,
            }
        )
    return result


# --- the archive ----------------------------------------------------------------------------------


def personal_data(session: Session, *, subject: User, base_url: str) -> JSON:
    """Every section of the archive. Titles are given in the person's own language."""
    locale = subject.locale if subject.locale in SUPPORTED_LOCALES else "lt"
    course_places, lesson_ticks = _course_places_and_ticks(session, subject.id, locale)
    return {
        "format": ARCHIVE_FORMAT,
        "format_version": ARCHIVE_FORMAT_VERSION,
        "exported_at": _iso(utcnow()),
        "site": base_url,
        "language": locale,
        "profile": _profile(subject, locale),
        "course_places": course_places,
        "lesson_ticks": lesson_ticks,
        "course_completions": _completions(session, subject.id, locale),
        "quiz_attempts": _attempts(session, subject.id, locale),
        "quiz_grades": _grades(session, subject.id, locale),
        "certificates": _certificates(session, subject.id, locale, base_url),
        "toolkit_uploads": _toolkits(session, subject.id, locale),
        "sessions": _sessions(session, subject.id),
        "sign_in_attempts": _sign_in_attempts(session, subject.email),
        "audit_entries": _audit_entries(session, subject.id),
    }


@dataclass(frozen=True)
class PersonalDataFile:
    filename: str
    content: bytes


def export_personal_data(
    session: Session, *, user_id: int, requested_by: User, base_url: str, ip_address: str
) -> PersonalDataFile:
    """The archive of one person, recorded in the audit log with who asked for it."""
    subject = subject_of(session, user_id=user_id)
    document = personal_data(session, subject=subject, base_url=base_url)
    record(
        session,
        actor=requested_by,
        action=AuditAction.USER_DATA_EXPORTED,
        target_type="user",
        target_id=subject.id,
        details={
            "user_id": subject.id,
            "requested_by": "self" if requested_by.id == subject.id else "administrator",
            "format_version": ARCHIVE_FORMAT_VERSION,
        },
        ip_address=ip_address,
    )
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return PersonalDataFile(filename=f"klasteris-data-{local_date().isoformat()}.json", content=content)


# --- the page that explains the download ----------------------------------------------------------


@dataclass(frozen=True)
class DataSummary:
    """How many records of each kind are kept about the person, for the "your data" page."""

    course_places: int
    lesson_ticks: int
    completions: int
    attempts: int
    certificates: int
    toolkit_files: int
    sessions: int
    audit_entries: int


def data_summary(session: Session, *, user: User) -> DataSummary:
    def count(model: Any, *conditions: Any) -> Any:
        return select(func.count()).select_from(model).where(*conditions).scalar_subquery()

    about = and_(AuditEntry.target_type == "user", AuditEntry.target_id == str(user.id))
    row = session.execute(
        select(
            count(Enrolment, Enrolment.user_id == user.id),
            count(LessonCompletion, LessonCompletion.user_id == user.id),
            count(CourseCompletion, CourseCompletion.user_id == user.id),
            count(QuizAttempt, QuizAttempt.user_id == user.id),
            count(Certificate, Certificate.user_id == user.id),
            count(ToolkitVersion, ToolkitVersion.uploaded_by_id == user.id),
            count(UserSession, UserSession.user_id == user.id),
            count(AuditEntry, or_(AuditEntry.actor_id == user.id, about)),
        )
    ).one()
    return DataSummary(*(int(value or 0) for value in row))
