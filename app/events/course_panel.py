"""The course page's list of the course's upcoming training events (a panel: courses never import events)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.db import utcnow
from app.core.i18n import get_locale, pick
from app.courses.models import Course
from app.courses.panels import CoursePanel
from app.events.models import EventCourse, EventStatus, TrainingEvent
from app.events.times import format_span

# The page shows the next few; the events list, filtered by the course, has the rest.
SHOWN = 5


@dataclass(frozen=True)
class UpcomingEvent:
    event_id: int
    title: str
    when: str
    starts_at_iso: str


def upcoming_course_events(session: Session, *, course_id: int, locale: str) -> list[UpcomingEvent]:
    events = session.scalars(
        select(TrainingEvent)
        .join(EventCourse, EventCourse.event_id == TrainingEvent.id)
        .where(
            EventCourse.course_id == course_id,
            TrainingEvent.ends_at > utcnow(),
            TrainingEvent.status != EventStatus.CANCELLED.value,
        )
        .order_by(TrainingEvent.starts_at, TrainingEvent.id)
        .limit(SHOWN)
    )
    return [
        UpcomingEvent(
            event_id=event.id,
            title=str(pick(event.title, locale)),
            when=format_span(event.starts_at, event.ends_at, event.time_zone, locale),
            starts_at_iso=event.starts_at.isoformat(),
        )
        for event in events
    ]


def course_events_panel(session: Session, course: Course, _user: User | None) -> CoursePanel | None:
    events = upcoming_course_events(session, course_id=course.id, locale=get_locale())
    if not events:
        return None
    return CoursePanel("events/_course_panel.html", {"events": events, "course_code": course.code})
