"""In-process domain events: lower packages announce what happened, higher ones (progress) react.

Courses and quizzes must not import the progress package (dependencies point one way), yet a lesson
ticked or a quiz graded has to move the learner's course completion. They publish an event; progress
subscribes once at start-up (`app.progress.wiring.connect`). Handlers run synchronously inside the
publisher's transaction, so the completion is written or rolled back together with its cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class LearnerProgressChanged:
    """Something that counts toward one learner's completion of one course changed."""

    user_id: int
    course_id: int


@dataclass(frozen=True)
class CourseRulesChanged:
    """A course's lessons, quiz settings or completion criteria changed: every learner may move."""

    course_id: int


@dataclass(frozen=True)
class CourseCompleted:
    """A learner's completion of a course was recorded (once; published by progress, e.g. for surveys)."""

    user_id: int
    course_id: int


@dataclass(frozen=True)
class TrainingEventHeld:
    """A training event was marked as held: its participants may now be asked for feedback."""

    event_id: int


Event = LearnerProgressChanged | CourseRulesChanged | CourseCompleted | TrainingEventHeld
Handler = Callable[[Session, Any], None]

_handlers: dict[type, list[Handler]] = {}


def subscribe(event_type: type, handler: Handler) -> None:
    """Register a handler once; registering the same function again is a no-op (start-up may repeat)."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def publish(session: Session, event: Event) -> None:
    for handler in _handlers.get(type(event), ()):
        handler(session, event)
