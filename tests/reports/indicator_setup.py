"""A seeded dataset for the indicator tests, written straight to the tables with chosen dates.

Three organisations, two programmes (IA: courses IA1 and IA2, IB: course IB1), learners in every completion
state, quiz grades, a trainer's preview and an anonymised learner. The expected figures in test_indicators.py
are worked out by hand from the timeline below (all times UTC).

    who  org  registered        IA1                                         IB1
    tA   A    2024-01-05 09:00  trainer, preview attempt 2024-02-01         -
    a1   A    2024-01-10 08:00  tick 02-01 10:00, attempt 02-05, grade 90,   tick 03-15, in progress
                                completed 02-10
    a2   A    2024-01-31 23:59:59  attempt 02-20, grade 40, failed           -
    a3   A    2024-02-01 00:00  enrolled, nothing done                      -
    a4   A    2024-03-01 12:00  -                                           tick 03-20, attempt 03-25, grade 70,
         (anonymised)                                                       completed 03-31 23:59:59
    b1   B    2024-02-15 12:00  tick 03-30, attempt finished 04-01 00:00,    completion row "not started"
                                grade 60, completed 04-01 00:00
    b2   B    2024-04-02 12:00  -                                           attempt 04-03 unfinished (no grade yet)
    b3   B    2024-04-10 12:00  no enrolment                                -
    c1   C    2024-05-05 12:00  -                                           tick 05-05, attempt 05-06, grade 100,
                                                                            completed 05-06
IA2 has no activity. The trainer tA has the learner role too (as trainers do), so counts as registered.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.accounts.service import create_user
from app.core.access import Role
from app.courses.models import Course, CourseRole, Enrolment, Lesson, LessonCompletion, Programme, Section
from app.progress.models import CompletionState, CourseCompletion
from app.quizzes.models import AttemptState, Quiz, QuizAttempt, QuizGrade

_serial = itertools.count(1)


def at(moment: str) -> dt.datetime:
    """'2024-02-01 10:00' (or with seconds) as a UTC moment."""
    return dt.datetime.fromisoformat(moment).replace(tzinfo=dt.UTC)


def organisations(db: Session) -> list[Organisation]:
    """The seeded partner organisations, in id order."""
    return list(db.scalars(select(Organisation).order_by(Organisation.id)))


def make_programme(db: Session, code: str, position: int) -> Programme:
    programme = Programme(
        code=code, slug=f"indicators-{code.lower()}", position=position,
        title={"lt": f"Programa {code}", "en": f"Programme {code}"},
        description={"lt": "Aprašas", "en": "Description"}, content_hash="x",
    )  # fmt: skip
    db.add(programme)
    db.flush()
    return programme


def make_course(db: Session, programme: Programme, code: str, position: int) -> Course:
    """A course with one section, two lessons and a quiz."""
    course = Course(
        code=code, slug=f"indicators-{code.lower()}", programme_id=programme.id, position=position,
        title={"lt": f"Kursas {code}", "en": f"Course {code}"}, summary={"lt": "S", "en": "S"},
        outcomes={"lt": ["T"], "en": ["O"]}, estimated_hours=4, content_hash="x",
    )  # fmt: skip
    db.add(course)
    db.flush()
    section = Section(course_id=course.id, slug="only", position=1, title={"lt": "Skyrius", "en": "Section"})
    db.add(section)
    db.flush()
    for position_in_section in (1, 2):
        db.add(
            Lesson(
                course_id=course.id,
                section_id=section.id,
                slug=f"l{position_in_section}",
                position=position_in_section,
                content_hash="x",
            )
        )
    db.add(Quiz(course_id=course.id))
    db.flush()
    return course


def person(
    db: Session,
    organisation: Organisation | None,
    registered: str,
    *,
    roles: set[Role] | None = None,
    name: str = "Ona Petraitienė",
) -> User:
    user = create_user(
        db,
        email=f"indicators-{next(_serial)}@example.lt",
        full_name=name,
        roles=roles or {Role.LEARNER},
        organisation_id=organisation.id if organisation else None,
    )
    user.created_at = at(registered)
    db.flush()
    return user


def enrol(db: Session, user: User, course: Course, *, role: str = CourseRole.LEARNER) -> None:
    db.add(Enrolment(user_id=user.id, course_id=course.id, role=role, enrolled_at=user.created_at))
    db.flush()


def tick(db: Session, user: User, course: Course, when: str, *, lesson: int = 1) -> None:
    lesson_id = db.scalar(select(Lesson.id).where(Lesson.course_id == course.id, Lesson.position == lesson))
    assert lesson_id is not None
    db.add(LessonCompletion(user_id=user.id, lesson_id=lesson_id, completed_at=at(when)))
    db.flush()


def quiz_of(db: Session, course: Course) -> Quiz:
    quiz = db.scalar(select(Quiz).where(Quiz.course_id == course.id))
    assert quiz is not None
    return quiz


def attempt(
    db: Session,
    user: User,
    course: Course,
    started: str,
    *,
    finished: str | None = None,
    grade: float | None = None,
    preview: bool = False,
) -> None:
    """An attempt; a finished one with a grade also sets the learner's course grade (one finished attempt)."""
    quiz = quiz_of(db, course)
    number = len(
        db.scalars(select(QuizAttempt.id).where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.user_id == user.id)).all()
    )
    db.add(
        QuizAttempt(
            quiz_id=quiz.id, user_id=user.id, number=number + 1, is_preview=preview, language="lt",
            state=AttemptState.FINISHED if finished else AttemptState.IN_PROGRESS, seed=1,
            started_at=at(started), finished_at=at(finished) if finished else None,
            score=grade / 50 if grade is not None else None, max_score=2.0, grade=grade,
        )
    )  # fmt: skip
    if finished and grade is not None and not preview:
        db.add(
            QuizGrade(
                quiz_id=quiz.id, user_id=user.id, grade=grade, finished_attempts=1, passed=grade >= 70,
                passed_at=at(finished) if grade >= 70 else None, updated_at=at(finished),
            )
        )  # fmt: skip
    db.flush()


