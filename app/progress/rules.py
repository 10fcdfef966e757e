"""Completion criteria: applied from course.yaml on content sync, edited by administrators in between."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import Unprocessable
from app.core.i18n import _
from app.courses.content import fingerprint
from app.courses.models import Course
from app.courses.service import course_or_404
from app.progress.completion import (
    CompletionListener,
    Criteria,
    RecomputeSummary,
    criteria_for,
    file_criteria,
    recompute_all,
    recompute_course,
)
from app.progress.models import CompletionCriteria
from app.quizzes.models import Quiz


def sync_criteria_and_recompute(
    session: Session, *, on_completed: CompletionListener, advance: Callable[[str], None] | None = None
) -> tuple[int, RecomputeSummary]:
    """After a content sync: apply changed course.yaml rules, then bring every learner's completion up to date.

    Lessons may have been added or archived, so every course is recomputed; people who had completed stay so.
    """
    rows = {row.course_id: row for row in session.scalars(select(CompletionCriteria))}
    changed = 0
    for course in session.scalars(select(Course).where(Course.archived_at.is_(None))):
        source_hash = fingerprint(course.completion_rules or {})
        row = rows.get(course.id)
        if row is None:
            row = CompletionCriteria(course_id=course.id, source_hash="")
            session.add(row)
        if row.source_hash != source_hash:  # the file changed (or is new): it wins over earlier edits
            criteria = file_criteria(course)
            row.require_lessons, row.require_quiz = criteria.lessons, criteria.quiz
            row.require_attendance = criteria.attendance
            row.source_hash = source_hash
            row.updated_at = utcnow()
            row.updated_by_id = None
            changed += 1
    session.flush()
    return changed, recompute_all(session, on_completed=on_completed, advance=advance)


@dataclass(frozen=True)
class CriteriaPage:
    course: Course
    criteria: Criteria
    has_quiz: bool
    row: CompletionCriteria | None


def criteria_page(session: Session, *, code: str) -> CriteriaPage:
    course = course_or_404(session, code)
    return CriteriaPage(
        course=course,
        criteria=criteria_for(session, course),
        has_quiz=session.scalar(select(Quiz.id).where(Quiz.course_id == course.id)) is not None,
        row=session.get(CompletionCriteria, course.id),
    )


def save_criteria(
    session: Session, *, code: str, criteria: Criteria, by: User, on_completed: CompletionListener
) -> RecomputeSummary:
    """Store an administrator's criteria and recompute the course (completions already recorded stay)."""
    page = criteria_page(session, code=code)
    if criteria.quiz and not page.has_quiz:
        raise Unprocessable(_("This course has no quiz, so passing it cannot be required."), field="require_quiz")
    if not (criteria.lessons or criteria.quiz or criteria.attendance):
        raise Unprocessable(_("Choose at least one requirement."), field="require_lessons")
    row = page.row
    if row is None:
        row = CompletionCriteria(course_id=page.course.id, source_hash=fingerprint(page.course.completion_rules or {}))
        session.add(row)
    row.require_lessons, row.require_quiz = criteria.lessons, criteria.quiz
    row.require_attendance = criteria.attendance
    row.updated_at = utcnow()
    row.updated_by_id = by.id
    session.flush()
    return recompute_course(session, page.course, on_completed=on_completed)
