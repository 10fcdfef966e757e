"""iCalendar files: one event's .ics, and each person's private feed of the events they registered for."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.organisations import country_name
from app.core.config import Settings
from app.core.db import utcnow
from app.core.forms import MAX_DB_ID
from app.core.i18n import _, pick, using_locale
from app.events.models import CalendarFeed, EventStatus, RegistrationStatus, TrainingEvent
from app.events.service import MyEvent, my_events
from app.events.times import at_venue

PRODID = "-//Klasteris//Training events//EN"
_MAX_TOKEN_LENGTH = 100


def _host(settings: Settings) -> str:
    return urlsplit(settings.base_url).hostname or "klasteris"


def _vevent(settings: Settings, event: TrainingEvent, *, locale: str, waiting: bool = False) -> Event:
    title = str(pick(event.title, locale))
    link = f"{settings.base_url}/events/{event.id}"
    vevent = Event()
    vevent.add("uid", f"event-{event.id}@{_host(settings)}")
    vevent.add("dtstamp", utcnow())
    vevent.add("last-modified", event.updated_at)
    # Wall times at the venue with its zone (TZID), so every calendar shows them right wherever it is.
    vevent.add("dtstart", at_venue(event.starts_at, event.time_zone))
    vevent.add("dtend", at_venue(event.ends_at, event.time_zone))
    vevent.add("summary", _("Waiting list: %(title)s", title=title) if waiting else title)
    description = str(pick(event.description, locale)) if event.description else ""
    vevent.add("description", f"{description}\n\n{link}".strip())
    location = ", ".join(part for part in (event.venue, country_name(event.country, locale)) if part)
    if location:
        vevent.add("location", location)
    vevent.add("url", link)
    vevent.add("sequence", event.sequence)
    if event.status == EventStatus.CANCELLED:
        vevent.add("status", "CANCELLED")
    elif waiting:
        vevent.add("status", "TENTATIVE")
    else:
        vevent.add("status", "CONFIRMED")
    return vevent


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    return calendar


def _add_zones(calendar: Calendar, events: list[TrainingEvent]) -> None:
    """VTIMEZONE definitions for the venues' zones, covering the years the events are in (not since 1970)."""
    if not events:
        return
    first = min(event.starts_at for event in events).date() - dt.timedelta(days=366)
    last = max(event.ends_at for event in events).date() + dt.timedelta(days=366)
    calendar.add_missing_timezones(first_date=first, last_date=last)


def event_ics(settings: Settings, event: TrainingEvent, *, locale: str) -> bytes:
    calendar = _calendar(str(pick(event.title, locale)))
    calendar.add_component(_vevent(settings, event, locale=locale))
    _add_zones(calendar, [event])
    return calendar.to_ical()


def feed_ics(settings: Settings, events: list[MyEvent], *, locale: str) -> bytes:
    calendar = _calendar(_("My training events – Klasteris"))
    for item in events:
        calendar.add_component(
            _vevent(settings, item.event, locale=locale, waiting=item.status == RegistrationStatus.WAITING)
        )
    _add_zones(calendar, [item.event for item in events])
    return calendar.to_ical()


def event_file_name(event: TrainingEvent, locale: str) -> str:
    return f"{event.starts_at:%Y-%m-%d} {pick(event.title, locale)}"[:80].strip() + ".ics"


# --- the personal feed's address --------------------------------------------------------------------


def feed_token(settings: Settings, feed: CalendarFeed) -> str:
    signature = hmac.new(settings.secret, feed.salt.encode(), hashlib.sha256).hexdigest()
    return f"{feed.user_id}-{signature}"


def calendar_feed(session: Session, *, user_id: int) -> CalendarFeed:
    """The person's feed key, made on their first visit (two first visits at once make one)."""
    feed = session.get(CalendarFeed, user_id)
    if feed is not None:
        return feed
    try:
        with session.begin_nested():
            feed = CalendarFeed(user_id=user_id, salt=secrets.token_hex(32))
            session.add(feed)
    except IntegrityError:
        feed = session.get(CalendarFeed, user_id, populate_existing=True)
        assert feed is not None  # the other request's row
    return feed


def reset_feed(session: Session, *, user_id: int) -> CalendarFeed:
    """A new address: the old one stops working at once."""
    feed = calendar_feed(session, user_id=user_id)
    feed.salt = secrets.token_hex(32)
    feed.created_at = utcnow()
    session.flush()
    return feed


def feed_owner(session: Session, *, settings: Settings, token: str) -> int | None:
    """The user id a feed address belongs to, or None for anything not exactly right."""
    user_part, _dash, signature = token.partition("-")
    if len(token) > _MAX_TOKEN_LENGTH or not (user_part.isascii() and user_part.isdigit()) or len(user_part) > 10:
        return None
    if not 1 <= int(user_part) <= MAX_DB_ID:
        return None
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == int(user_part)))
    if feed is None:
        return None
    expected = feed_token(settings, feed).partition("-")[2]
    return feed.user_id if hmac.compare_digest(expected.encode(), signature.encode()) else None


def personal_feed(session: Session, *, settings: Settings, user_id: int, locale: str) -> bytes:
    """The feed in its owner's language: calendar programs send no useful language of their own."""
    with using_locale(locale):
        return feed_ics(settings, my_events(session, user_id=user_id), locale=locale)