def completion(db: Session, user: User, course: Course, state: CompletionState, when: str) -> None:
    done = state is CompletionState.COMPLETED
    db.add(
        CourseCompletion(
            user_id=user.id, course_id=course.id, state=state.value, percent=100 if done else 50,
            completed_at=at(when) if done else None, updated_at=at(when),
        )
    )  # fmt: skip
    db.flush()


@dataclass(frozen=True)
class Dataset:
    org_a: Organisation
    org_b: Organisation
    org_c: Organisation
    ia1: Course
    ia2: Course
    ib1: Course
    people: dict[str, User]


def seed_dataset(db: Session) -> Dataset:
    org_a, org_b, org_c = organisations(db)[:3]
    programme_a = make_programme(db, "IA", 901)
    programme_b = make_programme(db, "IB", 902)
    ia1 = make_course(db, programme_a, "IA1", 1)
    ia2 = make_course(db, programme_a, "IA2", 2)
    ib1 = make_course(db, programme_b, "IB1", 1)
    people: dict[str, User] = {}

    trainer = people["tA"] = person(db, org_a, "2024-01-05 09:00", roles={Role.TRAINER, Role.LEARNER})
    enrol(db, trainer, ia1, role=CourseRole.TRAINER)
    attempt(db, trainer, ia1, "2024-02-01 09:00", finished="2024-02-01 09:30", grade=100, preview=True)

    a1 = people["a1"] = person(db, org_a, "2024-01-10 08:00")
    enrol(db, a1, ia1)
    enrol(db, a1, ib1)
    tick(db, a1, ia1, "2024-02-01 10:00")
    tick(db, a1, ia1, "2024-02-02 10:00", lesson=2)
    attempt(db, a1, ia1, "2024-02-05 10:00", finished="2024-02-05 10:30", grade=90)
    completion(db, a1, ia1, CompletionState.COMPLETED, "2024-02-10 12:00")
    tick(db, a1, ib1, "2024-03-15 10:00")
    completion(db, a1, ib1, CompletionState.IN_PROGRESS, "2024-03-15 10:00")

    a2 = people["a2"] = person(db, org_a, "2024-01-31 23:59:59")
    enrol(db, a2, ia1)
    attempt(db, a2, ia1, "2024-02-20 10:00", finished="2024-02-20 10:30", grade=40)
    completion(db, a2, ia1, CompletionState.FAILED, "2024-02-21 10:00")

    a3 = people["a3"] = person(db, org_a, "2024-02-01 00:00")
    enrol(db, a3, ia1)

    a4 = people["a4"] = person(db, org_a, "2024-03-01 12:00", name="Anonymised learner")
    enrol(db, a4, ib1)
    tick(db, a4, ib1, "2024-03-20 10:00")
    attempt(db, a4, ib1, "2024-03-25 10:00", finished="2024-03-25 10:30", grade=70)
    completion(db, a4, ib1, CompletionState.COMPLETED, "2024-03-31 23:59:59")
    a4.anonymised_at = at("2024-06-01 00:00")
    a4.email = f"anonymised-{a4.id}@invalid"

    b1 = people["b1"] = person(db, org_b, "2024-02-15 12:00")
    enrol(db, b1, ia1)
    enrol(db, b1, ib1)
    tick(db, b1, ia1, "2024-03-30 10:00")
    attempt(db, b1, ia1, "2024-03-31 23:30", finished="2024-04-01 00:00", grade=60)
    completion(db, b1, ia1, CompletionState.COMPLETED, "2024-04-01 00:00")
    completion(db, b1, ib1, CompletionState.NOT_STARTED, "2024-03-30 10:00")

    b2 = people["b2"] = person(db, org_b, "2024-04-02 12:00")
    enrol(db, b2, ib1)
    attempt(db, b2, ib1, "2024-04-03 10:00")

    people["b3"] = person(db, org_b, "2024-04-10 12:00")

    c1 = people["c1"] = person(db, org_c, "2024-05-05 12:00")
    enrol(db, c1, ib1)
    tick(db, c1, ib1, "2024-05-05 13:00")
    attempt(db, c1, ib1, "2024-05-06 09:00", finished="2024-05-06 09:20", grade=100)
    completion(db, c1, ib1, CompletionState.COMPLETED, "2024-05-06 09:20")

    db.commit()
    return Dataset(org_a=org_a, org_b=org_b, org_c=org_c, ia1=ia1, ia2=ia2, ib1=ib1, people=people)
