"""The event list and an event's page: filters, times at the venue, who sees participants, query budgets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.events.models import EventStatus, RegistrationStatus
from tests.events.event_setup import add_registration, bare_course, browser, make_event, person
from tests.gates.queries import assert_constant_queries
from tests.progress.page_setup import page_text


def at(zone: str, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)  # type: ignore[misc]


# --- times at the venue ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "month", "abbreviation", "offset"),
    [
        ("Europe/Vilnius", 3, "EET", "UTC+02:00"),  # winter time
        ("Europe/Vilnius", 7, "EEST", "UTC+03:00"),  # summer time
        ("Europe/Oslo", 1, "CET", "UTC+01:00"),
        ("Europe/Oslo", 8, "CEST", "UTC+02:00"),
    ],
)
@pytest.mark.parametrize("locale", ["lt", "en", "nb"])
def test_times_show_the_venue_clock_and_zone_in_every_language(  # type: ignore[no-untyped-def]
    app: FastAPI, db: Session, settings: Settings, zone, month, abbreviation, offset, locale
) -> None:
    event = make_event(db, time_zone=zone, starts_at=at(zone, 2031, month, 12, 10, 0), hours=6)
    client = browser(app, db, settings)
    for url in (f"/events/{event.id}?lang={locale}", f"/events?lang={locale}"):
        text = page_text(client.get(url).text)
        assert "10:00–16:00" in text, url
        assert abbreviation in text and offset in text, url


def test_english_reader_sees_the_whole_date_and_city(app: FastAPI, db: Session, settings: Settings) -> None:
    event = make_event(db, starts_at=at("Europe/Vilnius", 2031, 3, 12, 10, 0), hours=6)
    text = page_text(browser(app, db, settings).get(f"/events/{event.id}?lang=en").text)
    assert "March 12, 2031, 10:00–16:00 EET (Vilnius, UTC+02:00)" in text
    oslo = make_event(db, time_zone="Europe/Oslo", starts_at=at("Europe/Oslo", 2031, 3, 12, 9, 30), hours=2)
    lithuanian = page_text(browser(app, db, settings).get(f"/events/{oslo.id}?lang=lt").text)
    assert "09:30–11:30 CET (Oslas, UTC+01:00)" in lithuanian


# --- the list ----------------------------------------------------------------------------------------


def test_list_shows_upcoming_events_with_places_and_my_state(app: FastAPI, db: Session, settings: Settings) -> None:
    me = person(db)
    course = bare_course(db)
    full = make_event(db, capacity=1, courses=[course], title={"lt": "Pilnas", "en": "Full one"})
    add_registration(db, full, person(db))
    add_registration(db, full, me, status=RegistrationStatus.WAITING)
    roomy = make_event(db, capacity=5, title={"lt": "Erdvus", "en": "Roomy one"})
    add_registration(db, roomy, me)
    cancelled = make_event(db, status=EventStatus.CANCELLED, title={"lt": "Atšauktas", "en": "Called off"})
    ended = make_event(db, starts_at=utcnow() - dt.timedelta(days=3), title={"lt": "Praėjęs", "en": "Gone by"})
    text = page_text(browser(app, db, settings, me).get("/events").text)
    assert "Full one" in text and "Roomy one" in text and "Called off" in text
    assert "Gone by" not in text
    assert text.index("Roomy one") < text.index("Called off")  # cancelled ones after those that take place
    assert "1 person on the waiting list" in text and "On the waiting list" in text
    assert "4 places left of 5" in text and "Registered" in text
    assert course.code in text
    past = page_text(browser(app, db, settings, me).get("/events?past=1").text)
    assert "Gone by" in past and "Roomy one" not in past
    assert cancelled.id and ended.id


def test_list_is_public_and_filters_by_course_country_and_month(app: FastAPI, db: Session, settings: Settings) -> None:
    course, other_course = bare_course(db), bare_course(db)
    march = make_event(
        db, courses=[course], starts_at=at("Europe/Vilnius", 2031, 3, 1, 0, 30), title={"lt": "Kovas", "en": "March"}
    )
    february_utc = march.starts_at.month == 2  # 00:30 in Vilnius is still February in UTC
    april = make_event(
        db, courses=[other_course], time_zone="Europe/Oslo", starts_at=at("Europe/Oslo", 2031, 4, 2, 10, 0),
        title={"lt": "Balandis", "en": "April"},
    )  # fmt: skip
    client = browser(app, db, settings)

    def titles(query: str) -> set[str]:
        response = client.get(f"/events?lang=en&{query}")
        assert response.status_code == 200, response.text
        text = page_text(response.text)
        return {title for title in ("March", "April") if f" {title} " in text}

    assert titles("") == {"March", "April"}
    assert titles(f"course={course.code}") == {"March"}
    assert titles("country=NO") == {"April"}
    assert february_utc and titles("month=2031-03") == {"March"}
    assert titles("month=2031-02") == set()
    assert titles("month=2031-04&country=NO") == {"April"}
    assert april.id


def test_a_malformed_month_is_explained(app: FastAPI, db: Session, settings: Settings) -> None:
    response = browser(app, db, settings).get("/events?month=March&lang=en")
    assert response.status_code == 422
    assert "Choose a month, for example 2027-03." in response.text
    assert 'value="March"' in response.text


def test_list_pages_twenty_at_a_time(app: FastAPI, db: Session, settings: Settings) -> None:
    start = utcnow() + dt.timedelta(days=30)
    for number in range(21):
        make_event(
            db, starts_at=start + dt.timedelta(hours=number), title={"lt": f"R{number:02d}", "en": f"E{number:02d}"}
        )
    client = browser(app, db, settings)
    first = page_text(client.get("/events?lang=en").text)
    second = page_text(client.get("/events?lang=en&page=2").text)
    assert "E19" in first and "E20" not in first
    assert "E20" in second and "E00" not in second


# --- an event's page --------------------------------------------------------------------------------


def test_event_page_shows_details_and_sanitised_description(app: FastAPI, db: Session, settings: Settings) -> None:
    course = bare_course(db)
    trainer = person(db, "Tomas Treneris", roles={Role.TRAINER}, teaches=[course])
    event = make_event(db, courses=[course], trainers=[trainer], capacity=3)
    event.description = {"en": "**Bring** a laptop <script>alert(1)</script>"}
    db.commit()
    html = browser(app, db, settings).get(f"/events/{event.id}?lang=lt").text
    assert "<strong>Bring</strong>" in html and "<script>" not in html  # English text for want of Lithuanian
    text = page_text(html)
    assert "Tomas Treneris" in text and course.code in text
    assert f'href="/events/{event.id}/calendar.ics"' in html
    assert html.count("<h1>") == 1


def test_participants_are_shown_to_the_events_trainers_and_admins_only(
    app: FastAPI, db: Session, settings: Settings
) -> None:
    course = bare_course(db)
    trainer = person(db, "Event Trainer", roles={Role.TRAINER}, teaches=[course])
    other_trainer = person(db, "Other Trainer", roles={Role.TRAINER}, teaches=[course])
    admin = person(db, "Ada Admin", roles={Role.ADMIN})
    learner = person(db, "Learner Participant")
    event = make_event(db, courses=[course], trainers=[trainer], capacity=1)
    add_registration(db, event, learner)
    add_registration(db, event, person(db, "Waiting Walter"), status=RegistrationStatus.WAITING)
    for viewer in (trainer, admin):
        text = page_text(browser(app, db, settings, viewer).get(f"/events/{event.id}?lang=en").text)
        assert "Learner Participant" in text and "Waiting Walter" in text, viewer.full_name
        assert "Edit the event" in text
    for viewer in (learner, other_trainer, None):
        text = page_text(browser(app, db, settings, viewer).get(f"/events/{event.id}?lang=en").text)
        assert "Waiting Walter" not in text and "Edit the event" not in text


# --- query budgets ----------------------------------------------------------------------------------


def test_event_list_query_count_is_constant(app: FastAPI, db: Session, settings: Settings) -> None:
    me = person(db)
    course = bare_course(db)
    start = utcnow() + dt.timedelta(days=40)

    def more_events(how_many: int) -> None:
        for number in range(how_many):
            event = make_event(db, courses=[course], starts_at=start + dt.timedelta(hours=number))
            add_registration(db, event, me)
            add_registration(db, event, person(db))

    # the session with user, roles and organisation; count; the page of events with my registration;
    # their places; their courses; the courses for the filter
    assert_constant_queries(browser(app, db, settings, me), db, "/events", more_events, budget=6)


def test_event_page_query_count_is_constant_with_participants(app: FastAPI, db: Session, settings: Settings) -> None:
    admin = person(db, roles={Role.ADMIN})
    course = bare_course(db)
    event = make_event(db, courses=[course], trainers=[person(db, roles={Role.TRAINER})], capacity=100)

    def more_participants(how_many: int) -> None:
        for _ in range(how_many):
            add_registration(db, event, person(db))

    # session; event; trainers; my registration; places; courses; participants with organisations
    assert_constant_queries(browser(app, db, settings, admin), db, f"/events/{event.id}", more_participants, budget=7)
