"""Training events: the list and an event's page, and organising them (create, edit, open, close, hold, cancel)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, null, or_, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User, UserRole
from app.core.access import Role
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import Conflict, Unprocessable
from app.core.events import TrainingEventHeld, publish
from app.core.i18n import _, collation_key, get_locale, ngettext, pick
from app.courses.models import Course, CourseRole, Enrolment, Translations
from app.events import registration
from app.events.models import (
    EventCourse,
    EventFormat,
    EventRegistration,
    EventStatus,
    EventTrainer,
    RegistrationStatus,
    TrainingEvent,
)
from app.events.registration import Places, event_missing, place_counts, registration_refusal
from app.events.schemas import EventFilters, EventForm
from app.events.times import VENUE_ZONES, month_in_zone

PAGE_SIZE = 20


def format_labels() -> dict[str, str]:
    return {
        EventFormat.IN_PERSON: _("In person"),
        EventFormat.ONLINE: _("Online"),
        EventFormat.BLENDED: _("Blended (in person and online)"),
    }


def status_labels() -> dict[str, str]:
    return {
        EventStatus.PLANNED: _("Planned"),
        EventStatus.OPEN: _("Registration open"),
        EventStatus.HELD: _("Held"),
        EventStatus.CANCELLED: _("Cancelled"),
    }


def registration_labels() -> dict[str, str]:
    return {
        RegistrationStatus.REGISTERED: _("Registered"),
        RegistrationStatus.WAITING: _("On the waiting list"),
        RegistrationStatus.CANCELLED: _("Registration cancelled"),
    }


def is_admin(user: User | None) -> bool:
    return user is not None and Role.ADMIN in user.role_set


@dataclass(frozen=True)
class LinkedCourse:
    event_id: int
    course_id: int
    code: str
    title: Translations


def _linked_courses(session: Session, event_ids: list[int]) -> dict[int, list[LinkedCourse]]:
    found: dict[int, list[LinkedCourse]] = {event_id: [] for event_id in event_ids}
    if not event_ids:
        return found
    rows = session.execute(
        select(EventCourse.event_id, Course.id, Course.code, Course.title)
        .join(Course, Course.id == EventCourse.course_id)
        .where(EventCourse.event_id.in_(event_ids))
        .order_by(Course.position, Course.code)
    )
    for event_id, course_id, code, title in rows:
        found[event_id].append(LinkedCourse(event_id, course_id, code, title))
    return found


# --- the list --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    event: TrainingEvent
    courses: list[LinkedCourse]
    places: Places
    my_status: str | None
    open_for_registration: bool


@dataclass(frozen=True)
class EventList:
    rows: list[EventRow]
    total: int
    page: int
    pages: int
    course_options: list[tuple[str, Translations]]


def _filter_conditions(filters: EventFilters, now: dt.datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        TrainingEvent.ends_at <= now if filters.past else TrainingEvent.ends_at > now
    ]
    if filters.course:
        linked = select(EventCourse.event_id).join(Course, Course.id == EventCourse.course_id)
        conditions.append(TrainingEvent.id.in_(linked.where(Course.code == filters.course)))
    if filters.country:
        conditions.append(TrainingEvent.country == filters.country.upper())
    if filters.month:
        # "March" is March at each venue: the month's bounds differ by zone.
        in_month = []
        for zone in VENUE_ZONES:
            first, after = month_in_zone(filters.month, zone)
            in_month.append(
                and_(TrainingEvent.time_zone == zone, TrainingEvent.starts_at >= first, TrainingEvent.starts_at < after)
            )
        conditions.append(or_(*in_month))
    return conditions


def event_list(
    session: Session, *, filters: EventFilters, user: User | None, now: dt.datetime | None = None
) -> EventList:
    now = now or utcnow()
    conditions = _filter_conditions(filters, now)
    total = session.scalar(select(func.count()).select_from(TrainingEvent).where(*conditions)) or 0
    pages = max(1, math.ceil(total / PAGE_SIZE))
    page = min(filters.page, pages)
    statement = select(TrainingEvent).where(*conditions)
    if filters.past:
        statement = statement.order_by(TrainingEvent.starts_at.desc(), TrainingEvent.id.desc())
    else:
        # Cancelled events stay listed (people may look for them) but after the ones that take place.
        statement = statement.order_by(
            (TrainingEvent.status == EventStatus.CANCELLED), TrainingEvent.starts_at, TrainingEvent.id
        )
    if user is not None:
        statement = statement.outerjoin(
            EventRegistration,
            and_(EventRegistration.event_id == TrainingEvent.id, EventRegistration.user_id == user.id),
        ).add_columns(EventRegistration.status)
    else:
        statement = statement.add_columns(null())
    found = session.execute(statement.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    event_ids = [event.id for event, _status in found]
    counts = place_counts(session, event_ids)
    courses = _linked_courses(session, event_ids)
    rows = []
    for event, my_status in found:
        registered, waiting = counts.get(event.id, (0, 0))
        rows.append(
            EventRow(
                event=event,
                courses=courses[event.id],
                places=Places(event.capacity, registered, waiting),
                my_status=my_status,
                open_for_registration=registration_refusal(event, now) is None,
            )
        )
    return EventList(rows, total, page, pages, _course_options(session))


def _course_options(session: Session) -> list[tuple[str, Translations]]:
    """The courses that have events, for the list's filter."""
    rows = session.execute(
        select(Course.code, Course.title)
        .where(Course.id.in_(select(EventCourse.course_id)))
        .order_by(Course.position, Course.code)
    )
    return [(code, title) for code, title in rows]


