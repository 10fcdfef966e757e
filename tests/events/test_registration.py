"""Registration rules: open, deadline, start, capacity, waiting list, promotion with its mail, cancelling."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import utcnow
from app.events.models import EventStatus, RegistrationStatus
from tests.events.event_setup import add_registration, browser, make_event, person, registration_of, submit
from tests.factories import outbox_messages


@pytest.fixture
def learner(db: Session):  # type: ignore[no-untyped-def]
    return person(db, "Lina Learner")


def test_registering_takes_a_free_place(app: FastAPI, db: Session, settings: Settings, learner) -> None:  # type: ignore[no-untyped-def]
    event = make_event(db, capacity=2)
    client = browser(app, db, settings, learner)
    response = submit(client, f"/events/{event.id}/register")
    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{event.id}?notice=event-registered"
    registration = registration_of(db, event, learner)
    assert registration is not None and registration.status == RegistrationStatus.REGISTERED
    page = client.get(response.headers["location"])
    assert "You are registered for the event." in page.text
    assert "Cancel my registration" in page.text


def test_double_submit_changes_nothing(app: FastAPI, db: Session, settings: Settings, learner) -> None:  # type: ignore[no-untyped-def]
    event = make_event(db, capacity=2)
    client = browser(app, db, settings, learner)
    submit(client, f"/events/{event.id}/register")
    first = registration_of(db, event, learner)
    assert first is not None
    registered_at = first.registered_at
    again = submit(client, f"/events/{event.id}/register")
    assert again.headers["location"].endswith("notice=event-already-registered")
    second = registration_of(db, event, learner)
    assert second is not None and second.id == first.id and second.registered_at == registered_at


def test_full_event_puts_people_on_the_waiting_list(app: FastAPI, db: Session, settings: Settings, learner) -> None:  # type: ignore[no-untyped-def]
    event = make_event(db, capacity=1)
    add_registration(db, event, person(db))
    client = browser(app, db, settings, learner)
    assert "Join the waiting list" in client.get(f"/events/{event.id}").text
    response = submit(client, f"/events/{event.id}/register")
    assert response.headers["location"].endswith("notice=event-waiting")
    registration = registration_of(db, event, learner)
    assert registration is not None and registration.status == RegistrationStatus.WAITING
    assert registration.waiting_since is not None
    assert submit(client, f"/events/{event.id}/register").headers["location"].endswith("event-already-waiting")


@pytest.mark.parametrize(
    ("status", "starts_in", "deadline_in", "message"),
    [
        (EventStatus.PLANNED, dt.timedelta(days=5), None, "Registration for this event has not opened yet."),
        (EventStatus.CANCELLED, dt.timedelta(days=5), None, "This event has been cancelled."),
        (EventStatus.OPEN, dt.timedelta(days=5), dt.timedelta(hours=-1), "The registration deadline has passed."),
        (EventStatus.OPEN, dt.timedelta(hours=-1), None, "This event has already started"),
        (EventStatus.HELD, dt.timedelta(days=-2), None, "This event has already started"),
    ],
)
def test_registration_is_refused_when_closed(  # type: ignore[no-untyped-def]
    app: FastAPI, db: Session, settings: Settings, learner, status, starts_in, deadline_in, message
) -> None:
    now = utcnow()
    starts_at = now + starts_in
    deadline = now + deadline_in if deadline_in is not None else starts_at
    event = make_event(db, status=status, starts_at=starts_at, deadline=deadline)
    client = browser(app, db, settings, learner)
    page = client.get(f"/events/{event.id}")
    assert message in page.text and ">Register<" not in page.text
    response = submit(client, f"/events/{event.id}/register")
    assert response.status_code == 409
    assert message in response.text
    assert registration_of(db, event, learner) is None


def test_anonymous_visitor_is_sent_to_sign_in(app: FastAPI, db: Session, settings: Settings) -> None:
    event = make_event(db)
    client = browser(app, db, settings)
    page = client.get(f"/events/{event.id}?lang=en")
    assert page.status_code == 200 and "Sign in to register" in page.text


def test_cancelling_promotes_the_first_waiting_person_and_mails_them(  # type: ignore[no-untyped-def]
    app: FastAPI, db: Session, settings: Settings, learner
) -> None:
    event = make_event(db, capacity=1)
    add_registration(db, event, learner)
    first = person(db, "First Waiting", locale="lt")
    second = person(db, "Second Waiting")
    add_registration(db, event, first, status=RegistrationStatus.WAITING)
    add_registration(db, event, second, status=RegistrationStatus.WAITING)
    client = browser(app, db, settings, learner)
    response = submit(client, f"/events/{event.id}/cancel-registration")
    assert response.headers["location"].endswith("notice=event-registration-cancelled")
    mine = registration_of(db, event, learner)
    assert mine is not None and mine.status == RegistrationStatus.CANCELLED and mine.cancelled_at is not None
    promoted = registration_of(db, event, first)
    assert promoted is not None and promoted.status == RegistrationStatus.REGISTERED
    assert promoted.promoted_at is not None
    still_waiting = registration_of(db, event, second)
    assert still_waiting is not None and still_waiting.status == RegistrationStatus.WAITING
    messages = outbox_messages(settings.outbox_path)
    assert [message["To"] for message in messages] == [first.email]
    # In the promoted person's language (Lithuanian), with the event's title in it.
    body = messages[0].get_payload(decode=True).decode()
    assert "Klasterių mokymai Kaune" in str(messages[0]["Subject"]) or "Klasterių mokymai Kaune" in body
    assert f"http://testserver/events/{event.id}" in body


def test_waiting_order_is_first_come_first_served(app: FastAPI, db: Session, settings: Settings, learner) -> None:  # type: ignore[no-untyped-def]
    event = make_event(db, capacity=1)
    add_registration(db, event, learner)
    early, late = person(db, "Early"), person(db, "Late")
    late_row = add_registration(db, event, late, status=RegistrationStatus.WAITING)
    early_row = add_registration(db, event, early, status=RegistrationStatus.WAITING)
    early_row.waiting_since = late_row.waiting_since - dt.timedelta(minutes=5)  # type: ignore[operator]
    db.commit()
    submit(browser(app, db, settings, learner), f"/events/{event.id}/cancel-registration")
    assert registration_of(db, event, early).status == RegistrationStatus.REGISTERED  # type: ignore[union-attr]
    assert registration_of(db, event, late).status == RegistrationStatus.WAITING  # type: ignore[union-attr]


def test_cancelling_twice_is_harmless(app: FastAPI, db: Session, settings: Settings, learner) -> None:  # type: ignore[no-untyped-def]
    event = make_event(db)
    add_registration(db, event, learner)
    client = browser(app, db, settings, learner)
    submit(client, f"/events/{event.id}/cancel-registration")
    again = submit(client, f"/events/{event.id}/cancel-registration")
    assert again.status_code == 303 and again.headers["location"].endswith("notice=event-no-registration")


def test_registering_again_after_cancelling_reuses_the_row(  # type: ignore[no-untyped-def]
    app: FastAPI, db: Session, settings: Settings, learner
) -> None:
    event = make_event(db)
    client = browser(app, db, settings, learner)
    submit(client, f"/events/{event.id}/register")
    first = registration_of(db, event, learner)
    submit(client, f"/events/{event.id}/cancel-registration")
    submit(client, f"/events/{event.id}/register")
    again = registration_of(db, event, learner)
    assert first is not None and again is not None
    assert again.id == first.id and again.status == RegistrationStatus.REGISTERED and again.cancelled_at is None


def test_cancelling_after_the_start_is_refused(app: FastAPI, db: Session, settings: Settings, learner) -> None:  # type: ignore[no-untyped-def]
    event = make_event(db, starts_at=utcnow() - dt.timedelta(hours=1))
    add_registration(db, event, learner)
    client = browser(app, db, settings, learner)
    assert "Cancel my registration" not in client.get(f"/events/{event.id}").text
    response = submit(client, f"/events/{event.id}/cancel-registration")
    assert response.status_code == 409
    assert "already started" in response.text
    assert registration_of(db, event, learner).status == RegistrationStatus.REGISTERED  # type: ignore[union-attr]


def test_unknown_event_is_404(app: FastAPI, db: Session, settings: Settings, learner) -> None:  # type: ignore[no-untyped-def]
    client = browser(app, db, settings, learner)
    assert submit(client, "/events/999999/register").status_code == 404
    assert client.get("/events/999999").status_code == 404


def test_registering_and_joining_the_waiting_list_are_confirmed_by_mail(  # type: ignore[no-untyped-def]
    app: FastAPI, db: Session, settings: Settings, learner
) -> None:
    event = make_event(db, capacity=1)
    late = person(db, "Vėlyvas Dalyvis", locale="lt")

    assert submit(browser(app, db, settings, learner), f"/events/{event.id}/register").status_code == 303
    assert submit(browser(app, db, settings, late), f"/events/{event.id}/register").status_code == 303
    # Registering again changes nothing and sends nothing.
    assert submit(browser(app, db, settings, learner), f"/events/{event.id}/register").status_code == 303

    messages = outbox_messages(settings.outbox_path)
    assert [message["To"] for message in messages] == [learner.email, late.email]
    registered = messages[0].get_payload(decode=True).decode()
    assert (
        str(make_header(decode_header(messages[0]["Subject"]))) == "You are registered for “Cluster training in Kaunas”"
    )
    assert f"http://testserver/events/{event.id}/calendar.ics" in registered
    waiting = messages[1].get_payload(decode=True).decode()
    assert "laukiančiųjų sąraš" in str(make_header(decode_header(messages[1]["Subject"]))) + waiting  # their language


def test_a_mail_server_that_is_down_does_not_undo_a_registration(  # type: ignore[no-untyped-def]
    app: FastAPI, db: Session, settings: Settings, learner, monkeypatch: pytest.MonkeyPatch
) -> None:
    import smtplib

    from app.events import registration

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise smtplib.SMTPConnectError(421, "service not available")

    monkeypatch.setattr(registration, "send_mail", refuse)
    event = make_event(db, capacity=1)

    assert submit(browser(app, db, settings, learner), f"/events/{event.id}/register").status_code == 303
    mine = registration_of(db, event, learner)
    assert mine is not None and mine.status == RegistrationStatus.REGISTERED
