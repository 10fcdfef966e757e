"""Connects events to the rest of the app at start-up: the course page lists the course's upcoming events."""

from __future__ import annotations

from app.courses.panels import add_course_panel
from app.events.course_panel import course_events_panel


def connect() -> None:
    add_course_panel(course_events_panel)
