"""Set-up for the event page tests: bare courses, people, events written to the tables, signed-in browsers."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.accounts.service import create_user
from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.courses.models import Course, CourseRole, Enrolment, Programme
from app.events.models import (
    EventCourse,
    EventFormat,
    EventRegistration,
    EventStatus,
    EventTrainer,
    RegistrationStatus,
    TrainingEvent,
)
from tests.accounts.admin_setup import signed_in
from tests.factories import csrf_from

_serial = itertools.count(1)


def bare_course(db: Session, *, code: str | None = None) -> Course:
    """A course written straight to the tables (no content files), in an events test programme."""
    programme = db.scalar(select(Programme).where(Programme.code == "EVP"))
    if programme is None:
        programme = Programme(
            code="EVP", slug="events-test-programme", title={"lt": "Programa", "en": "Programme"}, description={},
            content_hash="x", position=900,
        )  # fmt: skip
        db.add(programme)
        db.flush()
    number = next(_serial)
    course = Course(
        code=code or f"EV{number}", slug=f"events-course-{number}", programme_id=programme.id, position=900 + number,
        title={"lt": f"Renginių kursas {number}", "en": f"Events course {number}"}, summary={}, outcomes={},
        estimated_hours=1, content_hash="x",
    )  # fmt: skip
    db.add(course)
    db.commit()
    return course


def person(
    db: Session,
    full_name: str = "Rūta Žemaitė",
    *,
    roles: set[Role] | None = None,
    locale: str = "en",
    teaches: Sequence[Course] = (),
) -> User:
    """An account without a password (no hashing cost); sign it in with `browser`."""
    organisation = db.scalar(select(Organisation).order_by(Organisation.id))
    user = create_user(
        db, email=f"events-{next(_serial)}@example.lt", full_name=full_name, roles=roles or {Role.LEARNER},
        organisation_id=organisation.id if organisation else None, locale=locale,
    )  # fmt: skip
    for course in teaches:
        db.add(Enrolment(user_id=user.id, course_id=course.id, role=CourseRole.TRAINER))
    db.commit()
    return user


def make_event(
    db: Session,
    *,
    courses: Sequence[Course] = (),
    trainers: Sequence[User] = (),
    starts_at: dt.datetime | None = None,
    hours: int = 6,
    status: EventStatus = EventStatus.OPEN,
    capacity: int = 10,
    time_zone: str = "Europe/Vilnius",
    country: str | None = None,
    deadline: dt.datetime | None = None,
    title: dict[str, str] | None = None,
) -> TrainingEvent:
    """An event (open, starting in ten days unless told otherwise) with its courses and trainers."""
    starts_at = starts_at or (utcnow() + dt.timedelta(days=10)).replace(microsecond=0)
    event = TrainingEvent(
        title=title or {"lt": "Klasterių mokymai Kaune", "en": "Cluster training in Kaunas"},
        description={"lt": "**Aprašymas**", "en": "**About** the day"},
        format=EventFormat.IN_PERSON.value,
        venue="Laisvės al. 1, Kaunas",
        country=country or ("NO" if time_zone == "Europe/Oslo" else "LT"),
        time_zone=time_zone,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=hours),
        registration_deadline=deadline or starts_at,
        capacity=capacity,
        status=status.value,
    )
    event.courses = [EventCourse(course_id=course.id) for course in courses]
    event.trainers = [EventTrainer(user_id=trainer.id) for trainer in trainers]
    db.add(event)
    db.commit()
    return event


def add_registration(
    db: Session, event: TrainingEvent, user: User, *, status: RegistrationStatus = RegistrationStatus.REGISTERED
) -> EventRegistration:
    now = utcnow()
    registration = EventRegistration(
        event_id=event.id, user_id=user.id, status=status.value, registered_at=now,
        waiting_since=now if status == RegistrationStatus.WAITING else None,
    )  # fmt: skip
    db.add(registration)
    db.commit()
    return registration


def registration_of(db: Session, event: TrainingEvent, user: User) -> EventRegistration | None:
    db.expire_all()
    return db.scalar(
        select(EventRegistration).where(EventRegistration.event_id == event.id, EventRegistration.user_id == user.id)
    )


def browser(app: FastAPI, db: Session, settings: Settings, user: User | None = None) -> TestClient:
    """A browser of its own; signed in as `user` when one is given."""
    if user is None:
        return TestClient(app, base_url="http://testserver", follow_redirects=False)
    return signed_in(app, db, settings, user)


def submit(client: TestClient, url: str, data: dict[str, str | list[str]] | None = None, *, page: str = "/events"):  # type: ignore[no-untyped-def]
    """Post like a browser: with the CSRF token of a page it has open."""
    token = csrf_from(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **(data or {})})
