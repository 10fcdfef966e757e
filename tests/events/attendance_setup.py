"""Set-up for the attendance tests: events, their trainers and registrations written straight to the tables."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.accounts.service import create_user
from app.core.access import Role
from app.core.db import utcnow
from app.courses.models import Course, CourseRole, Enrolment
from app.events.models import (
    EventCourse,
    EventFormat,
    EventRegistration,
    EventStatus,
    EventTrainer,
    RegistrationStatus,
    TrainingEvent,
)

_serial = itertools.count(1)


def course_by_code(db: Session, code: str) -> Course:
    course = db.scalar(select(Course).where(Course.code == code))
    assert course is not None, f"course {code} is not imported"
    return course


def person(
    db: Session,
    full_name: str,
    *,
    roles: set[Role] | None = None,
    organisation: Organisation | None = None,
    locale: str = "en",
) -> User:
    """An account without a password (no hashing cost); sign it in with tests.accounts.admin_setup.signed_in."""
    if organisation is None:
        organisation = db.scalar(select(Organisation).order_by(Organisation.id))
    user = create_user(
        db, email=f"attendance-{next(_serial)}@example.lt", full_name=full_name, roles=roles or {Role.LEARNER},
        organisation_id=organisation.id if organisation else None, locale=locale,
    )  # fmt: skip
    db.commit()
    return user


def make_event(
    db: Session,
    *,
    courses: Sequence[Course] = (),
    trainers: Sequence[User] = (),
    starts_in: dt.timedelta = dt.timedelta(hours=-2),
    hours: int = 6,
    status: EventStatus = EventStatus.OPEN,
    title: dict[str, str] | None = None,
    time_zone: str = "Europe/Vilnius",
    counts_toward_completion: bool = True,
) -> TrainingEvent:
    """An event that started `starts_in` from now (negative: already started), with its courses and trainers."""
    starts_at = (utcnow() + starts_in).replace(microsecond=0)
    event = TrainingEvent(
        title=title or {"lt": "Klasterių mokymai Kaune", "en": "Cluster training in Kaunas"},
        description={"lt": "Aprašymas", "en": "Description"},
        format=EventFormat.IN_PERSON.value,
        venue="Laisvės al. 1, Kaunas",
        country="LT" if time_zone == "Europe/Vilnius" else "NO",
        time_zone=time_zone,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        registration_deadline=starts_at - dt.timedelta(days=1),
        capacity=100,
        status=status.value,
        counts_toward_completion=counts_toward_completion,
    )
    db.add(event)
    db.flush()
    db.add_all([EventCourse(event_id=event.id, course_id=course.id) for course in courses])
    db.add_all([EventTrainer(event_id=event.id, user_id=trainer.id) for trainer in trainers])
    db.commit()
    return event


def register(
    db: Session,
    event: TrainingEvent,
    user: User,
    *,
    status: RegistrationStatus = RegistrationStatus.REGISTERED,
    attendance: str | None = None,
) -> EventRegistration:
    registration = EventRegistration(
        event_id=event.id,
        user_id=user.id,
        status=status.value,
        waiting_since=utcnow() if status == RegistrationStatus.WAITING else None,
        cancelled_at=utcnow() if status == RegistrationStatus.CANCELLED else None,
        attendance=attendance,
        attendance_marked_at=utcnow() if attendance else None,
    )
    db.add(registration)
    db.commit()
    return registration


def enrol(db: Session, user: User, course: Course) -> None:
    db.add(Enrolment(user_id=user.id, course_id=course.id, role=CourseRole.LEARNER))
    db.commit()


def registration_of(db: Session, event: TrainingEvent, user: User) -> EventRegistration:
    found = db.scalar(
        select(EventRegistration)
        .where(EventRegistration.event_id == event.id, EventRegistration.user_id == user.id)
        .execution_options(populate_existing=True)
    )
    assert found is not None
    return found