# --- an event's page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participant:
    registration: EventRegistration
    person: User
    waiting_position: int | None


@dataclass(frozen=True)
class EventPage:
    event: TrainingEvent
    courses: list[LinkedCourse]
    trainers: list[User]
    places: Places
    mine: EventRegistration | None
    refusal: str | None  # why registration is closed, None when open
    can_cancel: bool  # the reader holds a place or a place in the queue, and the event has not started
    started: bool
    can_manage: bool
    participants: list[Participant]

    @property
    def my_status(self) -> str | None:
        return self.mine.status if self.mine is not None else None


def _trainers(session: Session, event_id: int) -> list[User]:
    trainers = list(
        session.scalars(
            select(User)
            .join(EventTrainer, EventTrainer.user_id == User.id)
            .where(EventTrainer.event_id == event_id)
            .options(joinedload(User.organisation))
        )
    )
    return sorted(trainers, key=lambda person: collation_key(person.full_name))


def participants(session: Session, *, event_id: int) -> list[Participant]:
    """Registered people by name, then the waiting list in its order (cancelled ones are left out)."""
    rows = session.execute(
        select(EventRegistration, User)
        .join(User, User.id == EventRegistration.user_id)
        .where(EventRegistration.event_id == event_id, EventRegistration.status != RegistrationStatus.CANCELLED)
        .options(joinedload(User.organisation))
        .order_by(EventRegistration.waiting_since, EventRegistration.id)
    ).all()
    registered = sorted(
        (row for row in rows if row[0].status == RegistrationStatus.REGISTERED),
        key=lambda row: collation_key(row[1].full_name),
    )
    waiting = [row for row in rows if row[0].status == RegistrationStatus.WAITING]
    return [Participant(reg, person, None) for reg, person in registered] + [
        Participant(reg, person, position) for position, (reg, person) in enumerate(waiting, start=1)
    ]


def event_page(session: Session, *, event_id: int, user: User | None, now: dt.datetime | None = None) -> EventPage:
    """Everyone may read an event; its trainers and administrators also see who takes part."""
    now = now or utcnow()
    event = session.get(TrainingEvent, event_id)
    if event is None:
        raise event_missing()
    trainers = _trainers(session, event.id)
    can_manage = is_admin(user) or (user is not None and any(trainer.id == user.id for trainer in trainers))
    mine = None
    if user is not None:
        mine = session.scalar(
            select(EventRegistration).where(
                EventRegistration.event_id == event.id, EventRegistration.user_id == user.id
            )
        )
    registered, waiting = place_counts(session, [event.id]).get(event.id, (0, 0))
    return EventPage(
        event=event,
        courses=_linked_courses(session, [event.id])[event.id],
        trainers=trainers,
        places=Places(event.capacity, registered, waiting),
        mine=mine,
        refusal=registration_refusal(event, now),
        can_cancel=(
            mine is not None
            and mine.status in (RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)
            and now < event.starts_at
        ),
        started=now >= event.starts_at,
        can_manage=can_manage,
        participants=participants(session, event_id=event.id) if can_manage else [],
    )


def readable_event(session: Session, *, event_id: int) -> TrainingEvent:
    event = session.get(TrainingEvent, event_id)
    if event is None:
        raise event_missing()
    return event


# --- my registrations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MyEvent:
    event: TrainingEvent
    status: str


def my_events(session: Session, *, user_id: int) -> list[MyEvent]:
    """The person's registrations and waiting-list places, soonest first."""
    rows = session.execute(
        select(TrainingEvent, EventRegistration.status)
        .join(EventRegistration, EventRegistration.event_id == TrainingEvent.id)
        .where(
            EventRegistration.user_id == user_id,
            EventRegistration.status.in_((RegistrationStatus.REGISTERED, RegistrationStatus.WAITING)),
        )
        .order_by(TrainingEvent.starts_at, TrainingEvent.id)
    )
    return [MyEvent(event, status) for event, status in rows]


