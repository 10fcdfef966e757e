"""Registering for an event, cancelling, the waiting list and its promotions, and the mails they send.

Places are counted under a lock on the event's row (PostgreSQL `FOR UPDATE`; SQLite write transactions
begin IMMEDIATE and so take turns already), so registrations never exceed the capacity however many
people press the button at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.organisations import country_name
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound
from app.core.i18n import _, pick, using_locale
from app.core.mail import send_mail
from app.events.models import EventRegistration, EventStatus, RegistrationStatus, TrainingEvent
from app.events.times import format_span

logger = logging.getLogger(__name__)


class RegistrationOutcome(StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    ALREADY_REGISTERED = "already-registered"
    ALREADY_WAITING = "already-waiting"


def event_missing() -> NotFound:
    return NotFound(_("This training event does not exist."))


def locked_event(session: Session, event_id: int) -> TrainingEvent:
    """The event with its row locked until the transaction ends: whoever counts places next waits for us."""
    event = session.scalar(
        select(TrainingEvent)
        .where(TrainingEvent.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise event_missing()
    return event


@dataclass(frozen=True)
class Places:
    capacity: int
    registered: int
    waiting: int

    @property
    def left(self) -> int:
        return max(0, self.capacity - self.registered)

    @property
    def full(self) -> bool:
        return self.registered >= self.capacity


def place_counts(session: Session, event_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(registered, waiting) per event, in one query."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(
            EventRegistration.event_id,
            func.sum(case((EventRegistration.status == RegistrationStatus.REGISTERED, 1), else_=0)),
            func.sum(case((EventRegistration.status == RegistrationStatus.WAITING, 1), else_=0)),
        )
        .where(EventRegistration.event_id.in_(ids))
        .group_by(EventRegistration.event_id)
    )
    return {event_id: (int(registered or 0), int(waiting or 0)) for event_id, registered, waiting in rows}


def _registered_count(session: Session, event_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(EventRegistration)
            .where(EventRegistration.event_id == event_id, EventRegistration.status == RegistrationStatus.REGISTERED)
        )
        or 0
    )


def registration_refusal(event: TrainingEvent, now: dt.datetime) -> str | None:
    """Why nobody can register for the event at this moment, or None when registration is open."""
    if event.status == EventStatus.CANCELLED:
        return _("This event has been cancelled.")
    if event.status == EventStatus.HELD or now >= event.starts_at:
        return _("This event has already started, so registration is closed.")
    if event.status != EventStatus.OPEN:
        return _("Registration for this event has not opened yet.")
    if now > event.registration_deadline:
        return _("The registration deadline has passed.")
    return None


def register(session: Session, *, event_id: int, user: User, now: dt.datetime | None = None) -> RegistrationOutcome:
    """A place if one is free, else a place in the waiting list. Registering again changes nothing."""
    now = now or utcnow()
    event = locked_event(session, event_id)
    registration = session.scalar(
        select(EventRegistration).where(EventRegistration.event_id == event.id, EventRegistration.user_id == user.id)
    )
    if registration is not None and registration.status == RegistrationStatus.REGISTERED:
        return RegistrationOutcome.ALREADY_REGISTERED
    if registration is not None and registration.status == RegistrationStatus.WAITING:
        return RegistrationOutcome.ALREADY_WAITING
    refusal = registration_refusal(event, now)
    if refusal is not None:
        raise Conflict(refusal)
    has_place = _registered_count(session, event.id) < event.capacity
    if registration is None:  # after a cancellation the same row is used again
        registration = EventRegistration(event_id=event.id, user_id=user.id)
        session.add(registration)
    registration.status = RegistrationStatus.REGISTERED if has_place else RegistrationStatus.WAITING
    registration.registered_at = now
    registration.waiting_since = None if has_place else now
    registration.promoted_at = None
    registration.cancelled_at = None
    session.flush()
    return RegistrationOutcome.REGISTERED if has_place else RegistrationOutcome.WAITING


def cancel_registration(
    session: Session, *, settings: Settings, event_id: int, user: User, now: dt.datetime | None = None
) -> bool:
    """Give up a place (or a place in the queue); a freed place goes to the first person waiting."""
    now = now or utcnow()
    event = locked_event(session, event_id)
    registration = session.scalar(
        select(EventRegistration).where(EventRegistration.event_id == event.id, EventRegistration.user_id == user.id)
    )
    if registration is None or registration.status == RegistrationStatus.CANCELLED:
        return False
    if now >= event.starts_at:
        raise Conflict(_("The event has already started, so the registration can no longer be cancelled."))
    held_a_place = registration.status == RegistrationStatus.REGISTERED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    session.flush()
    if held_a_place:
        fill_free_places(session, settings=settings, event=event, now=now)
    return True


def fill_free_places(
    session: Session, *, settings: Settings, event: TrainingEvent, now: dt.datetime | None = None
) -> list[User]:
    """Promote people from the waiting list, first come first served, while places are free (event locked)."""
    now = now or utcnow()
    if event.status != EventStatus.OPEN or now >= event.starts_at:
        return []
    free = event.capacity - _registered_count(session, event.id)
    if free <= 0:
        return []
    rows = session.execute(
        select(EventRegistration, User)
        .join(User, User.id == EventRegistration.user_id)
        .where(EventRegistration.event_id == event.id, EventRegistration.status == RegistrationStatus.WAITING)
        .order_by(EventRegistration.waiting_since, EventRegistration.id)
        .limit(free)
    ).all()
    for registration, _person in rows:
        registration.status = RegistrationStatus.REGISTERED
        registration.promoted_at = now
    session.flush()
    promoted = [person for _registration, person in rows]
    for person in promoted:
        send_promotion_mail(settings, event=event, person=person)
    return promoted


# --- mail ------------------------------------------------------------------------------------------


def _facts(settings: Settings, event: TrainingEvent, locale: str) -> dict[str, str]:
    where = ", ".join(part for part in (event.venue, country_name(event.country, locale)) if part)
    return {
        "title": str(pick(event.title, locale)),
        "when": format_span(event.starts_at, event.ends_at, event.time_zone, locale),
        "where": where,
        "link": f"{settings.base_url}/events/{event.id}",
    }


def _send(settings: Settings, *, person: User, subject: str, body: str) -> None:
    """Event mail is a courtesy on top of what the page already shows: a mail server that is down must not
    undo a registration, a cancellation or the promotion it reports, so the failure is logged instead."""
    try:
        send_mail(settings, to=person.email, subject=subject, body=body)
    except (smtplib.SMTPException, OSError):
        logger.exception("event mail %r to user %s could not be sent", subject, person.id)


def send_registration_mail(settings: Settings, *, event: TrainingEvent, person: User, waiting: bool) -> None:
    """The confirmation of a new registration or waiting-list place, with the event's calendar file."""
    with using_locale(person.locale):
        facts = _facts(settings, event, person.locale)
        if waiting:
            subject = _("You are on the waiting list for “%(title)s”", title=facts["title"])
            news = _(
                "The training event “%(title)s” is full, so you are on its waiting list. If a place becomes "
                "free, it goes to the first person waiting, and we will write to you at once.",
                title=facts["title"],
            )
        else:
            subject = _("You are registered for “%(title)s”", title=facts["title"])
            news = _("You are registered for the training event “%(title)s”.", title=facts["title"])
        body = _(
            "Hello %(name)s,\n\n%(news)s\n\nWhen: %(when)s\nWhere: %(where)s\n\n%(link)s\n"
            "Add it to your calendar: %(link)s/calendar.ics\n\n"
            "If you cannot come, please cancel your registration on the event's page.\n",
            name=person.full_name,
            news=news,
            **facts,
        )
    _send(settings, person=person, subject=subject, body=body)


