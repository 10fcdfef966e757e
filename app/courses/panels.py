"""Sections other domains add to the course page (toolkits, events…), without courses importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.courses.models import Course


@dataclass(frozen=True)
class CoursePanel:
    template: str  # included in the course page; it sees `panel.context`
    context: dict[str, object] = field(default_factory=dict)


CoursePanelBuilder = Callable[[Session, Course, User | None], CoursePanel | None]
_builders: list[CoursePanelBuilder] = []


def add_course_panel(builder: CoursePanelBuilder) -> None:
    """Register once at start-up; registering the same builder again changes nothing."""
    if builder not in _builders:
        _builders.append(builder)


def course_panels(session: Session, *, course: Course, user: User | None) -> list[CoursePanel]:
    return [panel for builder in _builders if (panel := builder(session, course, user)) is not None]
