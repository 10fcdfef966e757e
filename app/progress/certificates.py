"""Certificates: issued once per completion with frozen details, verified publicly by code, revocable."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, undefer

from app.accounts.models import User
from app.core.config import SUPPORTED_LOCALES
from app.core.db import utcnow
from app.core.errors import NotFound
from app.core.i18n import _, local_date, pick
from app.courses.models import Competency, CompetencyLevel, Course
from app.progress.competencies import attained_levels
from app.progress.documents import CertificateCompetency, CertificateDocument, certificate_pdf
from app.progress.models import Certificate, CertificateDetails, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade

# Crockford's base32: no I, L, O or U, so a code read aloud or typed from paper is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 random bits
ADMIN_PAGE_SIZE = 50


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[start : start + 4] for start in range(0, CODE_LENGTH, 4))


def normalise_code(typed: str) -> str | None:
    """A code as typed (any case, spaces, dashes, O for 0, I/L for 1) in its stored form, or None."""
    cleaned = re.sub(r"[\s-]", "", typed.upper()).translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in cleaned):
        return None
    return "-".join(cleaned[start : start + 4] for start in range(0, CODE_LENGTH, 4))


def issue_certificate(session: Session, completion: CourseCompletion) -> Certificate:
    """The certificate for a completion, created on first call (later calls return the same one)."""
    existing = session.scalar(
        select(Certificate).where(
            Certificate.user_id == completion.user_id, Certificate.course_id == completion.course_id
        )
    )
    if existing is not None:
        return existing
    user = session.get(User, completion.user_id)
    course = session.scalar(
        select(Course).where(Course.id == completion.course_id).options(joinedload(Course.programme))
    )
    assert user is not None and course is not None and completion.completed_at is not None
    certificate = Certificate(
        code=new_code(),
        user_id=user.id,
        course_id=course.id,
        locale=user.locale if user.locale in SUPPORTED_LOCALES else "lt",
        holder_name=user.full_name,
        details=_frozen_details(session, course, user.id),
        completed_at=completion.completed_at,
        issued_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(certificate)
    except IntegrityError:  # issued by a simultaneous request
        found = session.scalar(
            select(Certificate).where(Certificate.user_id == user.id, Certificate.course_id == course.id)
        )
        assert found is not None
        return found
    return certificate


def _frozen_details(session: Session, course: Course, user_id: int) -> CertificateDetails:
    """What the certificate says, copied now so later content edits never change an issued certificate."""
    grade = session.scalar(
        select(QuizGrade.grade)
        .join(Quiz, Quiz.id == QuizGrade.quiz_id)
        .where(Quiz.course_id == course.id, QuizGrade.user_id == user_id)
    )
    levels = attained_levels(course.competencies, grade)
    competencies = {c.code: c for c in session.scalars(select(Competency).where(Competency.code.in_(list(levels))))}
    level_titles = {level.level: level.title for level in session.scalars(select(CompetencyLevel))}
    return {
        "course_code": course.code,
        "course": course.title,
        "programme": course.programme.title,
        "issuer": course.programme.issuer,
        "hours": course.estimated_hours,
        "competencies": [
            {
                "code": code,
                "title": competencies[code].title if code in competencies else {"lt": code, "en": code},
                "level": level,
                "level_title": level_titles.get(level, {"lt": str(level), "en": str(level)}),
            }
            for code, level in sorted(levels.items())
        ],
    }


def certificate_document(certificate: Certificate, *, base_url: str) -> CertificateDocument:
    details, locale = certificate.details, certificate.locale
    return CertificateDocument(
        locale=locale,
        holder_name=certificate.holder_name,
        course_code=str(details["course_code"]),
        course_title=str(pick(details["course"], locale)),
        programme_title=str(pick(details["programme"], locale)),
        issuer=str(pick(details["issuer"], locale)) if details["issuer"] else "",
        hours=details["hours"],
        competencies=[
            CertificateCompetency(
                code=item["code"],
                title=str(pick(item["title"], locale)),
                level_title=str(pick(item["level_title"], locale)),
            )
            for item in details["competencies"]
        ],
        completed_on=local_date(certificate.completed_at),
        code=certificate.code,
        verify_url=verify_url(certificate.code, base_url=base_url),
    )


def verify_url(code: str, *, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{code}"


def own_certificate_pdf(
    session: Session, *, code: str, user: User, is_admin: bool, base_url: str
) -> tuple[Certificate, bytes]:
    """The PDF of a certificate its holder (or an administrator) asks for; made on first download, then kept."""
    statement = select(Certificate).where(Certificate.code == code).options(undefer(Certificate.pdf))
    if not is_admin:
        statement = statement.where(Certificate.user_id == user.id)
    certificate = session.scalar(statement)
    if certificate is None:
        raise certificate_missing()
    if certificate.revoked_at is not None and not is_admin:
        raise NotFound(_("This certificate has been revoked, so it can no longer be downloaded."))
    if certificate.pdf is None:
        certificate.pdf = certificate_pdf(certificate_document(certificate, base_url=base_url))
        session.flush()
    return certificate, certificate.pdf


def certificate_missing() -> NotFound:
    return NotFound(_("No certificate with this code was found."))


def pdf_filename(certificate: Certificate) -> str:
    return f"klasteris-{certificate.details['course_code']}-{certificate.code}.pdf"


# --- public verification ----------------------------------------------------------------------------


def find_for_verification(session: Session, typed_code: str) -> Certificate | None:
    code = normalise_code(typed_code)
    if code is None:
        return None
    return session.scalar(select(Certificate).where(Certificate.code == code))


def open_badge_credential(certificate: Certificate, *, base_url: str) -> dict[str, Any]:
    """The certificate as an Open Badges 3.0 credential document (unsigned: the verify page is the proof)."""
    details, locale = certificate.details, certificate.locale
    base = base_url.rstrip("/")
    issuer = str(pick(details["issuer"], locale)) if details["issuer"] else "Klasteris"
    course_title = str(pick(details["course"], locale))
    credential: dict[str, Any] = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": verify_url(certificate.code, base_url=base_url),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": course_title,
        "issuer": {"id": base, "type": ["Profile"], "name": issuer},
        "validFrom": certificate.completed_at.isoformat(),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": certificate.holder_name,
            "achievement": {
                "id": f"{base}/courses/{details['course_code']}",
                "type": ["Achievement"],
                "name": course_title,
                "achievementType": "Course",
                "criteria": {"id": f"{base}/courses/{details['course_code']}"},
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetCode": item["code"],
                        "targetName": str(pick(item["title"], locale)),
                        "targetUrl": f"{base}/competencies#competency-{item['code']}",
                    }
                    for item in details["competencies"]
                ],
            },
        },
    }
    if certificate.revoked_at is not None:
        credential["credentialStatus"] = {"type": "RevocationStatus", "revoked": True}
    return credential


# --- administration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateRow:
    certificate: Certificate
    email: str
    course_code: str


def admin_certificates(session: Session, *, query: str, page: int) -> tuple[list[CertificateRow], int]:
    """Certificates matching a code, a holder's name or email, newest first, a page at a time."""
    statement = (
        select(Certificate, User.email, Course.code)
        .join(User, User.id == Certificate.user_id)
        .join(Course, Course.id == Certificate.course_id)
    )
    typed = query.strip()
    if typed:
        code = normalise_code(typed)
        folded = typed.casefold()
        conditions = [
            func.lower(Certificate.holder_name).contains(folded, autoescape=True),
            func.lower(User.email).contains(folded, autoescape=True),
        ]
        if code is not None:
            conditions.append(Certificate.code == code)
        statement = statement.where(or_(*conditions))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    rows = session.execute(
        statement.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(ADMIN_PAGE_SIZE)
        .offset((page - 1) * ADMIN_PAGE_SIZE)
    ).all()
    return [CertificateRow(certificate=row[0], email=row[1], course_code=row[2]) for row in rows], total


def revoke_target(session: Session, *, code: str) -> Certificate:
    certificate = session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise certificate_missing()
    return certificate


def revoke_certificate(session: Session, *, certificate: Certificate, reason: str, by: User) -> Certificate:
    if certificate.revoked_at is not None:
        return certificate  # revoking twice keeps the first reason and date
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = by.id
    session.flush()
    return certificate
