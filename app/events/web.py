"""Reader pages of training events: the list, an event's page, registering, calendars and "My events"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.deps import CurrentUser, OptionalUser
from app.accounts.models import User
from app.accounts.organisations import country_name
from app.core.db import utcnow
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import NotFound
from app.core.forms import MAX_DB_ID, FormInvalid, parse_form, query_values
from app.core.i18n import _, get_locale
from app.core.markdown import render_markdown
from app.core.notices import with_notice
from app.core.responses import attachment_disposition
from app.core.templating import render
from app.events import calendar, registration, service
from app.events.models import TrainingEvent
from app.events.schemas import EventFilters
from app.events.times import COUNTRY_ZONES, format_moment, format_span

router = APIRouter()

EventId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
FeedToken = Annotated[str, Path(max_length=200)]
ICS_MEDIA_TYPE = "text/calendar; charset=utf-8"


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def display_helpers() -> dict[str, Any]:
    """What every event template uses to name formats, statuses, countries and times in the reader's language."""
    locale = get_locale()
    return {
        "format_labels": service.format_labels(),
        "status_labels": service.status_labels(),
        "registration_labels": service.registration_labels(),
        "country_name": lambda code: country_name(code, locale),
        "event_span": lambda event: format_span(event.starts_at, event.ends_at, event.time_zone, locale),
        "event_moment": lambda moment, event: format_moment(moment, event.time_zone, locale),
    }


def _country_options() -> list[tuple[str, str]]:
    locale = get_locale()
    return [(code, country_name(code, locale)) for code in COUNTRY_ZONES]


@router.get("/events", name="events")
def events_page(request: Request, session: SessionDep, user: OptionalUser) -> Response:
    values = query_values(request)
    errors: dict[str, str] = {}
    try:
        filters = parse_form(EventFilters, values)
    except FormInvalid as invalid:
        filters, errors = EventFilters(past=values.get("past") == "1"), invalid.errors
    listing = service.event_list(session, filters=filters, user=user)
    return render(
        request,
        "events/list.html",
        {
            "listing": listing,
            "filters": filters,
            "values": values,
            "errors": errors,
            "country_options": _country_options(),
            **display_helpers(),
        },
        status_code=422 if errors else 200,
    )


@router.get("/events/{event_id:int}", name="event")
def event_page(request: Request, event_id: EventId, session: SessionDep, user: OptionalUser) -> Response:
    page = service.event_page(session, event_id=event_id, user=user)
    description = page.event.description
    source = description.get(get_locale()) or description.get("en") or description.get("lt") or ""
    return render(
        request,
        "events/event.html",
        {"page": page, "description_html": render_markdown(source), **display_helpers()},
    )


@router.post("/events/{event_id:int}/register", name="event_register")
def register(event_id: EventId, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    outcome = registration.register(session, event_id=event_id, user=user)
    if outcome in (registration.RegistrationOutcome.REGISTERED, registration.RegistrationOutcome.WAITING):
        event = session.get(TrainingEvent, event_id)  # loaded (and locked) by the registration just made
        assert event is not None
        waiting = outcome is registration.RegistrationOutcome.WAITING
        registration.send_registration_mail(settings, event=event, person=user, waiting=waiting)
    return _see_other(with_notice(f"/events/{event_id}", f"event-{outcome.value}"))


@router.post("/events/{event_id:int}/cancel-registration", name="event_cancel_registration")
def cancel_registration(event_id: EventId, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    changed = registration.cancel_registration(session, settings=settings, event_id=event_id, user=user)
    key = "event-registration-cancelled" if changed else "event-no-registration"
    return _see_other(with_notice(f"/events/{event_id}", key))


def _ics_response(content: bytes, file_name: str | None = None) -> Response:
    headers = {"Cache-Control": "private, no-store"}
    if file_name:
        headers["Content-Disposition"] = attachment_disposition(file_name)
    return Response(content, media_type=ICS_MEDIA_TYPE, headers=headers)


@router.get("/events/{event_id:int}/calendar.ics", name="event_calendar")
def event_calendar(event_id: EventId, session: SessionDep, settings: SettingsDep, _user: OptionalUser) -> Response:
    event = service.readable_event(session, event_id=event_id)
    locale = get_locale()
    return _ics_response(calendar.event_ics(settings, event, locale=locale), calendar.event_file_name(event, locale))


def _feed_url(session: Session, settings: SettingsDep, user: User) -> str:
    feed = calendar.calendar_feed(session, user_id=user.id)
    return f"{settings.base_url}/calendar/{calendar.feed_token(settings, feed)}.ics"


@router.get("/my/events", name="my_events")
def my_events_page(request: Request, session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    now = utcnow()
    mine = service.my_events(session, user_id=user.id)
    return render(
        request,
        "events/my_events.html",
        {
            "upcoming": [item for item in mine if item.event.ends_at > now],
            "past": [item for item in mine if item.event.ends_at <= now][::-1],
            "feed_url": _feed_url(session, settings, user),
            **display_helpers(),
        },
    )


@router.post("/my/events/calendar-address", name="my_events_reset_feed")
def reset_feed(session: SessionDep, user: CurrentUser) -> Response:
    calendar.reset_feed(session, user_id=user.id)
    return _see_other(with_notice("/my/events", "calendar-address-reset"))


@router.get("/calendar/{feed_token}.ics", name="calendar_feed")
def calendar_feed(feed_token: FeedToken, session: SessionDep, settings: SettingsDep, _user: OptionalUser) -> Response:
    """Calendar programs fetch this without signing in: the address itself is the key."""
    owner_id = calendar.feed_owner(session, settings=settings, token=feed_token)
    owner = session.get(User, owner_id) if owner_id is not None else None
    if owner is None or not owner.is_active:
        raise NotFound(_("This calendar address does not exist or has been replaced."))
    return _ics_response(calendar.personal_feed(session, settings=settings, user_id=owner.id, locale=owner.locale))
