"""Calendar files: one event's .ics parsed back, and the personal feed behind its secret address."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from fastapi import FastAPI
from icalendar import Calendar
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.events.models import EventStatus, RegistrationStatus
from tests.events.event_setup import add_registration, browser, make_event, person, submit

_FEED = re.compile(r"http://testserver(/calendar/[0-9]+-[0-9a-f]{64}\.ics)")


def parsed(content: bytes) -> Calendar:
    return Calendar.from_ical(content)


def test_event_ics_has_the_venue_zone_and_parses_back(app: FastAPI, db: Session, settings: Settings) -> None:
    starts_at = dt.datetime(2031, 3, 12, 10, tzinfo=ZoneInfo("Europe/Vilnius")).astimezone(dt.UTC)
    event = make_event(db, starts_at=starts_at, hours=6)
    response = browser(app, db, settings).get(f"/events/{event.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert ".ics" in response.headers["content-disposition"]
    calendar = parsed(response.content)
    assert str(calendar["VERSION"]) == "2.0" and "Klasteris" in str(calendar["PRODID"])
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert [zone.tz_name for zone in calendar.timezones] == ["Europe/Vilnius"]
    (vevent,) = calendar.events
    assert str(vevent["UID"]) == f"event-{event.id}@testserver"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Vilnius"
    assert vevent.start == dt.datetime(2031, 3, 12, 10, tzinfo=ZoneInfo("Europe/Vilnius"))
    assert vevent.start.hour == 10 and vevent.end.hour == 16
    assert "DTSTAMP" in vevent and int(vevent["SEQUENCE"]) == 0
    assert str(vevent["URL"]) == f"http://testserver/events/{event.id}"
    assert "Kaunas" in str(vevent["LOCATION"])


def test_summary_follows_the_readers_language(app: FastAPI, db: Session, settings: Settings) -> None:
    event = make_event(db)
    client = browser(app, db, settings)
    english = parsed(client.get(f"/events/{event.id}/calendar.ics?lang=en").content).events[0]
    lithuanian = parsed(client.get(f"/events/{event.id}/calendar.ics?lang=lt").content).events[0]
    assert str(english["SUMMARY"]) == "Cluster training in Kaunas"
    assert str(lithuanian["SUMMARY"]) == "Klasterių mokymai Kaune"
    assert english["UID"] == lithuanian["UID"]  # the same event for every reader


def test_edits_bump_the_sequence_and_cancelling_marks_it(app: FastAPI, db: Session, settings: Settings) -> None:
    event = make_event(db, time_zone="Europe/Oslo")
    event.sequence = 3
    event.status = EventStatus.CANCELLED
    db.commit()
    vevent = parsed(browser(app, db, settings).get(f"/events/{event.id}/calendar.ics").content).events[0]
    assert int(vevent["SEQUENCE"]) == 3
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert vevent["DTSTART"].params["TZID"] == "Europe/Oslo"


def _feed_path(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/my/events")
    assert page.status_code == 200
    match = _FEED.search(page.text)
    assert match, "no feed address on the page"
    return match.group(1)


def test_feed_lists_my_registrations_and_waiting_places_only(app: FastAPI, db: Session, settings: Settings) -> None:
    me, other = person(db, "Me", locale="lt"), person(db, "Someone Else")
    registered = make_event(db, title={"lt": "Mano renginys", "en": "My event"})
    waiting = make_event(db, title={"lt": "Laukiu", "en": "Waiting one"})
    cancelled = make_event(db, title={"lt": "Atšaukta registracija", "en": "Cancelled registration"})
    theirs = make_event(db, title={"lt": "Kito renginys", "en": "Their event"})
    add_registration(db, registered, me)
    add_registration(db, waiting, me, status=RegistrationStatus.WAITING)
    add_registration(db, cancelled, me, status=RegistrationStatus.CANCELLED)
    add_registration(db, theirs, other)
    client = browser(app, db, settings, me)
    path = _feed_path(client)
    assert _feed_path(client) == path  # the address stays the same between visits
    anonymous = browser(app, db, settings)
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["cache-control"]
    events = {str(vevent["UID"]): vevent for vevent in parsed(response.content).events}
    assert set(events) == {f"event-{registered.id}@testserver", f"event-{waiting.id}@testserver"}
    # In the owner's language (Lithuanian), the waiting place tentative.
    assert str(events[f"event-{registered.id}@testserver"]["SUMMARY"]) == "Mano renginys"
    assert str(events[f"event-{registered.id}@testserver"]["STATUS"]) == "CONFIRMED"
    assert str(events[f"event-{waiting.id}@testserver"]["STATUS"]) == "TENTATIVE"


def test_resetting_the_address_makes_the_old_one_404(app: FastAPI, db: Session, settings: Settings) -> None:
    me = person(db)
    client = browser(app, db, settings, me)
    old = _feed_path(client)
    response = submit(client, "/my/events/calendar-address", page="/my/events")
    assert response.status_code == 303 and response.headers["location"].endswith("notice=calendar-address-reset")
    new = _feed_path(client)
    assert new != old
    anonymous = browser(app, db, settings)
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200


def test_wrong_feed_addresses_are_404(app: FastAPI, db: Session, settings: Settings) -> None:
    me = person(db)
    path = _feed_path(browser(app, db, settings, me))
    user_id, signature = path.removeprefix("/calendar/").removesuffix(".ics").split("-")
    anonymous = browser(app, db, settings)
    other = person(db)
    for wrong in (
        f"/calendar/{user_id}-{'0' * 64}.ics",
        f"/calendar/{other.id}-{signature}.ics",  # someone else's id with my signature
        f"/calendar/{user_id}.ics",
        f"/calendar/{user_id}-{signature[:-1]}.ics",
        "/calendar/99999999999999999999-abc.ics",
        "/calendar/not-a-token.ics",
    ):
        assert anonymous.get(wrong).status_code == 404, wrong
