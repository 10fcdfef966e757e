"""Connects toolkits to the rest of the app at start-up: the course page lists the course's toolkits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.courses.models import Course
from app.courses.panels import CoursePanel, add_course_panel
from app.toolkits import library, service


def _course_toolkits_panel(session: Session, course: Course, user: User | None) -> CoursePanel | None:
    if user is None:
        return None  # toolkits are for signed-in members of the network; the page itself is public
    rows = library.course_toolkits(session, course_id=course.id, programme_id=course.programme_id, user=user)
    can_upload = service.may_upload_to_course(session, user=user, course_id=course.id)
    return CoursePanel(
        "toolkits/_course_panel.html",
        {
            "rows": rows,
            "can_upload": can_upload,
            "course_code": course.code,
            "kind_labels": service.kind_labels(),
            "language_labels": service.language_labels(),
        },
    )


def connect() -> None:
    add_course_panel(_course_toolkits_panel)
