"""Attendance at a training event: the trainers' sheet, saving marks, and the people it lists.

Marking someone attended (or taking it back) tells progress, through LearnerProgressChanged, to
re-evaluate that person in every course linked to the event, since attending can count toward completion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation, User
from app.core.access import Role
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.events import LearnerProgressChanged, publish
from app.core.forms import FORM_ERROR_KEY, DbId, FormInvalid
from app.core.i18n import _, collation_key, pick
from app.courses.models import Course
from app.events.models import (
    Attendance,
    EventCourse,
    EventRegistration,
    EventStatus,
    EventTrainer,
    RegistrationStatus,
    TrainingEvent,
)


def attendance_labels() -> dict[str, str]:
    return {
        Attendance.ATTENDED: _("Attended"),
        Attendance.ABSENT: _("Absent"),
        Attendance.EXCUSED: _("Excused"),
    }


def event_when(event: TrainingEvent, locale: str) -> str:
    """Start and end in the venue's time zone, with the zone named, e.g. "7 December 2026, 09:00–16:00 (Norway Time)"."""
    zone = ZoneInfo(event.time_zone)
    start, end = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
    zone_name = get_timezone_location(zone, locale=locale)
    if start.date() == end.date():
        return _(
            "%(date)s, %(start)s–%(end)s (%(zone)s)",
            date=format_date(start, "long", locale=locale),
            start=format_time(start, "short", locale=locale),
            end=format_time(end, "short", locale=locale),
            zone=zone_name,
        )
    return _(
        "%(start)s to %(end)s (%(zone)s)",
        start=f"{format_date(start, 'long', locale=locale)} {format_time(start, 'short', locale=locale)}",
        end=f"{format_date(end, 'long', locale=locale)} {format_time(end, 'short', locale=locale)}",
        zone=zone_name,
    )


def event_for_trainer(session: Session, *, event_id: int, user: User) -> TrainingEvent:
    """The event, for one of its trainers or an administrator; 404 for anyone else, as for no event at all."""
    event = session.get(TrainingEvent, event_id)
    if event is None:
        raise NotFound(_("This training event was not found."))
    if Role.ADMIN in user.role_set:
        return event
    trains = session.scalar(
        select(EventTrainer.user_id).where(EventTrainer.event_id == event.id, EventTrainer.user_id == user.id)
    )
    if trains is None:
        raise NotFound(_("This training event was not found."))
    return event


@dataclass(frozen=True)
class Participant:
    user_id: int
    name: str
    organisation: str
    attendance: str | None


@dataclass(frozen=True)
class AttendanceSheet:
    """What the attendance page and the sign-in sheet show about one event."""

    event: TrainingEvent
    title: str
    when: str
    trainers: list[str]
    courses: list[Course]  # attending counts toward these (when the event counts toward completion)
    participants: list[Participant]

    @property
    def is_open(self) -> bool:
        """Attendance is marked once the event has started, and never for a cancelled one."""
        return self.event.status != EventStatus.CANCELLED and utcnow() >= self.event.starts_at

    @property
    def is_cancelled(self) -> bool:
        return self.event.status == EventStatus.CANCELLED

    @property
    def counts(self) -> dict[str, int]:
        """Participants per attendance value, "" for those not marked yet."""
        tally = Counter(participant.attendance or "" for participant in self.participants)
        return {key: tally.get(key, 0) for key in (*Attendance, "")}


def _participants(session: Session, event: TrainingEvent, locale: str) -> list[Participant]:
    """Registered people (not waiting, not cancelled), by name in the reader's alphabet: one statement."""
    rows = session.execute(
        select(User.id, User.full_name, Organisation.name_lt, Organisation.name_en, EventRegistration.attendance)
        .join(User, User.id == EventRegistration.user_id)
        .outerjoin(Organisation, Organisation.id == User.organisation_id)
        .where(EventRegistration.event_id == event.id, EventRegistration.status == RegistrationStatus.REGISTERED)
    )
    participants = [
        Participant(
            user_id=user_id,
            name=name,
            organisation=(name_lt if locale == "lt" else name_en) or "",
            attendance=attendance,
        )
        for user_id, name, name_lt, name_en, attendance in rows
    ]
    return sorted(participants, key=lambda person: (collation_key(person.name, locale), person.user_id))


def _trainer_names(session: Session, event: TrainingEvent, locale: str) -> list[str]:
    names = session.scalars(
        select(User.full_name)
        .join(EventTrainer, EventTrainer.user_id == User.id)
        .where(EventTrainer.event_id == event.id)
    )
    return sorted(names, key=lambda name: collation_key(name, locale))


