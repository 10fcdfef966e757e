"""Training events, the people registered for them (or waiting), and their attendance."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, CreatedAtMixin, IdMixin, UTCDateTime, utcnow
from app.courses.models import Translations


class EventFormat(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    BLENDED = "blended"


class EventStatus(enum.StrEnum):
    """What the organisers decided. "Full" is not stored: it follows from the places taken."""

    PLANNED = "planned"  # announced, registration not open yet
    OPEN = "open"  # registration open (until the deadline and while places last)
    HELD = "held"  # took place; attendance is marked, surveys go out
    CANCELLED = "cancelled"


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    CANCELLED = "cancelled"


class Attendance(enum.StrEnum):
    ATTENDED = "attended"
    ABSENT = "absent"
    EXCUSED = "excused"


class TrainingEvent(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "training_events"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity > 0", name="positive_capacity"),
        Index("ix_training_events_starts_at", "starts_at"),
    )

    title: Mapped[Translations] = mapped_column(JSON)
    description: Mapped[Translations] = mapped_column(JSON, default=dict)
    format: Mapped[str] = mapped_column(String(20), default=EventFormat.IN_PERSON.value)
    # Where: a free-text venue (address or "Zoom"), the country (ISO 3166-1 alpha-2) and the venue's IANA
    # time zone. Times are stored in UTC and shown in the venue's zone, with the zone named.
    venue: Mapped[str] = mapped_column(String(300), default="")
    country: Mapped[str] = mapped_column(String(2))
    time_zone: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    registration_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.PLANNED.value)
    cancelled_reason: Mapped[str] = mapped_column(String(500), default="")
    # Whether attending counts toward the linked courses' completion (with the course's attendance rule).
    counts_toward_completion: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Bumped on every change, so calendar programs see an updated event (iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)

    courses: Mapped[list[EventCourse]] = relationship(cascade="all, delete-orphan", lazy="raise")
    trainers: Mapped[list[EventTrainer]] = relationship(cascade="all, delete-orphan", lazy="raise")


class EventCourse(Base):
    __tablename__ = "event_courses"

    event_id: Mapped[int] = mapped_column(ForeignKey("training_events.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True)


class EventTrainer(Base):
    __tablename__ = "event_trainers"

    event_id: Mapped[int] = mapped_column(ForeignKey("training_events.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)


class EventRegistration(IdMixin, Base):
    """One person's place (or place in the queue) at one event; cancelling keeps the row for the history."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        Index("ix_event_registrations_event_status", "event_id", "status"),
    )

    event_id: Mapped[int] = mapped_column(ForeignKey("training_events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    # The waiting list is served in the order people joined it (then by id, for equal times).
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    promoted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attendance: Mapped[str | None] = mapped_column(String(20))
    attendance_marked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    attendance_marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CalendarFeed(Base):
    """A person's calendar feed key. Calendar programs fetch the feed without signing in, so its address
    carries a token: an HMAC of this random salt under the site secret, shown whenever the person asks and
    invalidated by drawing a new salt."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


__all__ = [
    "Attendance",
    "CalendarFeed",
    "EventCourse",
    "EventFormat",
    "EventRegistration",
    "EventStatus",
    "EventTrainer",
    "RegistrationStatus",
    "TrainingEvent",
]