def send_promotion_mail(settings: Settings, *, event: TrainingEvent, person: User) -> None:
    with using_locale(person.locale):
        facts = _facts(settings, event, person.locale)
        subject = _("You have a place at “%(title)s”", title=facts["title"])
        body = _(
            "Hello %(name)s,\n\n"
            "A place became free at the training event “%(title)s” and it is now yours: you were first "
            "on the waiting list.\n\nWhen: %(when)s\nWhere: %(where)s\n\n%(link)s\n\n"
            "If you cannot come, please cancel your registration on the event's page so that the next "
            "person on the waiting list gets the place.\n",
            name=person.full_name,
            **facts,
        )
    _send(settings, person=person, subject=subject, body=body)


def send_time_change_mail(settings: Settings, *, event: TrainingEvent, person: User) -> None:
    with using_locale(person.locale):
        facts = _facts(settings, event, person.locale)
        subject = _("New time for “%(title)s”", title=facts["title"])
        body = _(
            "Hello %(name)s,\n\n"
            "The time of the training event “%(title)s”, for which you are registered or on the waiting "
            "list, has changed.\n\nNew time: %(when)s\nWhere: %(where)s\n\n%(link)s\n\n"
            "If you can no longer come, please cancel your registration on the event's page.\n",
            name=person.full_name,
            **facts,
        )
    _send(settings, person=person, subject=subject, body=body)


def send_cancellation_mail(settings: Settings, *, event: TrainingEvent, person: User) -> None:
    with using_locale(person.locale):
        facts = _facts(settings, event, person.locale)
        subject = _("“%(title)s” has been cancelled", title=facts["title"])
        body = _(
            "Hello %(name)s,\n\n"
            "The training event “%(title)s” (%(when)s), for which you were registered or on the waiting "
            "list, has been cancelled.\n\nReason: %(reason)s\n\n%(link)s\n",
            name=person.full_name,
            reason=event.cancelled_reason,
            **facts,
        )
    _send(settings, person=person, subject=subject, body=body)


def people_to_tell(session: Session, *, event_id: int) -> list[User]:
    """Everyone registered or waiting: they hear of changed times and of a cancellation."""
    return list(
        session.scalars(
            select(User)
            .join(EventRegistration, EventRegistration.user_id == User.id)
            .where(
                EventRegistration.event_id == event_id,
                EventRegistration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)),
                User.is_active.is_(True),
            )
            .order_by(User.id)
        )
    )