def attendance_sheet(session: Session, *, event_id: int, user: User, locale: str) -> AttendanceSheet:
    """The event's participants with their marks, for its trainers and administrators (a fixed number of queries)."""
    event = event_for_trainer(session, event_id=event_id, user=user)
    return AttendanceSheet(
        event=event,
        title=str(pick(event.title, locale)),
        when=event_when(event, locale),
        trainers=_trainer_names(session, event, locale),
        courses=linked_courses(session, event=event),
        participants=_participants(session, event, locale),
    )


# --- saving ---------------------------------------------------------------------------------------

MARK_FIELD_PREFIX = "attendance-"  # one radio group per participant: attendance-<user id>
MARK_REST_ATTENDED = "mark-rest-attended"


def mark_field(user_id: int) -> str:
    return f"{MARK_FIELD_PREFIX}{user_id}"


class AttendanceForm(BaseModel):
    """The sheet's radio groups by participant's user id, and which of the two buttons was pressed."""

    model_config = ConfigDict(extra="forbid")

    marks: dict[DbId, Attendance] = {}
    mark_rest_attended: bool = False


def parse_attendance_form(form: Mapping[str, str]) -> AttendanceForm:
    """Read the sheet's fields; a mark that is not one of the three values is an error on that row."""
    action = form.get("action", "save")
    marks = {
        name.removeprefix(MARK_FIELD_PREFIX): value
        for name, value in form.items()
        if name.startswith(MARK_FIELD_PREFIX)
    }
    errors: dict[str, str] = {}
    if action not in ("save", MARK_REST_ATTENDED):
        errors[FORM_ERROR_KEY] = _("The form could not be read. Please try again.")
    try:
        parsed = AttendanceForm.model_validate({"marks": marks, "mark_rest_attended": action == MARK_REST_ATTENDED})
    except ValidationError as exc:
        for error in exc.errors():
            location = error["loc"]
            key = mark_field(location[1]) if len(location) > 1 else FORM_ERROR_KEY  # type: ignore[arg-type]
            errors.setdefault(key, _("Choose attended, absent or excused."))
        raise FormInvalid(errors) from exc
    if errors:
        raise FormInvalid(errors)
    return parsed


@dataclass(frozen=True)
class AttendanceSaved:
    changed: int  # registrations whose mark changed
    progress_changed: int  # people whose attended-or-not changed (progress re-evaluated)


def save_attendance(
    session: Session,
    *,
    event_id: int,
    user: User,
    marks: Mapping[int, Attendance],
    mark_rest_attended: bool = False,
) -> AttendanceSaved:
    """Store the marks given per participant (user id); with mark_rest_attended, everyone still unmarked
    becomes "attended". Only rows whose mark changes are touched, so a resubmitted form changes nothing."""
    event = event_for_trainer(session, event_id=event_id, user=user)
    if event.status == EventStatus.CANCELLED:
        raise Conflict(_("This training event was cancelled, so attendance cannot be marked."))
    if utcnow() < event.starts_at:
        raise Conflict(_("Attendance can be marked once the event has started."))
    registrations = {
        registration.user_id: registration
        for registration in session.scalars(
            select(EventRegistration).where(
                EventRegistration.event_id == event.id, EventRegistration.status == RegistrationStatus.REGISTERED
            )
        )
    }
    unknown = set(marks) - set(registrations)
    if unknown:
        raise Unprocessable(_("Someone in the form is not registered for this event. Reload the page and try again."))
    now = utcnow()
    changed, moved = 0, []
    for user_id, registration in registrations.items():
        wanted = marks.get(user_id)
        if wanted is None and mark_rest_attended and registration.attendance is None:
            wanted = Attendance.ATTENDED
        if wanted is None or registration.attendance == wanted:
            continue
        was_attended = registration.attendance == Attendance.ATTENDED
        registration.attendance = wanted.value
        registration.attendance_marked_at = now
        registration.attendance_marked_by_id = user.id
        changed += 1
        if was_attended != (wanted == Attendance.ATTENDED):
            moved.append(user_id)
    session.flush()
    if moved and event.counts_toward_completion:
        course_ids = list(session.scalars(select(EventCourse.course_id).where(EventCourse.event_id == event.id)))
        for user_id in moved:
            for course_id in course_ids:
                publish(session, LearnerProgressChanged(user_id=user_id, course_id=course_id))
    return AttendanceSaved(changed=changed, progress_changed=len(moved))


def linked_courses(session: Session, *, event: TrainingEvent) -> list[Course]:
    """The courses attending this event counts toward (for the page's explanation)."""
    return list(
        session.scalars(
            select(Course)
            .join(EventCourse, EventCourse.course_id == Course.id)
            .where(EventCourse.event_id == event.id)
            .order_by(Course.position, Course.code)
        )
    )
