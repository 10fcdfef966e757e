"""The course places panel of the administrator's person page: each course with the person's role and progress."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.panels import PersonPanel
from app.courses.models import Course, CourseRole, Enrolment
from app.progress.models import CompletionState, CourseCompletion
from app.progress.report import state_labels


@dataclass(frozen=True)
class CoursePlace:
    course_code: str
    course_title: dict[str, str]
    role: str  # CourseRole
    enrolled_at: dt.datetime
    state: CompletionState | None  # None for trainers: they do not complete the course they teach


def course_places(session: Session, *, user_id: int) -> list[CoursePlace]:
    rows = session.execute(
        select(Enrolment.role, Enrolment.enrolled_at, Course.code, Course.title, CourseCompletion.state)
        .join(Course, Course.id == Enrolment.course_id)
        .outerjoin(
            CourseCompletion,
            and_(CourseCompletion.user_id == Enrolment.user_id, CourseCompletion.course_id == Enrolment.course_id),
        )
        .where(Enrolment.user_id == user_id)
        .order_by(Course.code)
    )
    return [
        CoursePlace(
            course_code=code,
            course_title=title,
            role=role,
            enrolled_at=enrolled_at,
            state=None if role == CourseRole.TRAINER else CompletionState(state or CompletionState.NOT_STARTED),
        )
        for role, enrolled_at, code, title, state in rows
    ]


def course_places_panel(session: Session, person: User) -> PersonPanel:
    return PersonPanel(
        "progress/person_places.html",
        {"places": course_places(session, user_id=person.id), "state_labels": state_labels()},
    )
