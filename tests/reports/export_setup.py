"""A small seeded world for the completion records export tests, and what the database says each record is.

Three organisations, two courses (SC9 with its quiz in programme SC, a quiz-less course in programme AC),
learners in every state, grades, a valid and a revoked certificate, an anonymised person, a name that
looks like a spreadsheet formula, and a trainer whose place must never be exported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.i18n import pick
from app.courses.models import Course, CourseRole, Enrolment, Programme
from app.progress.certificates import issue_certificate, revoke_certificate
from app.progress.models import Certificate, CompletionState, CourseCompletion
from app.quizzes.models import Quiz, QuizGrade
from tests.factories import make_user
from tests.progress.page_setup import extra_course
from tests.quizzes.attempt_rows import course_quiz

BASE_URL = "http://testserver"
FORMULA_NAME = '=HYPERLINK("http://evil.example","klik")'
FORMULA_JOB = "+370 600 00000"


def when(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)


@dataclass
class ExportWorld:
    admin: User
    manager: User  # organisation manager of organisations[0]
    organisations: list[Organisation]
    sc9: Course
    extra: Course
    people: dict[str, User]
    enrolment_ids: list[int] = field(default_factory=list)
    valid_certificate: str = ""
    revoked_certificate: str = ""


def _place(
    db: Session,
    world: ExportWorld,
    user: User,
    course: Course,
    *,
    enrolled: dt.datetime,
    state: CompletionState | None = None,
    completed: dt.datetime | None = None,
    changed: dt.datetime | None = None,
    grade: float | None = None,
    passed: bool = False,
) -> CourseCompletion | None:
    enrolment = Enrolment(user_id=user.id, course_id=course.id, role=CourseRole.LEARNER, enrolled_at=enrolled)
    db.add(enrolment)
    db.flush()
    world.enrolment_ids.append(enrolment.id)
    if grade is not None:
        quiz = course_quiz(db, course.code)
        db.add(
            QuizGrade(
                quiz_id=quiz.id,
                user_id=user.id,
                grade=grade,
                finished_attempts=1,
                passed=passed,
                passed_at=completed if passed else None,
            )
        )
    completion = None
    if state is not None:
        completion = CourseCompletion(
            user_id=user.id,
            course_id=course.id,
            state=state,
            percent=100 if state == CompletionState.COMPLETED else 50,
            completed_at=completed,
            updated_at=changed or completed or enrolled,
        )
        db.add(completion)
    db.flush()
    return completion


def seed_world(db: Session) -> ExportWorld:
    """Needs the fixture content imported (the `synced` fixture)."""
    organisations = list(db.scalars(select(Organisation).order_by(Organisation.id)))[:3]
    first, second, third = organisations
    sc9 = db.scalar(select(Course).where(Course.code == "SC9"))
    assert sc9 is not None, "import the fixture content first"
    extra = extra_course(db, programme="AC")
    admin = make_user(db, full_name="Administratorė", roles={Role.ADMIN})
    manager = make_user(db, full_name="Vadovė", roles={Role.ORG_MANAGER, Role.LEARNER}, organisation=first)
    people = {
        "ona": make_user(db, full_name="Ona Žemaitė", organisation=first),
        "jonas": make_user(db, full_name="Jonas Šimkus", organisation=first),
        "petras": make_user(db, full_name="Petras Ąžuolas", organisation=second),
        "asta": make_user(db, full_name="Asta Ėglė", organisation=second),
        "marius": make_user(db, full_name="Marius Čepas", organisation=third),
        "anonymous": make_user(db, full_name="Rasa Būdė", organisation=third),
        "formula": make_user(db, full_name=FORMULA_NAME, organisation=first),
        "lina": make_user(db, full_name="Lina Dūda", organisation=second),
        "trainer": make_user(db, full_name="Dėstytojas", roles={Role.TRAINER}, organisation=first),
    }
    people["ona"].job_title = "Vyriausioji specialistė"
    people["formula"].job_title = FORMULA_JOB
    world = ExportWorld(admin=admin, manager=manager, organisations=organisations, sc9=sc9, extra=extra, people=people)
    completed = CompletionState.COMPLETED
    ona_sc9 = _place(
        db, world, people["ona"], sc9, enrolled=when(1, 5), state=completed, completed=when(3, 10), grade=85.5,
        passed=True,
    )  # fmt: skip
    jonas_sc9 = _place(
        db, world, people["jonas"], sc9, enrolled=when(1, 6), state=completed, completed=when(4, 20, 14, 30),
        grade=92.25, passed=True,
    )  # fmt: skip
    _place(
        db, world, people["petras"], sc9, enrolled=when(1, 7), state=CompletionState.FAILED, changed=when(5, 1, 9),
        grade=40.0,
    )  # fmt: skip
    _place(db, world, people["asta"], sc9, enrolled=when(1, 8), state=CompletionState.IN_PROGRESS)
    _place(db, world, people["marius"], sc9, enrolled=when(1, 9))
    anonymous_extra = _place(
        db, world, people["anonymous"], extra, enrolled=when(1, 10), state=completed, completed=when(2, 1, 8)
    )
    _place(db, world, people["ona"], extra, enrolled=when(2, 2), state=completed, completed=when(5, 15, 12))
    _place(db, world, people["formula"], extra, enrolled=when(2, 3), state=CompletionState.NOT_STARTED)
    # Completed without passing: SC9's quiz is optional for her (criteria changed after she took it).
    _place(
        db, world, people["lina"], sc9, enrolled=when(2, 4), state=completed, completed=when(6, 30, 23, 30),
        grade=65.0,
    )  # fmt: skip
    db.add(Enrolment(user_id=people["trainer"].id, course_id=sc9.id, role=CourseRole.TRAINER, enrolled_at=when(1, 1)))
    assert ona_sc9 is not None and jonas_sc9 is not None and anonymous_extra is not None
    world.valid_certificate = issue_certificate(db, ona_sc9).code
    issue_certificate(db, anonymous_extra)
    revoked = issue_certificate(db, jonas_sc9)
    revoke_certificate(db, certificate=revoked, reason="Issued by mistake", by=admin)
    world.revoked_certificate = revoked.code
    anonymise(db, people["anonymous"])
    db.commit()
    return world


def anonymise(db: Session, user: User) -> None:
    """What erasing a person does to the row the records point at (the privacy pages do the same)."""
    user.full_name = "Anonimizuotas naudotojas"
    user.email = f"anonymised-{user.id}@invalid.klasteris.lt"
    user.job_title = ""
    user.anonymised_at = when(7, 1)
    db.flush()


# --- what the database says -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One export row, read from the tables object by object (not through the export's query)."""

    learner_id: int
    full_name: str
    email: str
    organisation: str
    organisation_id: int | None
    job_title: str
    programme_code: str
    programme: str
    course_code: str
    course_title: str
    enrolled_at: dt.datetime
    completed_at: dt.datetime | None
    state: CompletionState
    grade: float | None
    hours: int | None
    certificate_code: str
    certificate_url: str

    def machine_row(self) -> list[str]:
        return [
            str(self.learner_id), self.full_name, self.email, self.organisation, self.job_title, self.programme,
            self.course_code, self.course_title, iso(self.enrolled_at), iso(self.completed_at), self.state.value,
            number(self.grade), number(self.hours), self.certificate_code, self.certificate_url,
        ]  # fmt: skip


