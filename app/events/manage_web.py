"""Organisers' pages: creating and editing events, opening and closing registration, holding and cancelling."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from app.accounts.deps import TrainerUser
from app.accounts.models import User
from app.accounts.organisations import country_name
from app.core.deps import FormData, SessionDep, SettingsDep, form_fields
from app.core.errors import BadRequest, DomainError
from app.core.forms import MAX_DB_ID, FormInvalid, errors_from, parse_form
from app.core.i18n import _, get_locale
from app.core.notices import with_notice
from app.core.templating import render
from app.events import service
from app.events.models import TrainingEvent
from app.events.schemas import MAX_CAPACITY, CancelForm, EventForm, StatusForm
from app.events.times import COUNTRY_ZONES, VENUE_ZONES, at_venue, zone_city
from app.events.web import display_helpers

router = APIRouter()

EventId = Annotated[int, Path(ge=1, le=MAX_DB_ID)]
FormFields = Annotated[dict[str, list[str]], Depends(form_fields)]
# Fields that a form sends several times (one tick box per course).
_LIST_FIELDS = ("course_ids",)


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _typed_values(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    values: dict[str, Any] = {name: entries[-1] for name, entries in fields.items() if name not in _LIST_FIELDS}
    for name in _LIST_FIELDS:
        values[name] = list(fields.get(name, []))
    return values


def _form_page(
    request: Request,
    session: Session,
    user: User,
    *,
    event: TrainingEvent | None,
    values: Mapping[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    locale = get_locale()
    return render(
        request,
        "events/form.html",
        {
            "event": event,
            "values": values,
            "errors": errors,
            "course_options": service.course_choices(session, user=user),
            "format_options": list(service.format_labels().items()),
            "country_options": [(code, country_name(code, locale)) for code in COUNTRY_ZONES],
            "zone_options": [(zone, f"{zone_city(zone, locale)} ({zone})") for zone in VENUE_ZONES],
            "max_capacity": MAX_CAPACITY,
            "names_trainers": service.is_admin(user),
        },
        status_code=status_code,
    )


@router.get("/events/new", name="event_new")
def new_event_form(request: Request, session: SessionDep, user: TrainerUser) -> Response:
    values = {
        "format": "in_person",
        "country": "LT",
        "time_zone": "",  # the country's own zone unless the organiser picks another
        "start_time": "10:00",
        "end_time": "16:00",
        "capacity": "20",
        "counts_toward_completion": "on",
        "course_ids": [],
    }
    return _form_page(request, session, user, event=None, values=values, errors={})


@router.post("/events/new", name="event_create")
def create_event(request: Request, session: SessionDep, user: TrainerUser, fields: FormFields) -> Response:
    values = _typed_values(fields)
    try:
        form = parse_form(EventForm, values)
        event = service.create_event(session, form=form, user=user)
    except FormInvalid as invalid:
        return _form_page(request, session, user, event=None, values=values, errors=invalid.errors, status_code=422)
    except DomainError as error:
        return _form_page(
            request, session, user, event=None, values=values, errors=errors_from(error), status_code=error.status_code
        )
    return _see_other(with_notice(f"/events/{event.id}", "event-created"))


def _values_of(session: Session, event: TrainingEvent) -> dict[str, Any]:
    start, end = at_venue(event.starts_at, event.time_zone), at_venue(event.ends_at, event.time_zone)
    deadline = at_venue(event.registration_deadline, event.time_zone)
    return {
        "title_lt": event.title.get("lt", ""),
        "title_en": event.title.get("en", ""),
        "description_lt": event.description.get("lt", ""),
        "description_en": event.description.get("en", ""),
        "course_ids": [str(course_id) for course_id in service.linked_course_ids(session, event_id=event.id)],
        "format": event.format,
        "venue": event.venue,
        "country": event.country,
        "time_zone": event.time_zone,
        "start_date": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"),
        "end_date": end.date().isoformat(),
        "end_time": end.strftime("%H:%M"),
        "deadline_date": deadline.date().isoformat(),
        "deadline_time": deadline.strftime("%H:%M"),
        "capacity": str(event.capacity),
        "counts_toward_completion": "on" if event.counts_toward_completion else "",
        "trainer_emails": "\n".join(service.trainer_emails(session, event_id=event.id)),
    }


@router.get("/events/{event_id:int}/edit", name="event_edit")
def edit_event_form(request: Request, event_id: EventId, session: SessionDep, user: TrainerUser) -> Response:
    event = service.managed_event(session, event_id=event_id, user=user)
    return _form_page(request, session, user, event=event, values=_values_of(session, event), errors={})


@router.post("/events/{event_id:int}/edit", name="event_update")
def update_event(
    request: Request,
    event_id: EventId,
    session: SessionDep,
    settings: SettingsDep,
    user: TrainerUser,
    fields: FormFields,
) -> Response:
    event = service.managed_event(session, event_id=event_id, user=user)
    values = _typed_values(fields)
    try:
        form = parse_form(EventForm, values)
        outcome = service.update_event(session, settings=settings, event_id=event.id, form=form, user=user)
    except FormInvalid as invalid:
        return _form_page(request, session, user, event=event, values=values, errors=invalid.errors, status_code=422)
    except DomainError as error:
        if error.field is None and error.status_code != 409:
            raise
        return _form_page(
            request, session, user, event=event, values=values, errors=errors_from(error), status_code=error.status_code
        )
    key = "event-saved" if outcome == service.EditOutcome.SAVED else "event-unchanged"
    return _see_other(with_notice(f"/events/{event.id}", key))


@router.post("/events/{event_id:int}/status", name="event_status")
def change_status(
    event_id: EventId, session: SessionDep, settings: SettingsDep, user: TrainerUser, form: FormData
) -> Response:
    service.managed_event(session, event_id=event_id, user=user)  # 404 before judging the form
    try:
        data = parse_form(StatusForm, form)
    except FormInvalid as invalid:
        # Only the page's own buttons send this form: anything else is a tampered request.
        raise BadRequest(_("Choose one of the offered actions.")) from invalid
    outcome = service.change_status(session, settings=settings, event_id=event_id, action=data.action, user=user)
    return _see_other(with_notice(f"/events/{event_id}", outcome.value))


def _cancel_page(
    request: Request, event: TrainingEvent, *, values: Mapping[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "events/cancel.html",
        {"event": event, "values": values, "errors": errors, **display_helpers()},
        status_code=status_code,
    )


@router.get("/events/{event_id:int}/cancel", name="event_cancel_form")
def cancel_form(request: Request, event_id: EventId, session: SessionDep, user: TrainerUser) -> Response:
    event = service.managed_event(session, event_id=event_id, user=user)
    return _cancel_page(request, event, values={}, errors={})


@router.post("/events/{event_id:int}/cancel", name="event_cancel")
def cancel_event(
    request: Request, event_id: EventId, session: SessionDep, settings: SettingsDep, user: TrainerUser, form: FormData
) -> Response:
    event = service.managed_event(session, event_id=event_id, user=user)
    try:
        data = parse_form(CancelForm, form)
        outcome = service.cancel_event(session, settings=settings, event_id=event.id, reason=data.reason, user=user)
    except FormInvalid as invalid:
        return _cancel_page(request, event, values=form, errors=invalid.errors, status_code=422)
    except DomainError as error:
        return _cancel_page(request, event, values=form, errors=errors_from(error), status_code=error.status_code)
    return _see_other(with_notice(f"/events/{event.id}", outcome.value))