# --- organising ------------------------------------------------------------------------------------


def managed_event(session: Session, *, event_id: int, user: User, for_update: bool = False) -> TrainingEvent:
    """An event the person organises: administrators any, trainers those they train; others 404."""
    statement = select(TrainingEvent).where(TrainingEvent.id == event_id)
    if not is_admin(user):
        statement = statement.where(
            TrainingEvent.id.in_(select(EventTrainer.event_id).where(EventTrainer.user_id == user.id))
        )
    if for_update:
        statement = statement.with_for_update().execution_options(populate_existing=True)
    event = session.scalar(statement)
    if event is None:
        raise event_missing()
    return event


def course_choices(session: Session, *, user: User) -> list[tuple[int, str]]:
    """The courses the person may link events to: all for administrators, those they teach for trainers."""
    statement = select(Course.id, Course.code, Course.title).where(Course.archived_at.is_(None))
    if not is_admin(user):
        statement = statement.where(
            Course.id.in_(
                select(Enrolment.course_id).where(Enrolment.user_id == user.id, Enrolment.role == CourseRole.TRAINER)
            )
        )
    locale = get_locale()
    rows = session.execute(statement.order_by(Course.position, Course.code))
    return [(course_id, f"{code} · {pick(title, locale)}") for course_id, code, title in rows]


def linked_course_ids(session: Session, *, event_id: int) -> list[int]:
    return list(session.scalars(select(EventCourse.course_id).where(EventCourse.event_id == event_id)))


def trainer_emails(session: Session, *, event_id: int) -> list[str]:
    return list(
        session.scalars(
            select(User.email)
            .join(EventTrainer, EventTrainer.user_id == User.id)
            .where(EventTrainer.event_id == event_id)
            .order_by(User.email)
        )
    )


def _chosen_courses(session: Session, *, form: EventForm, user: User, current: list[int] | None = None) -> list[int]:
    """The courses to link; a trainer's choice keeps the links to courses they do not teach untouched."""
    allowed = {course_id for course_id, _label in course_choices(session, user=user)}
    if any(course_id not in allowed for course_id in form.course_ids):
        raise Unprocessable(_("Choose courses from the list."), field="course_ids")
    kept = [course_id for course_id in (current or []) if course_id not in allowed]
    return sorted(set(form.course_ids) | set(kept))


def _chosen_trainers(session: Session, *, addresses: list[str]) -> list[int]:
    if not addresses:
        return []
    rows = session.execute(
        select(User.email, User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.email.in_(addresses),
            User.is_active.is_(True),
            UserRole.role.in_((Role.TRAINER, Role.ADMIN)),
        )
    ).all()
    found = {email: user_id for email, user_id in rows}
    unknown = [address for address in addresses if address not in found]
    if unknown:
        raise Unprocessable(
            ngettext(
                "No active trainer has this address: %(addresses)s",
                "No active trainer has these addresses: %(addresses)s",
                len(unknown),
                addresses=", ".join(unknown),
            ),
            field="trainer_emails",
        )
    return [found[address] for address in addresses]


def _translations(lt: str, en: str) -> Translations:
    return {code: text for code, text in (("lt", lt), ("en", en)) if text}


def _apply(event: TrainingEvent, form: EventForm) -> None:
    event.title = _translations(form.title_lt, form.title_en)
    event.description = _translations(form.description_lt, form.description_en)
    event.format = form.format
    event.venue = form.venue
    event.country = form.country
    event.time_zone = form.time_zone
    event.starts_at = form.starts_at
    event.ends_at = form.ends_at
    event.registration_deadline = form.registration_deadline
    event.capacity = form.capacity
    event.counts_toward_completion = form.counts_toward_completion


def create_event(session: Session, *, form: EventForm, user: User) -> TrainingEvent:
    """A new, planned event. A trainer who creates one trains it; administrators name its trainers."""
    course_ids = _chosen_courses(session, form=form, user=user)
    trainer_ids = _chosen_trainers(session, addresses=form.trainer_addresses()) if is_admin(user) else [user.id]
    event = TrainingEvent(status=EventStatus.PLANNED, created_by_id=user.id, sequence=0)
    _apply(event, form)
    event.courses = [EventCourse(course_id=course_id) for course_id in course_ids]
    event.trainers = [EventTrainer(user_id=trainer_id) for trainer_id in trainer_ids]
    session.add(event)
    session.flush()
    return event


class EditOutcome(StrEnum):
    SAVED = "saved"
    UNCHANGED = "unchanged"


def _snapshot(event: TrainingEvent) -> tuple[object, ...]:
    return (
        event.title, event.description, event.format, event.venue, event.country, event.time_zone,
        event.starts_at, event.ends_at, event.registration_deadline, event.capacity, event.counts_toward_completion,
    )  # fmt: skip


