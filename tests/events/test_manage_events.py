"""Organising events: the form (validation, DST, typed values kept), who may edit, status changes and mails."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.core.events import TrainingEventHeld, _handlers, subscribe
from app.courses.models import Course
from app.events.models import EventCourse, EventStatus, EventTrainer, RegistrationStatus, TrainingEvent
from tests.events.event_setup import add_registration, bare_course, browser, make_event, person, registration_of, submit
from tests.factories import outbox_messages


@pytest.fixture
def course(db: Session) -> Course:
    return bare_course(db)


@pytest.fixture
def trainer(db: Session, course: Course) -> User:
    return person(db, "Tina Trainer", roles={Role.TRAINER, Role.LEARNER}, teaches=[course])


@pytest.fixture
def admin(db: Session) -> User:
    return person(db, "Ada Admin", roles={Role.ADMIN})


def event_form(course: Course, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "title_lt": "Klasterių dirbtuvės",
        "title_en": "Cluster workshop",
        "description_lt": "",
        "description_en": "A day of **practice**.",
        "course_ids": [str(course.id)],
        "format": "blended",
        "venue": "Gedimino pr. 11, Vilnius",
        "country": "LT",
        "time_zone": "Europe/Vilnius",
        "start_date": "2031-03-12",
        "start_time": "10:00",
        "end_date": "2031-03-12",
        "end_time": "16:00",
        "deadline_date": "",
        "deadline_time": "",
        "capacity": "25",
        "counts_toward_completion": "on",
    }
    form.update(changes)
    return form


def created_event(db: Session, title_en: str = "Cluster workshop") -> TrainingEvent:
    db.expire_all()
    event = db.scalar(select(TrainingEvent).where(TrainingEvent.title["en"].as_string() == title_en))
    assert event is not None
    return event


def create(client: TestClient, form: dict[str, str | list[str]]):  # type: ignore[no-untyped-def]
    return submit(client, "/events/new", form, page="/events/new")


# --- creating ---------------------------------------------------------------------------------------


def test_trainer_creates_an_event_for_their_course_and_trains_it(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    client = browser(app, db, settings, trainer)
    form = client.get("/events/new")
    assert form.status_code == 200 and course.code in form.text
    assert "trainer_emails" not in form.text  # trainers do not name other trainers
    response = create(client, event_form(course))
    assert response.status_code == 303 and response.headers["location"].endswith("notice=event-created")
    event = created_event(db)
    assert event.status == EventStatus.PLANNED and event.capacity == 25 and event.format == "blended"
    assert event.starts_at == dt.datetime(2031, 3, 12, 8, 0, tzinfo=dt.UTC)  # 10:00 in Vilnius in winter
    assert event.ends_at == dt.datetime(2031, 3, 12, 14, 0, tzinfo=dt.UTC)
    assert event.registration_deadline == event.starts_at  # no deadline given: until the start
    assert event.counts_toward_completion is True
    assert db.scalars(select(EventTrainer.user_id).where(EventTrainer.event_id == event.id)).all() == [trainer.id]
    assert db.scalars(select(EventCourse.course_id).where(EventCourse.event_id == event.id)).all() == [course.id]


def test_summer_time_is_converted_with_the_summer_offset(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    client = browser(app, db, settings, trainer)
    create(client, event_form(course, start_date="2031-07-01", end_date="2031-07-01", time_zone="Europe/Oslo"))
    event = created_event(db)
    assert event.starts_at == dt.datetime(2031, 7, 1, 8, 0, tzinfo=dt.UTC)  # 10:00 CEST


def test_without_a_zone_the_countrys_own_is_taken(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    client = browser(app, db, settings, trainer)
    assert create(client, event_form(course, country="NO", time_zone="")).status_code == 303
    event = created_event(db)
    assert event.time_zone == "Europe/Oslo"
    assert event.starts_at == dt.datetime(2031, 3, 12, 9, 0, tzinfo=dt.UTC)  # 10:00 CET


def test_admin_names_trainers_by_email(
    app: FastAPI, db: Session, settings: Settings, admin: User, course: Course
) -> None:
    first = person(db, "First Trainer", roles={Role.TRAINER})
    second = person(db, "Second Trainer", roles={Role.TRAINER})
    client = browser(app, db, settings, admin)
    response = create(client, event_form(course, trainer_emails=f"{first.email},\n{second.email.upper()}"))
    assert response.status_code == 303, response.text
    event = created_event(db)
    trainers = set(db.scalars(select(EventTrainer.user_id).where(EventTrainer.event_id == event.id)))
    assert trainers == {first.id, second.id}


def test_admin_cannot_name_a_learner_as_trainer(
    app: FastAPI, db: Session, settings: Settings, admin: User, course: Course
) -> None:
    learner = person(db, "Only Learner")
    response = create(browser(app, db, settings, admin), event_form(course, trainer_emails=learner.email))
    assert response.status_code == 422
    assert "No active trainer has this address" in response.text


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": "09:00"}, "end_time", "The event must end after it starts."),
        (
            {"deadline_date": "2031-03-13", "deadline_time": "09:00"},
            "deadline_date",
            "The registration deadline cannot be after the event starts.",
        ),
        ({"deadline_date": "2031-03-10"}, "deadline_time", "Enter both the date and the time of the deadline"),
        ({"capacity": "0"}, "capacity", "The number is outside the allowed range."),
        ({"capacity": "10001"}, "capacity", "The number is outside the allowed range."),
        ({"title_lt": "", "title_en": ""}, "title_lt", "Enter a title in at least one language."),
        ({"course_ids": []}, "course_ids", "Choose at least one course the event belongs to."),
        ({"start_date": "12.03.2031"}, "start_date", "This value is not valid."),
        ({"country": "XX"}, "country", "Choose one of the options."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Choose one of the options."),
        # The night the clocks go forward in Lithuania (30 March 2031): 03:00–04:00 does not exist.
        (
            {"start_date": "2031-03-30", "start_time": "03:30", "end_date": "2031-03-30"},
            "start_time",
            "This time does not exist at the venue",
        ),
    ],
)
def test_form_errors_keep_the_typed_values(  # type: ignore[no-untyped-def]
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course, changes, field, message
) -> None:
    response = create(browser(app, db, settings, trainer), event_form(course, venue="Typed venue 7", **changes))
    assert response.status_code == 422, response.text
    assert message in response.text
    assert f'href="#field-{field}"' in response.text
    assert 'value="Typed venue 7"' in response.text
    assert db.scalar(select(TrainingEvent.id).where(TrainingEvent.venue == "Typed venue 7")) is None


def test_an_ambiguous_autumn_time_takes_the_first_occurrence(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    # 26 October 2031 in Vilnius: 03:00–04:00 happens twice (summer time first, then winter time).
    form = event_form(course, start_date="2031-10-26", start_time="03:30", end_date="2031-10-26", end_time="05:00")
    assert create(browser(app, db, settings, trainer), form).status_code == 303
    event = created_event(db)
    assert event.starts_at == dt.datetime(2031, 10, 26, 0, 30, tzinfo=dt.UTC)  # 03:30 EEST (UTC+3)


def test_trainer_cannot_link_a_course_they_do_not_teach(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    foreign = bare_course(db)
    response = create(
        browser(app, db, settings, trainer), event_form(course, course_ids=[str(course.id), str(foreign.id)])
    )
    assert response.status_code == 422 and "Choose courses from the list." in response.text


# --- who may organise -------------------------------------------------------------------------------


def test_learners_cannot_open_the_organisers_pages(
    app: FastAPI, db: Session, settings: Settings, course: Course
) -> None:
    event = make_event(db, courses=[course])
    learner = browser(app, db, settings, person(db))
    assert learner.get("/events/new").status_code == 403
    assert learner.get(f"/events/{event.id}/edit").status_code == 403
    assert submit(learner, f"/events/{event.id}/status", {"action": "open"}).status_code == 403


def test_trainer_of_another_event_gets_404(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    other_course = bare_course(db)
    outsider = person(db, "Other Course Trainer", roles={Role.TRAINER}, teaches=[other_course])
    event = make_event(db, courses=[course], trainers=[trainer])
    client = browser(app, db, settings, outsider)
    assert client.get(f"/events/{event.id}/edit").status_code == 404
    assert submit(client, f"/events/{event.id}/edit", event_form(other_course)).status_code == 404
    assert submit(client, f"/events/{event.id}/status", {"action": "close"}).status_code == 404
    assert client.get(f"/events/{event.id}/cancel").status_code == 404


# --- editing ----------------------------------------------------------------------------------------


def test_edit_form_shows_wall_times_at_the_venue(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    starts_at = dt.datetime(2031, 8, 5, 9, 15, tzinfo=ZoneInfo("Europe/Oslo")).astimezone(dt.UTC)
    event = make_event(db, courses=[course], trainers=[trainer], time_zone="Europe/Oslo", starts_at=starts_at)
    html = browser(app, db, settings, trainer).get(f"/events/{event.id}/edit").text
    assert 'value="2031-08-05"' in html and 'value="09:15"' in html


def test_changing_times_bumps_the_sequence_and_mails_participants(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    starts_at = dt.datetime(2031, 3, 12, 10, tzinfo=ZoneInfo("Europe/Vilnius")).astimezone(dt.UTC)
    event = make_event(db, courses=[course], trainers=[trainer], starts_at=starts_at, capacity=1)
    registered, waiting = person(db, "Registered Rita"), person(db, "Waiting Will")
    add_registration(db, event, registered)
    add_registration(db, event, waiting, status=RegistrationStatus.WAITING)
    client = browser(app, db, settings, trainer)
    edit_page = f"/events/{event.id}/edit"
    same_times = event_form(course, capacity="1")
    assert submit(client, edit_page, same_times, page=edit_page).headers["location"].endswith("notice=event-saved")
    db.expire_all()
    sequence = db.get(TrainingEvent, event.id).sequence  # type: ignore[union-attr]
    assert sequence == 1
    unchanged = submit(client, edit_page, same_times, page=edit_page)
    assert unchanged.headers["location"].endswith("notice=event-unchanged")
    assert outbox_messages(settings.outbox_path) == []  # the times did not change
    moved = submit(
        client, edit_page, event_form(course, capacity="1", start_time="11:00", end_time="17:00"), page=edit_page
    )
    assert moved.headers["location"].endswith("notice=event-saved")
    db.expire_all()
    assert db.get(TrainingEvent, event.id).sequence == sequence + 1  # type: ignore[union-attr]
    assert sorted(message["To"] for message in outbox_messages(settings.outbox_path)) == sorted(
        [registered.email, waiting.email]
    )


def test_capacity_cannot_go_below_the_people_registered(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    event = make_event(db, courses=[course], trainers=[trainer], capacity=5)
    for _ in range(3):
        add_registration(db, event, person(db))
    response = submit(browser(app, db, settings, trainer), f"/events/{event.id}/edit", event_form(course, capacity="2"))
    assert response.status_code == 422
    assert "3 people are already registered: the capacity cannot be lower." in response.text
    assert 'value="2"' in response.text


def test_more_places_promote_the_waiting_list(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    starts_at = (utcnow() + dt.timedelta(days=10)).replace(second=0, microsecond=0)
    event = make_event(db, courses=[course], trainers=[trainer], capacity=1, starts_at=starts_at)
    add_registration(db, event, person(db))
    waiting = person(db, "Waiting Wanda")
    add_registration(db, event, waiting, status=RegistrationStatus.WAITING)
    starts = event.starts_at.astimezone(ZoneInfo("Europe/Vilnius"))
    ends = event.ends_at.astimezone(ZoneInfo("Europe/Vilnius"))
    form = event_form(
        course, capacity="2", start_date=starts.date().isoformat(), start_time=starts.strftime("%H:%M"),
        end_date=ends.date().isoformat(), end_time=ends.strftime("%H:%M"),
    )  # fmt: skip
    assert submit(browser(app, db, settings, trainer), f"/events/{event.id}/edit", form).status_code == 303
    assert registration_of(db, event, waiting).status == RegistrationStatus.REGISTERED  # type: ignore[union-attr]
    assert [message["To"] for message in outbox_messages(settings.outbox_path)] == [waiting.email]


# --- status -----------------------------------------------------------------------------------------


def test_open_and_close_registration(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    event = make_event(db, courses=[course], trainers=[trainer], status=EventStatus.PLANNED)
    client = browser(app, db, settings, trainer)
    opened = submit(client, f"/events/{event.id}/status", {"action": "open"})
    assert opened.headers["location"].endswith("notice=event-opened")
    assert (
        submit(client, f"/events/{event.id}/status", {"action": "open"})
        .headers["location"]
        .endswith("notice=event-status-unchanged")
    )
    closed = submit(client, f"/events/{event.id}/status", {"action": "close"})
    assert closed.headers["location"].endswith("notice=event-closed")
    db.expire_all()
    assert db.get(TrainingEvent, event.id).status == EventStatus.PLANNED  # type: ignore[union-attr]
    assert submit(client, f"/events/{event.id}/status", {"action": "explode"}).status_code == 400


def test_marking_held_waits_for_the_start_and_publishes_once(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    held: list[int] = []

    def remember(_session: Session, event: TrainingEventHeld) -> None:
        held.append(event.event_id)

    subscribe(TrainingEventHeld, remember)
    try:
        future = make_event(db, courses=[course], trainers=[trainer])
        client = browser(app, db, settings, trainer)
        assert "Mark as held" not in client.get(f"/events/{future.id}?lang=en").text
        refused = submit(client, f"/events/{future.id}/status", {"action": "held"})
        assert refused.status_code == 409 and "only once it has started" in refused.text
        started = make_event(db, courses=[course], trainers=[trainer], starts_at=utcnow() - dt.timedelta(hours=2))
        assert (
            submit(client, f"/events/{started.id}/status", {"action": "held"})
            .headers["location"]
            .endswith("notice=event-held")
        )
        again = submit(client, f"/events/{started.id}/status", {"action": "held"})
        assert again.headers["location"].endswith("notice=event-status-unchanged")
        assert held == [started.id]
    finally:
        _handlers[TrainingEventHeld].remove(remember)


def test_cancelling_needs_a_reason_and_tells_everyone(
    app: FastAPI, db: Session, settings: Settings, trainer: User, course: Course
) -> None:
    event = make_event(db, courses=[course], trainers=[trainer])
    registered = person(db, "Registered Rūta", locale="lt")
    add_registration(db, event, registered)
    add_registration(db, event, person(db, "Gone Gintas"), status=RegistrationStatus.CANCELLED)
    client = browser(app, db, settings, trainer)
    empty = submit(client, f"/events/{event.id}/cancel", {"reason": "  "}, page=f"/events/{event.id}/cancel")
    assert empty.status_code == 422 and "This field is required." in empty.text
    response = submit(
        client, f"/events/{event.id}/cancel", {"reason": "Lektorius susirgo"}, page=f"/events/{event.id}/cancel"
    )
    assert response.headers["location"].endswith("notice=event-cancelled")
    db.expire_all()
    cancelled = db.get(TrainingEvent, event.id)
    assert cancelled is not None and cancelled.status == EventStatus.CANCELLED and cancelled.sequence == 1
    messages = outbox_messages(settings.outbox_path)
    assert [message["To"] for message in messages] == [registered.email]
    assert "Lektorius susirgo" in messages[0].get_payload(decode=True).decode()
    page = client.get(f"/events/{event.id}?lang=en").text
    assert "This event has been cancelled." in page and "Lektorius susirgo" in page
    twice = submit(client, f"/events/{event.id}/cancel", {"reason": "Again"}, page=f"/events/{event.id}")
    assert twice.headers["location"].endswith("notice=event-status-unchanged")
    assert len(outbox_messages(settings.outbox_path)) == 1