def iso(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00") if moment else ""


def number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def expected_records(db: Session, world: ExportWorld, *, locale: str = "lt") -> list[Expected]:
    db.expire_all()
    found = []
    for enrolment_id in world.enrolment_ids:
        enrolment = db.get(Enrolment, enrolment_id)
        assert enrolment is not None
        user = db.get(User, enrolment.user_id)
        course = db.get(Course, enrolment.course_id)
        assert user is not None and course is not None
        programme = db.get(Programme, course.programme_id)
        organisation = db.get(Organisation, user.organisation_id) if user.organisation_id else None
        completion = db.scalar(
            select(CourseCompletion).where(CourseCompletion.user_id == user.id, CourseCompletion.course_id == course.id)
        )
        grade = db.scalar(
            select(QuizGrade.grade)
            .join(Quiz, Quiz.id == QuizGrade.quiz_id)
            .where(Quiz.course_id == course.id, QuizGrade.user_id == user.id)
        )
        certificate = db.scalar(
            select(Certificate).where(
                Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.revoked_at.is_(None)
            )
        )
        assert programme is not None
        state = CompletionState(completion.state) if completion else CompletionState.NOT_STARTED
        found.append(
            Expected(
                learner_id=user.id,
                full_name=user.full_name,
                email="" if user.anonymised_at else user.email,
                organisation=organisation.name(locale) if organisation else "",
                organisation_id=user.organisation_id,
                job_title=user.job_title,
                programme_code=programme.code,
                programme=str(pick(programme.title, locale)),
                course_code=course.code,
                course_title=str(pick(course.title, locale)),
                enrolled_at=enrolment.enrolled_at,
                completed_at=completion.completed_at if completion else None,
                state=state,
                grade=round(grade, 2) if grade is not None else None,
                hours=course.estimated_hours if state is CompletionState.COMPLETED else None,
                certificate_code=certificate.code if certificate else "",
                certificate_url=f"{BASE_URL}/verify/{certificate.code}" if certificate else "",
            )
        )
    return found


def formula_safe(row: list[str]) -> list[str]:
    """What a CSV cell holds for text starting like a formula: an apostrophe in front."""
    return [f"'{cell}" if cell.startswith(("=", "+", "-", "@")) else cell for cell in row]


def csv_rows(data: bytes, *, delimiter: str = ",") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter=delimiter))


Predicate = Callable[[Expected], bool]