def update_event(session: Session, *, settings: Settings, event_id: int, form: EventForm, user: User) -> EditOutcome:
    """Save the organiser's changes; people registered or waiting hear of new times, freed places are filled."""
    event = managed_event(session, event_id=event_id, user=user, for_update=True)
    if event.status == EventStatus.CANCELLED:
        raise Conflict(_("A cancelled event cannot be changed."))
    current_courses = linked_course_ids(session, event_id=event.id)
    course_ids = _chosen_courses(session, form=form, user=user, current=current_courses)
    current_trainers = sorted(session.scalars(select(EventTrainer.user_id).where(EventTrainer.event_id == event.id)))
    trainer_ids = _chosen_trainers(session, addresses=form.trainer_addresses()) if is_admin(user) else current_trainers
    registered, _waiting = place_counts(session, [event.id]).get(event.id, (0, 0))
    if form.capacity < registered:
        raise Unprocessable(
            ngettext(
                "%(num)s person is already registered: the capacity cannot be lower.",
                "%(num)s people are already registered: the capacity cannot be lower.",
                registered,
            ),
            field="capacity",
        )
    before = _snapshot(event)
    times_before = (event.starts_at, event.ends_at)
    _apply(event, form)
    courses_changed = sorted(current_courses) != course_ids
    trainers_changed = sorted(current_trainers) != sorted(trainer_ids)
    if _snapshot(event) == before and not courses_changed and not trainers_changed:
        return EditOutcome.UNCHANGED
    if courses_changed:
        session.execute(EventCourse.__table__.delete().where(EventCourse.event_id == event.id))
        session.add_all(EventCourse(event_id=event.id, course_id=course_id) for course_id in course_ids)
    if trainers_changed:
        session.execute(EventTrainer.__table__.delete().where(EventTrainer.event_id == event.id))
        session.add_all(EventTrainer(event_id=event.id, user_id=trainer_id) for trainer_id in set(trainer_ids))
    event.sequence += 1
    session.flush()
    if (event.starts_at, event.ends_at) != times_before:
        for person in registration.people_to_tell(session, event_id=event.id):
            registration.send_time_change_mail(settings, event=event, person=person)
    registration.fill_free_places(session, settings=settings, event=event)
    return EditOutcome.SAVED


class StatusOutcome(StrEnum):
    OPENED = "event-opened"
    CLOSED = "event-closed"
    HELD = "event-held"
    CANCELLED = "event-cancelled"
    UNCHANGED = "event-status-unchanged"


def change_status(
    session: Session, *, settings: Settings, event_id: int, action: str, user: User, now: dt.datetime | None = None
) -> StatusOutcome:
    """Open or close registration, or mark the event held (which invites its participants' feedback)."""
    now = now or utcnow()
    event = managed_event(session, event_id=event_id, user=user, for_update=True)
    if event.status == EventStatus.CANCELLED:
        raise Conflict(_("This event has been cancelled; its status cannot change any more."))
    if action == "held":
        if event.status == EventStatus.HELD:
            return StatusOutcome.UNCHANGED
        if now < event.starts_at:
            raise Conflict(_("An event can be marked as held only once it has started."))
        event.status = EventStatus.HELD
        event.sequence += 1
        session.flush()
        publish(session, TrainingEventHeld(event_id=event.id))
        return StatusOutcome.HELD
    if event.status == EventStatus.HELD:
        raise Conflict(_("This event has been held; registration cannot be opened or closed any more."))
    wanted = EventStatus.OPEN if action == "open" else EventStatus.PLANNED
    if event.status == wanted:
        return StatusOutcome.UNCHANGED
    event.status = wanted
    event.sequence += 1
    session.flush()
    if wanted == EventStatus.OPEN:
        registration.fill_free_places(session, settings=settings, event=event, now=now)
        return StatusOutcome.OPENED
    return StatusOutcome.CLOSED


def cancel_event(session: Session, *, settings: Settings, event_id: int, reason: str, user: User) -> StatusOutcome:
    """Cancel with a reason, which everyone registered or waiting receives by mail."""
    event = managed_event(session, event_id=event_id, user=user, for_update=True)
    if event.status == EventStatus.CANCELLED:
        return StatusOutcome.UNCHANGED
    if event.status == EventStatus.HELD:
        raise Conflict(_("This event has been held and cannot be cancelled."))
    event.status = EventStatus.CANCELLED
    event.cancelled_reason = reason
    event.sequence += 1
    session.flush()
    for person in registration.people_to_tell(session, event_id=event.id):
        registration.send_cancellation_mail(settings, event=event, person=person)
    return StatusOutcome.CANCELLED
